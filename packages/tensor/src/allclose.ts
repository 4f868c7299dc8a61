/**
 * Closeness checks in the numpy/PyTorch sense: |a - b| <= atol + rtol * |b|, NaN equal to
 * NaN only where asked, infinities equal when they match. `assertClose` throws with the
 * first and the worst mismatch, for tests.
 */
import { formatShape, ShapeError } from './errors';
import { sameShape } from './shape';
import type { Tensor } from './tensor';

export interface CloseOptions {
  /** Absolute tolerance (default 1e-4, the convkit contract). */
  atol?: number;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
  /** Treat NaN as equal to NaN (default true). */
  equalNan?: boolean;
}

type Values = Tensor | ArrayLike<number>;

function flat(v: Values): { values: ArrayLike<number>; shape: readonly number[] } {
  if ('shape' in v && 'toFloat32Array' in v) return { values: v.toFloat32Array(), shape: v.shape };
  return { values: v, shape: [v.length] };
}

function closeAt(a: number, b: number, atol: number, rtol: number, equalNan: boolean): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return equalNan && Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

export interface CloseReport {
  ok: boolean;
  /** Largest |a - b| over finite pairs. */
  maxAbsDiff: number;
  /** Number of elements outside the tolerance. */
  mismatches: number;
  /** Flat index of the first element outside the tolerance, or -1. */
  firstMismatch: number;
  /** Flat index of the worst element (largest excess over the tolerance), or -1. */
  worstMismatch: number;
}

/** Compares element by element; shapes must match (a flat array matches any shape of its size). */
export function compareClose(actual: Values, expected: Values, options: CloseOptions = {}): CloseReport {
  const { atol = 1e-4, rtol = 1e-4, equalNan = true } = options;
  const a = flat(actual);
  const b = flat(expected);
  const shapesFit =
    a.values.length === b.values.length &&
    (a.shape.length === 1 || b.shape.length === 1 || sameShape(a.shape, b.shape));
  if (!shapesFit) {
    throw new ShapeError(`allclose: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
  let maxAbs = 0;
  let mismatches = 0;
  let first = -1;
  let worst = -1;
  let worstExcess = -1;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = b.values[i]!;
    const diff = Math.abs(x - y);
    if (Number.isFinite(diff) && diff > maxAbs) maxAbs = diff;
    if (!closeAt(x, y, atol, rtol, equalNan)) {
      mismatches++;
      if (first < 0) first = i;
      const excess = Number.isFinite(diff) ? diff - (atol + rtol * Math.abs(y)) : Number.POSITIVE_INFINITY;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
  }
  return { ok: mismatches === 0, maxAbsDiff: maxAbs, mismatches, firstMismatch: first, worstMismatch: worst };
}

/** True when every element is within atol + rtol * |expected|. */
export function allclose(actual: Values, expected: Values, options?: CloseOptions): boolean {
  return compareClose(actual, expected, options).ok;
}

/** Largest absolute elementwise difference (NaN if any pair differs in NaN-ness). */
export function maxAbsDiff(actual: Values, expected: Values): number {
  const a = flat(actual).values;
  const b = flat(expected).values;
  if (a.length !== b.length) throw new ShapeError(`maxAbsDiff: sizes ${a.length} and ${b.length} differ`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.NaN;
    if (Number.isNaN(x) || x === y) continue;
    const d = Math.abs(x - y);
    if (d > max) max = d;
  }
  return max;
}

/** Throws an Error describing the first and worst mismatch; for tests. */
export function assertClose(
  actual: Values,
  expected: Values,
  options: CloseOptions & { label?: string } = {},
): void {
  const report = compareClose(actual, expected, options);
  if (report.ok) return;
  const a = flat(actual).values;
  const b = flat(expected).values;
  const at = (i: number) => `[${i}] got ${a[i]} expected ${b[i]}`;
  throw new Error(
    `${options.label ?? 'assertClose'}: ${report.mismatches} of ${a.length} elements differ beyond atol=${options.atol ?? 1e-4} rtol=${options.rtol ?? 1e-4}; first ${at(report.firstMismatch)}; worst ${at(report.worstMismatch)}; max |diff| ${report.maxAbsDiff}`,
  );
}
