/**
 * The checks and the size cap shared by convMatrix and convTransposeMatrix: dense matrices
 * grow as (channels * spatial)^2, so a modest layer would need gigabytes; refuse instead.
 * Arguments are checked first (checkMatrixArgs, before the geometry is built), sizes last
 * (checkMatrixSize), so a bad argument is never reported as a size.
 */
import {
  ArgumentError,
  checkAllocation,
  checkOptionKeys,
  checkTensor,
  formatShape,
  ResourceError,
  ShapeError,
  type Tensor,
} from '@convkit/tensor';
import { plural } from './plural';

/** Default cap on the elements of a convolution matrix: 2^24 floats, 64 MiB. */
export const DEFAULT_MAX_MATRIX_ELEMENTS = 2 ** 24;

/** The options both matrices read here; the rest go to the geometry. */
interface MatrixArgs {
  maxElements?: number;
  bias?: Tensor | null;
  layout?: string;
}

/**
 * Checks the arguments common to convMatrix and convTransposeMatrix (`knownKeys`: the exact
 * option keys of the op) and returns maxElements.
 */
export function checkMatrixArgs(
  op: string,
  weight: Tensor,
  inputSpatial: readonly number[],
  options: MatrixArgs,
  knownKeys: readonly string[],
): number {
  checkTensor(op, 'weight', weight);
  checkOptionKeys(op, options, knownKeys);
  // shape.length, not rank: a tensor from another copy of the package may be a plain object.
  const rank = weight.shape.length;
  if (rank < 3 || rank > 5) {
    throw new ShapeError(
      `${op}: weight must have rank 3, 4 or 5 ([channels, channels/groups, ...kernel]), got shape ${formatShape(weight.shape)}`,
    );
  }
  const dims = rank - 2;
  if (!Array.isArray(inputSpatial) || inputSpatial.length !== dims) {
    throw new ShapeError(
      `${op}: inputSpatial must list ${plural(dims, 'size')} (one per kernel dim of weight ${formatShape(weight.shape)}), got ${Array.isArray(inputSpatial) ? formatShape(inputSpatial) : String(inputSpatial)}`,
    );
  }
  if (options.bias !== undefined && options.bias !== null) {
    throw new ArgumentError(
      `${op}: bias is not part of the matrix (y = C x is linear); add the bias to C x yourself`,
    );
  }
  const { layout } = options;
  if (layout !== undefined && layout !== 'channels-first' && layout !== 'channels-last') {
    throw new ArgumentError(
      `${op}: layout must be 'channels-first' or 'channels-last', got '${String(layout)}'`,
    );
  }
  const maxElements = options.maxElements ?? DEFAULT_MAX_MATRIX_ELEMENTS;
  if (typeof maxElements !== 'number' || Number.isNaN(maxElements) || maxElements < 0) {
    throw new ArgumentError(`${op}: maxElements must be a non-negative number, got ${maxElements}`);
  }
  return maxElements;
}

/**
 * Throws a ResourceError when a rows x cols float32 matrix exceeds the cap, or (with the cap
 * raised) the 2^30-element limit of every convkit buffer.
 */
export function checkMatrixSize(op: string, rows: number, cols: number, maxElements: number): void {
  const elements = rows * cols;
  if (elements > maxElements) {
    const mib = ((elements * Float32Array.BYTES_PER_ELEMENT) / 2 ** 20).toFixed(1);
    throw new ResourceError(
      `${op}: the matrix would be [${rows}, ${cols}] = ${elements} elements (${mib} MiB), above maxElements = ${maxElements}; it is meant for small teaching sizes (raise maxElements to allow it)`,
    );
  }
  checkAllocation(op, 'the matrix', [rows, cols]);
}
