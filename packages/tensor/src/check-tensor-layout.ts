/**
 * checkTensorLayout: the invariants of a tensor's description, checked by the Tensor
 * constructor and by every public function that receives a tensor (a tensor-like object from
 * another copy of the package included): data is a Float32Array, the shape holds
 * non-negative safe integers, the strides one integer per dim, the offset a non-negative
 * integer, and every element the view reaches lies inside the data.
 */
import { describeValue, formatValue } from './describe-value';
import { ArgumentError, formatShape, ShapeError } from './errors';

/**
 * Throws an ArgumentError or ShapeError naming `op` and `name` (e.g. 'conv2d', 'input'; an
 * empty name for the constructor) unless the four parts describe a valid view.
 */
export function checkTensorLayout(
  op: string,
  name: string,
  data: unknown,
  shape: unknown,
  strides: unknown,
  offset: unknown,
): void {
  const of = name ? `${name} ` : '';
  if (!(data instanceof Float32Array)) {
    throw new ArgumentError(
      `${op}: ${of}data must be a Float32Array (convkit computes in float32), got ${describeValue(data)}; use tensor(values, shape) to convert`,
    );
  }
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: ${of}shape must be an array of sizes, got ${formatValue(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(`${op}: ${of}shape ${formatValue(shape)} must hold non-negative integers`);
    }
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new ArgumentError(`${op}: ${of}offset must be a non-negative integer, got ${formatValue(offset)}`);
  }
  if (!Array.isArray(strides) || strides.some((s) => typeof s !== 'number' || !Number.isSafeInteger(s))) {
    throw new ArgumentError(`${op}: ${of}strides must be integers, got ${formatValue(strides)}`);
  }
  if (strides.length !== shape.length) {
    throw new ShapeError(
      `${op}: ${of}strides ${formatShape(strides)} must have one entry per dimension of shape ${formatShape(shape)}`,
    );
  }
  let size = 1;
  for (const d of shape as number[]) size *= d;
  if (size > 0) {
    // The largest and smallest flat index reachable must lie inside the buffer.
    let lo = offset;
    let hi = offset;
    for (let i = 0; i < shape.length; i++) {
      const reach = ((shape[i] as number) - 1) * (strides[i] as number);
      if (reach > 0) hi += reach;
      else lo += reach;
    }
    if (lo < 0 || hi >= data.length) {
      throw new ShapeError(
        `${op}: ${of}shape ${formatShape(shape)} with strides ${formatShape(strides)} and offset ${offset} reaches index ${lo < 0 ? lo : hi}, outside data of length ${data.length}`,
      );
    }
  }
}
