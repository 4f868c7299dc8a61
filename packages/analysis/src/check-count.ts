/**
 * checkCount: every count analysis reports (parameters, buffers, MACs, FLOPs, bytes, shape
 * entries) must be exact: a safe integer. Sizes near 1e308 would otherwise give Infinity or
 * counts rounded to the nearest 2^k; refuse them with a ShapeError that names the module.
 */
import { ShapeError } from '@convkit/tensor';

/** Returns `value` when it is a non-negative safe integer, else throws a ShapeError naming `what`. */
export function checkCount(label: string, what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ShapeError(
      `${label}: ${what} would be ${value}, beyond the 2^53 below which counts are exact; the sizes are too large`,
    );
  }
  return value;
}

/** Throws a ShapeError unless `value` is a finite number (receptive fields, ratios). */
export function checkFinite(label: string, what: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new ShapeError(`${label}: ${what} would be ${value}; the sizes are too large to compute it`);
  }
  return value;
}
