/**
 * gradCheck: compares the gradients an op's backward pass gives with central finite
 * differences, the only place convkit differentiates numerically. The objective is
 * sum(y * r) with a fixed random r, summed in float64; each input element is moved by
 * +-eps, and the step actually taken (after float32 rounding of the perturbed value) is the
 * denominator, so the quotient is exact up to the op's own float32 rounding. With eps = 1e-3
 * that rounding bounds the quotient's error to about 1e-4 relative to the objective's scale,
 * hence the default tolerance |analytic - numeric| <= 1e-3 + 1e-2 * |numeric|.
 */
import {
  ArgumentError,
  checkTensor,
  createRng,
  formatShape,
  optionInteger,
  optionNumber,
  readOptions,
  Tensor,
} from '@convkit/tensor';
import { noGrad } from './grad-mode';
import { Variable } from './variable';

export interface GradCheckOptions {
  /** The finite-difference step (1e-3). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of r (0). */
  seed?: number;
  /** Indices of the inputs to check (all by default; e.g. skip integer ids). */
  check?: readonly number[];
}

export interface GradCheckReport {
  ok: boolean;
  /** The worst |analytic - numeric| - rtol * |numeric| over all elements (<= atol when ok). */
  worstExcess: number;
  /** Where the worst element is: input index and flat element index, with both values. */
  worst: { input: number; element: number; analytic: number; numeric: number } | null;
}

function objective(y: Tensor, r: Float32Array): number {
  const v = y.toFloat32Array();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * r[i]!;
  return s;
}

export function gradCheck(
  fn: (...inputs: Variable[]) => Variable,
  inputs: readonly Tensor[],
  options: GradCheckOptions = {},
): GradCheckReport {
  const op = 'gradCheck';
  if (typeof fn !== 'function') throw new ArgumentError(`${op}: fn must be a function, got ${typeof fn}`);
  if (!Array.isArray(inputs)) throw new ArgumentError(`${op}: inputs must be an array of Tensors`);
  for (const [i, t] of inputs.entries()) checkTensor(op, `inputs[${i}]`, t);
  const o = readOptions(op, options, ['eps', 'atol', 'rtol', 'seed', 'check']);
  const eps = optionNumber(op, 'eps', o.eps, 1e-3, { min: 0, minExclusive: true });
  const atol = optionNumber(op, 'atol', o.atol, 1e-3, { min: 0 });
  const rtol = optionNumber(op, 'rtol', o.rtol, 1e-2, { min: 0 });
  const seed = optionInteger(op, 'seed', o.seed, 0);
  const which = (o.check ?? inputs.map((_, i) => i)) as number[];
  if (!Array.isArray(which) || which.some((i) => !Number.isInteger(i) || i < 0 || i >= inputs.length)) {
    throw new ArgumentError(
      `${op}: check must list input indices in [0, ${inputs.length - 1}], got ${JSON.stringify(o.check)}`,
    );
  }
  const values = inputs.map((t) => t.clone());
  const vars = values.map((t, i) => new Variable(t, which.includes(i)));
  const y = fn(...vars);
  const rng = createRng(seed);
  const r = new Float32Array(y.data.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.uniform(-1, 1);
  y.backward(new Tensor(r, y.shape));

  let worstExcess = Number.NEGATIVE_INFINITY;
  let worst: GradCheckReport['worst'] = null;
  for (const i of which) {
    const t = values[i]!;
    const analytic = vars[i]!.grad?.toFloat32Array() ?? new Float32Array(t.size);
    if (analytic.length !== t.size)
      throw new Error(`gradCheck: gradient of input ${i} is not ${formatShape(t.shape)}`);
    const data = t.data;
    for (let k = 0; k < t.size; k++) {
      const original = data[k]!;
      data[k] = original + eps;
      const up = data[k]!;
      const fUp = noGrad(() => objective(fn(...values.map((v) => new Variable(v))).data, r));
      data[k] = original - eps;
      const down = data[k]!;
      const fDown = noGrad(() => objective(fn(...values.map((v) => new Variable(v))).data, r));
      data[k] = original;
      const numeric = (fUp - fDown) / (up - down);
      const excess = Math.abs(analytic[k]! - numeric) - rtol * Math.abs(numeric);
      if (excess > worstExcess || Number.isNaN(excess)) {
        worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
        worst = { input: i, element: k, analytic: analytic[k]!, numeric };
      }
    }
  }
  return { ok: worstExcess <= atol, worstExcess, worst };
}
