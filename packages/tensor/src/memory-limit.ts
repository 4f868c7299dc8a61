/**
 * The memory budget: one configurable limit on the size of any single buffer convkit allocates
 * (outputs, contiguous copies, factories, lowering tiles, analysis masks, WebAssembly memory).
 * A request above it is refused with a ResourceError (see `checkAllocation`) before anything
 * is allocated, instead of failing deep inside the engine or exhausting the machine. The
 * default, 2 GiB per buffer, is far above what a small CNN needs and below what crashes a
 * 64-bit Node.js or browser tab; raise or lower it with `setMemoryLimit(bytes)`.
 */

import { describeValue } from './describe-value';
import { ArgumentError } from './errors';

/** The default limit: 2 GiB per buffer (2^29 float32 elements). */
export const DEFAULT_MEMORY_LIMIT = 2 ** 31;

let limitBytes = DEFAULT_MEMORY_LIMIT;

/** The current limit, in bytes per buffer. */
export function getMemoryLimit(): number {
  return limitBytes;
}

/**
 * Sets the limit, in bytes per buffer (a positive safe integer, or Infinity for none), and
 * returns the previous one so a caller can restore it. `setMemoryLimit(DEFAULT_MEMORY_LIMIT)`
 * restores the default.
 */
export function setMemoryLimit(bytes: number): number {
  if (
    typeof bytes !== 'number' ||
    !(bytes === Number.POSITIVE_INFINITY || (Number.isSafeInteger(bytes) && bytes > 0))
  ) {
    throw new ArgumentError(
      `setMemoryLimit: bytes must be a positive safe integer (or Infinity for no limit), got ${describeValue(bytes)}`,
    );
  }
  const previous = limitBytes;
  limitBytes = bytes;
  return previous;
}
