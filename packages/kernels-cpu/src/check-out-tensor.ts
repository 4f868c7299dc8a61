/**
 * checkOutTensor: the checks of an op that writes its result into a caller's tensor
 * (convInto's `out`, convBackward's `inputGradientInto`). The tensor must be a float32
 * Tensor of exactly the result's shape, contiguous (the kernels write one row-major block),
 * and share no memory with the operands the op reads: a kernel may still read an operand
 * after it has begun writing its result. Returns the row-major block the result goes to.
 */
import { ArgumentError, describeValue, formatShape, isTensor, type Tensor } from '@convkit/tensor';

/** The byte range [start, end) of `data` that a view with these shape, strides and offset reaches. */
function byteRange(
  data: Float32Array,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): [number, number] | null {
  let low = offset;
  let high = offset;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 0) return null;
    const reach = (size - 1) * strides[d]!;
    if (reach < 0) low += reach;
    else high += reach;
  }
  return [data.byteOffset + low * 4, data.byteOffset + (high + 1) * 4];
}

/** True when two ranges of the same ArrayBuffer share at least one byte. */
function rangesOverlap(
  a: ArrayBufferLike,
  aRange: [number, number] | null,
  b: ArrayBufferLike,
  bRange: [number, number] | null,
): boolean {
  if (a !== b || aRange === null || bRange === null) return false;
  return aRange[0] < bRange[1] && bRange[0] < aRange[1];
}

/** True when the elements of two Float32Arrays share memory. */
export function arraysOverlap(a: Float32Array, b: Float32Array): boolean {
  const range = (x: Float32Array): [number, number] | null =>
    x.length === 0 ? null : [x.byteOffset, x.byteOffset + x.byteLength];
  return rangesOverlap(a.buffer, range(a), b.buffer, range(b));
}

/**
 * Checks `out` (the argument `argument` of `op`) against the result's `shape` (described as
 * `what`, e.g. "the output's shape") and the tensors the op reads (name -> tensor, nulls
 * skipped). Throws an ArgumentError that names the op, the argument, what was expected and
 * what came. Returns the subarray of `out.data` the result is written to.
 */
export function checkOutTensor(
  op: string,
  argument: string,
  out: unknown,
  shape: readonly number[],
  what: string,
  operands: Readonly<Record<string, Tensor | null | undefined>>,
): Float32Array {
  const expected = `a contiguous float32 Tensor of shape ${formatShape(shape)} (${what})`;
  if (!isTensor(out)) {
    const data = (out as { data?: unknown } | null)?.data;
    const hint =
      out instanceof Float64Array || data instanceof Float64Array
        ? ': the kernels write float32; allocate it with zeros(shape) or new Tensor(new Float32Array(size), shape)'
        : '';
    const got =
      typeof out === 'object' && out !== null && !ArrayBuffer.isView(out) && data !== undefined
        ? `an object whose data is ${describeValue(data)}`
        : describeValue(out);
    throw new ArgumentError(`${op}: ${argument} must be ${expected}, got ${got}${hint}`);
  }
  const sameShape = out.shape.length === shape.length && out.shape.every((s, d) => s === shape[d]);
  if (!sameShape) {
    throw new ArgumentError(
      `${op}: ${argument} must be ${expected}, got a Tensor of shape ${formatShape(out.shape)}`,
    );
  }
  let expectedStride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && out.strides[d] !== expectedStride) {
      throw new ArgumentError(
        `${op}: ${argument} must be ${expected}, got a non-contiguous view (strides ${formatShape(out.strides)}); pass a contiguous tensor (a fresh one, or out.contiguous() and read the result from what is returned)`,
      );
    }
    expectedStride *= shape[d]!;
  }
  const outRange = byteRange(out.data, out.shape, out.strides, out.offset);
  for (const [name, operand] of Object.entries(operands)) {
    if (operand === null || operand === undefined) continue;
    const range = byteRange(operand.data, operand.shape, operand.strides, operand.offset);
    if (rangesOverlap(out.data.buffer, outRange, operand.data.buffer, range)) {
      throw new ArgumentError(
        `${op}: ${argument} must not share memory with ${name}, got a Tensor whose elements overlap ${name}'s; pass a separate buffer`,
      );
    }
  }
  return out.data.subarray(out.offset, out.offset + expectedStride);
}
