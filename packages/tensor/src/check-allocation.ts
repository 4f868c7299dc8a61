/**
 * checkAllocation: the one memory cap of convkit's CPU buffers. A buffer of more than
 * MAX_BUFFER_ELEMENTS float32 elements (4 GiB) is refused with a ResourceError naming the op,
 * the buffer and its shape, before anything is allocated: a typed array that large either
 * fails deep inside V8 with a RangeError or exhausts the machine's memory.
 */
import { formatShape, ResourceError } from './errors';
import { shapeSize } from './shape';

/** 2^30 elements: 4 GiB of float32. */
export const MAX_BUFFER_ELEMENTS = 2 ** 30;

/** Throws a ResourceError when a buffer of this shape would exceed MAX_BUFFER_ELEMENTS. */
export function checkAllocation(op: string, what: string, shape: readonly number[]): void {
  const elements = shapeSize(shape);
  if (elements > MAX_BUFFER_ELEMENTS) {
    const gib = (elements * 4) / 2 ** 30;
    throw new ResourceError(
      `${op}: ${what} ${formatShape(shape)} would hold ${elements.toExponential(3)} float32 elements (${gib.toFixed(1)} GiB), above the cap of 2^30 elements (4 GiB); use a smaller input or padding`,
    );
  }
}
