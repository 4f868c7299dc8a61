/**
 * Dropout (Srivastava et al. 2014), inverted: in training each element is zeroed with
 * probability p and the rest scaled by 1 / (1 - p); outside training it is the identity.
 * The mask comes from a seeded Rng (the global one unless given).
 */
import { ArgumentError, type Rng, Tensor } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';
import { globalRng } from '../init/global-rng';

export function dropout(x: Input, p = 0.5, training = true, rng: Rng = globalRng()): Variable {
  const v = asVariable('dropout', 'input', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ArgumentError(`dropout: p must be a probability in [0, 1], got ${String(p)}`);
  }
  if (!training || p === 0) return v;
  const keep = 1 - p;
  const mask = new Float32Array(v.data.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < keep ? 1 / keep : 0;
  const m = new Tensor(mask, v.shape);
  const be = getBackend();
  return record('dropout', be.binary('mul', v.data, m), [v], (g) => [be.binary('mul', g, m)]);
}
