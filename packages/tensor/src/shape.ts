/** Small helpers on shapes: element counts and row-major (C-order) strides. */
import { describeValue } from './describe-value';
import { ArgumentError, formatShape, ShapeError } from './errors';

function requireArray(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: shape must be an array of sizes, got ${describeValue(shape)}`);
  }
  if (shape.some((d) => typeof d !== 'number')) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} must hold numbers`);
  }
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function shapeSize(shape: readonly number[]): number {
  requireArray('shapeSize', shape);
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  requireArray('contiguousStrides', shape);
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i]!;
  }
  return strides;
}

/** Throws a ShapeError unless every dimension is a non-negative integer. */
export function checkShape(op: string, name: string, shape: readonly number[]): void {
  requireArray(op, shape);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: ${name} shape ${formatShape(shape)} must hold non-negative integers`);
    }
  }
}

/** True when two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((d, i) => d === b[i]);
}
