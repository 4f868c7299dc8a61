/**
 * checkAllocation: the one place every convkit buffer is checked against the memory budget
 * (`getMemoryLimit()`, 2 GiB per buffer by default) before it is allocated. Over it, a
 * ResourceError names the op, the buffer and its shape, says how many bytes were asked and
 * how to raise the limit.
 */
import { describeValue } from './describe-value';
import { ArgumentError, formatShape, ResourceError } from './errors';
import { getMemoryLimit } from './memory-limit';

/**
 * 2^30 elements: the largest buffer a typed array holds safely in every engine, whatever the
 * memory limit (a limit above 4 GiB of float32 still stops here).
 */
export const MAX_BUFFER_ELEMENTS = 2 ** 30;

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 40) return `${(bytes / 2 ** 40).toFixed(1)} TiB`;
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * Throws a ResourceError when a buffer of this shape (elements of `bytesPerElement` bytes,
 * 4 for float32) would exceed the memory limit or MAX_BUFFER_ELEMENTS, or when the shape
 * is not a list of non-negative integers. Returns the element count.
 * `conv2d: output [1, 1, 30029, 30029] needs 3.4 GiB (9.018e+8 float32 elements), above the
 * memory limit of 2.0 GiB per buffer; use a smaller input, or raise the limit with setMemoryLimit(bytes)`
 */
export function checkAllocation(
  op: string,
  what: string,
  shape: readonly number[],
  bytesPerElement = 4,
): number {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: ${what} shape must be an array of sizes, got ${describeValue(shape)}`);
  }
  let elements = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || Number.isNaN(d) || d < 0) {
      throw new ArgumentError(`${op}: ${what} shape ${formatShape(shape)} must hold non-negative integers`);
    }
    elements *= d;
  }
  // Every op checks its buffers on every call: the shape is formatted only for a message.
  if (fitsBudget(elements, bytesPerElement)) return elements;
  return checkAllocationBytes(op, `${what} ${formatShape(shape)}`, elements, bytesPerElement);
}

/** True when a buffer of `elements` (a checked count) of valid `bytesPerElement` fits every limit. */
function fitsBudget(elements: number, bytesPerElement: unknown): boolean {
  if (typeof bytesPerElement !== 'number' || !(bytesPerElement >= 0)) return false;
  return elements * bytesPerElement <= getMemoryLimit() && elements <= MAX_BUFFER_ELEMENTS;
}

/**
 * checkAllocation for a buffer known by its element count (a WebAssembly memory, a byte
 * buffer): throws the same ResourceError, naming `what`. Returns the element count.
 */
export function checkAllocationBytes(
  op: string,
  what: string,
  elements: number,
  bytesPerElement = 4,
): number {
  checkCount(op, what, 'elements', elements);
  checkCount(op, what, 'bytesPerElement', bytesPerElement);
  const bytes = elements * bytesPerElement;
  const limit = getMemoryLimit();
  const unit = bytesPerElement === 4 ? 'float32 elements' : `elements of ${bytesPerElement} bytes`;
  if (!Number.isFinite(bytes) || bytes > limit) {
    throw new ResourceError(
      `${op}: ${what} needs ${Number.isFinite(bytes) ? formatBytes(bytes) : 'an unbounded amount of memory'} (${elements.toExponential(3)} ${unit}), above the memory limit of ${formatBytes(limit)} per buffer; use a smaller input, or raise the limit with setMemoryLimit(bytes) from @convkit/tensor`,
    );
  }
  if (elements > MAX_BUFFER_ELEMENTS) {
    throw new ResourceError(
      `${op}: ${what} needs ${elements.toExponential(3)} ${unit}, above the 2^30 elements one typed array can hold; use a smaller input`,
    );
  }
  return elements;
}

function checkCount(op: string, what: string, name: string, v: number): void {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
    throw new ArgumentError(`${op}: ${what}: ${name} must be a non-negative number, got ${describeValue(v)}`);
  }
}
