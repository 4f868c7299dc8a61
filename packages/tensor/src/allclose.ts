/**
 * Closeness checks in the numpy/PyTorch sense: |a - b| <= atol + rtol * |b|, NaN equal to
 * NaN only where asked, infinities equal when they match. `assertClose` throws with the
 * first and the worst mismatch, for tests.
 */
import { checkTensorLayout } from './check-tensor-layout';
import { describeValue } from './describe-value';
import { ArgumentError, formatShape, ShapeError } from './errors';
import { optionBoolean, optionNumber, optionString, readOptions } from './read-options';
import { sameShape } from './shape';
import { Tensor } from './tensor';

export interface CloseOptions {
  /** Absolute tolerance (default 1e-4, the convkit contract). */
  atol?: number;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
  /** Treat NaN as equal to NaN (default true). */
  equalNan?: boolean;
}

type Values = Tensor | ArrayLike<number>;

/** The values to compare, flat: a Tensor (of any copy of the package), a typed array or an array of numbers. */
function flat(op: string, name: string, v: unknown): { values: ArrayLike<number>; shape: readonly number[] } {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && 'shape' in v) {
    const t = v as Tensor;
    checkTensorLayout(op, name, t.data, t.shape, t.strides, t.offset);
    const local = v instanceof Tensor ? v : new Tensor(t.data, [...t.shape], [...t.strides], t.offset);
    return { values: local.toFloat32Array(), shape: local.shape };
  }
  if (
    ArrayBuffer.isView(v) &&
    !(v instanceof DataView) &&
    !(v instanceof BigInt64Array) &&
    !(v instanceof BigUint64Array)
  ) {
    return { values: v as unknown as ArrayLike<number>, shape: [(v as unknown as ArrayLike<number>).length] };
  }
  if (Array.isArray(v)) {
    const bad = v.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) {
      throw new ArgumentError(
        `${op}: ${name} must hold numbers, got ${describeValue(v[bad])} at index ${bad}`,
      );
    }
    return { values: v, shape: [v.length] };
  }
  throw new ArgumentError(
    `${op}: ${name} must be a Tensor, a typed array or an array of numbers, got ${describeValue(v)}`,
  );
}

const CLOSE_OPTION_KEYS = ['atol', 'rtol', 'equalNan'] as const;

/** The tolerances, read and checked: finite, non-negative numbers (NaN would make every check false). */
function readTolerances(
  op: string,
  options: unknown,
  keys: readonly string[] = CLOSE_OPTION_KEYS,
): { atol: number; rtol: number; equalNan: boolean; label: string | undefined } {
  const o = readOptions(op, options, keys);
  return {
    atol: optionNumber(op, 'atol', o.atol, 1e-4, { min: 0 }),
    rtol: optionNumber(op, 'rtol', o.rtol, 1e-4, { min: 0 }),
    equalNan: optionBoolean(op, 'equalNan', o.equalNan, true),
    label: optionString(op, 'label', o.label, undefined),
  };
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
export function compareClose(actual: Values, expected: Values, options?: CloseOptions): CloseReport {
  return compareWith('compareClose', actual, expected, readTolerances('compareClose', options));
}

function compareWith(
  op: string,
  actual: unknown,
  expected: unknown,
  tolerances: { atol: number; rtol: number; equalNan: boolean },
): CloseReport {
  const { atol, rtol, equalNan } = tolerances;
  const a = flat(op, 'actual', actual);
  const b = flat(op, 'expected', expected);
  const shapesFit =
    a.values.length === b.values.length &&
    (a.shape.length === 1 || b.shape.length === 1 || sameShape(a.shape, b.shape));
  if (!shapesFit) {
    throw new ShapeError(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
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
  return compareWith('allclose', actual, expected, readTolerances('allclose', options)).ok;
}

/** Largest absolute elementwise difference (NaN if any pair differs in NaN-ness). */
export function maxAbsDiff(actual: Values, expected: Values): number {
  const a = flat('maxAbsDiff', 'actual', actual).values;
  const b = flat('maxAbsDiff', 'expected', expected).values;
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
  options?: CloseOptions & { label?: string },
): void {
  const tolerances = readTolerances('assertClose', options, [...CLOSE_OPTION_KEYS, 'label']);
  const report = compareWith('assertClose', actual, expected, tolerances);
  if (report.ok) return;
  const a = flat('assertClose', 'actual', actual).values;
  const b = flat('assertClose', 'expected', expected).values;
  const at = (i: number) => `[${i}] got ${a[i]} expected ${b[i]}`;
  throw new Error(
    `${tolerances.label ?? 'assertClose'}: ${report.mismatches} of ${a.length} elements differ beyond atol=${tolerances.atol} rtol=${tolerances.rtol}; first ${at(report.firstMismatch)}; worst ${at(report.worstMismatch)}; max |diff| ${report.maxAbsDiff}`,
  );
}
