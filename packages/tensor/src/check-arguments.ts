/**
 * Argument checks shared by every convkit op, before any geometry is built: that a value is a
 * Tensor (of this or another copy of the package) whose description is valid, and that an
 * options object holds only known keys, so a misspelt option (`padding_mode`) is refused
 * instead of silently ignored. Each throws a typed error naming the op, the argument, what
 * was expected and what came.
 */
import { checkTensorLayout } from './check-tensor-layout';
import { describeValue } from './describe-value';
import { ArgumentError } from './errors';
import { readOptions } from './read-options';
import { Tensor } from './tensor';

export { describeValue } from './describe-value';

/**
 * True for a Tensor of this package or of another copy of @convkit/tensor (where
 * `instanceof` would say false): data, shape, strides, offset and the view methods. Says
 * nothing about whether the parts agree: `checkTensor` and `readTensor` check that.
 */
export function isTensor(value: unknown): value is Tensor {
  if (value instanceof Tensor) return true;
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<Tensor>;
  return (
    t.data instanceof Float32Array &&
    Array.isArray(t.shape) &&
    Array.isArray(t.strides) &&
    typeof t.offset === 'number' &&
    typeof t.permute === 'function' &&
    typeof t.contiguous === 'function' &&
    typeof t.toFloat32Array === 'function'
  );
}

/**
 * Throws unless `value` is a Tensor whose data, shape, strides and offset agree (a foreign
 * tensor-like whose data is shorter than its shape is refused): an ArgumentError
 * `conv2d: weight must be a Tensor, got number 3`, or a ShapeError for a broken description.
 */
export function checkTensor(op: string, name: string, value: unknown): asserts value is Tensor {
  if (!isTensor(value)) {
    throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describeValue(value)}`);
  }
  checkTensorLayout(op, name, value.data, value.shape, value.strides, value.offset);
}

/**
 * `checkTensor`, then the tensor as one of this package's own: a foreign tensor-like (from
 * another copy of @convkit/tensor) is re-described by a local Tensor over the same data, so
 * that none of its own methods run afterwards.
 */
export function readTensor(op: string, name: string, value: unknown): Tensor {
  checkTensor(op, name, value);
  if (value instanceof Tensor) return value;
  const foreign = value as Tensor;
  return new Tensor(foreign.data, [...foreign.shape], [...foreign.strides], foreign.offset);
}

/**
 * Throws an ArgumentError unless `options` is undefined, null or a plain object whose own
 * keys (with a value other than undefined or null) are all in `known`. The same check as
 * `readOptions`, for callers that read the values themselves.
 */
export function checkOptionKeys(op: string, options: unknown, known: readonly string[]): void {
  readOptions(op, options, known);
}
