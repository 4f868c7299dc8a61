/**
 * The checks and the size cap shared by convMatrix and convTransposeMatrix: dense matrices
 * grow as (channels * spatial)^2, so a modest layer would need gigabytes; refuse instead.
 * Arguments are checked first (checkMatrixArgs, before the geometry is built), sizes last
 * (checkMatrixSize), so a bad argument is never reported as a size.
 */
import {
  ArgumentError,
  checkAllocation,
  formatShape,
  type OptionRecord,
  optionEnum,
  optionNumber,
  ResourceError,
  readOptions,
  readTensor,
  ShapeError,
  type Tensor,
} from '@convkit/tensor';
import { plural } from './plural';

/** Default cap on the elements of a convolution matrix: 2^24 floats, 64 MiB. */
export const DEFAULT_MAX_MATRIX_ELEMENTS = 2 ** 24;

/** What checkMatrixArgs returns: the cap, the options as read, and the weight as a local Tensor. */
export interface MatrixCall {
  maxElements: number;
  options: OptionRecord<string>;
  weight: Tensor;
}

/**
 * Checks the arguments common to convMatrix and convTransposeMatrix (`knownKeys`: the exact
 * option keys of the op) and returns them read (own keys only; null means default).
 */
export function checkMatrixArgs(
  op: string,
  weightArg: unknown,
  inputSpatial: readonly number[],
  options: unknown,
  knownKeys: readonly string[],
): MatrixCall {
  const weight = readTensor(op, 'weight', weightArg);
  const opts: OptionRecord<string> = readOptions(op, options, knownKeys);
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
  if (opts.bias !== undefined) {
    throw new ArgumentError(
      `${op}: bias is not part of the matrix (y = C x is linear); add the bias to C x yourself`,
    );
  }
  optionEnum(op, 'layout', opts.layout, ['channels-first', 'channels-last'], undefined);
  // Infinity lifts this cap (the memory limit still applies).
  const maxElements =
    opts.maxElements === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : optionNumber(op, 'maxElements', opts.maxElements, DEFAULT_MAX_MATRIX_ELEMENTS, { min: 0 });
  return { maxElements, options: opts, weight };
}

/**
 * Throws a ResourceError when a rows x cols float32 matrix exceeds the cap, or (with the cap
 * raised) the memory limit of every convkit buffer (setMemoryLimit in @convkit/tensor).
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
