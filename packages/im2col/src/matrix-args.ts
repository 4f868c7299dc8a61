/**
 * The checks and the size cap shared by convMatrix and convTransposeMatrix: dense matrices
 * grow as (channels * spatial)^2, so a modest layer would need gigabytes; refuse instead.
 */
import { ArgumentError, formatShape, ResourceError, ShapeError, Tensor } from '@convkit/tensor';

/** Default cap on the elements of a convolution matrix: 2^24 floats, 64 MiB. */
export const DEFAULT_MAX_MATRIX_ELEMENTS = 2 ** 24;

/** Checks the arguments common to convMatrix and convTransposeMatrix. */
export function checkMatrixArgs(
  op: string,
  weight: Tensor,
  inputSpatial: readonly number[],
  options: { maxElements?: number; bias?: Tensor | null },
): number {
  if (!(weight instanceof Tensor)) throw new ArgumentError(`${op}: weight must be a Tensor`);
  if (weight.rank < 3 || weight.rank > 5) {
    throw new ShapeError(
      `${op}: weight must have rank 3, 4 or 5 ([channels, channels/groups, ...kernel]), got shape ${formatShape(weight.shape)}`,
    );
  }
  if (!Array.isArray(inputSpatial) || inputSpatial.length !== weight.rank - 2) {
    throw new ShapeError(
      `${op}: inputSpatial must list ${weight.rank - 2} sizes (one per kernel dim of weight ${formatShape(weight.shape)}), got ${Array.isArray(inputSpatial) ? formatShape(inputSpatial) : String(inputSpatial)}`,
    );
  }
  if (options.bias !== undefined && options.bias !== null) {
    throw new ArgumentError(
      `${op}: bias is not part of the matrix (y = C x is linear); add the bias to C x yourself`,
    );
  }
  const maxElements = options.maxElements ?? DEFAULT_MAX_MATRIX_ELEMENTS;
  if (typeof maxElements !== 'number' || Number.isNaN(maxElements) || maxElements < 0) {
    throw new ArgumentError(`${op}: maxElements must be a non-negative number, got ${maxElements}`);
  }
  return maxElements;
}

/** Throws a ResourceError when a rows x cols float32 matrix exceeds the cap. */
export function checkMatrixSize(op: string, rows: number, cols: number, maxElements: number): void {
  const elements = rows * cols;
  if (elements > maxElements) {
    const mib = ((elements * Float32Array.BYTES_PER_ELEMENT) / 2 ** 20).toFixed(1);
    throw new ResourceError(
      `${op}: the matrix would be [${rows}, ${cols}] = ${elements} elements (${mib} MiB), above maxElements = ${maxElements}; it is meant for small teaching sizes (raise maxElements to allow it)`,
    );
  }
}
