/** Differentiable embedding lookup: rows of `weight` [V, D] at integer `ids`; the gradient scatters back. */
import { ArgumentError, checkTensor, formatShape, ShapeError, type Tensor } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

export function embedding(ids: Tensor, weight: Input): Variable {
  checkTensor('embedding', 'ids', ids);
  const vw = asVariable('embedding', 'weight', weight);
  if (vw.shape.length !== 2)
    throw new ShapeError(`embedding: weight must be [V, D], got ${formatShape(vw.shape)}`);
  const vocabulary = vw.shape[0]!;
  for (const id of ids.toFloat32Array()) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabulary) {
      throw new ArgumentError(`embedding: ids must be integers in [0, ${vocabulary - 1}], got ${id}`);
    }
  }
  const be = getBackend();
  return record('embedding', be.embeddingLookup(vw.data, ids), [vw], (g) => [
    be.embeddingBackward(g, ids, vw.shape),
  ]);
}
