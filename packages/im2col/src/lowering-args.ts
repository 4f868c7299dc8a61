/**
 * The arguments shared by the allocation-free lowering loops `im2colInto` and
 * `col2imAccumulate`, and their one-time checks. A call handles one sample, a range of its
 * input channels (one group's, say) and a range of its output positions (a tile of columns):
 *
 *   columns[columnsOffset + row * columnsRowStride + j]
 *     row = (c - channelStart) * prod(kernelSize) + tap   (tap in C order over the kernel dims)
 *     j   = (output position) - columnStart               (output position in C order)
 *   input[inputOffset + c * inputStrides[0] + i_1 * inputStrides[1] + ...]
 *
 * so a tile is the [channelCount * prod(k), columnCount] block of torch unfold's
 * [C * prod(k), L] matrix, and the full call (all channels, all columns) is unfold itself.
 * With `tapStart`/`tapCount` a tile holds only the taps [tapStart, tapStart + tapCount) of
 * each channel (row = (c - channelStart) * tapCount + tap - tapStart): the tiling over kernel
 * taps used when one whole column does not fit the tile budget.
 */
import {
  ArgumentError,
  type ConvGeometry,
  contiguousStrides,
  describeValue,
  formatShape,
  formatValue,
  readOptions,
  UnsupportedError,
} from '@convkit/tensor';
import { checkGeometry } from './check-geometry';
import { sourceIndexTables } from './padded-source-index';

export interface LoweringArgs {
  /** The convolution's geometry (paddingMode and layout included). */
  geometry: ConvGeometry;
  /** One sample's input-shaped data: read by im2colInto, accumulated into by col2imAccumulate. */
  input: Float32Array;
  /** Index in `input` of the sample's element at channel 0 and spatial position 0 (default 0). */
  inputOffset?: number;
  /**
   * Element strides of `input`: [channel, ...spatial] (default: contiguous in
   * geometry.layout, so channels-last input needs nothing extra). Non-negative.
   */
  inputStrides?: readonly number[];
  /** The column tile: written by im2colInto, read by col2imAccumulate. */
  columns: Float32Array;
  /** Index in `columns` of the tile's first element (default 0). */
  columnsOffset?: number;
  /** Distance between consecutive rows of the tile in `columns` (default columnCount). */
  columnsRowStride?: number;
  /** First output position (column) of the tile (default 0). */
  columnStart?: number;
  /** Number of columns in the tile (default: the rest of prod(outputSpatial)). */
  columnCount?: number;
  /** First input channel (default 0). */
  channelStart?: number;
  /** Number of input channels (default: the rest of inChannels). */
  channelCount?: number;
  /** First kernel tap (row-major over kernelSize) of each channel's rows (default 0). */
  tapStart?: number;
  /** Number of kernel taps per channel (default: the rest of prod(kernelSize)). */
  tapCount?: number;
}

/** The arguments with defaults filled and everything widened to three spatial dims. */
export interface ResolvedLowering {
  input: Float32Array;
  inputOffset: number;
  channelStride: number;
  /** Spatial strides [D, H, W]; a missing leading dim has stride 0 and size 1. */
  spatialStrides: readonly [number, number, number];
  columns: Float32Array;
  columnsOffset: number;
  columnsRowStride: number;
  columnStart: number;
  columnCount: number;
  channelStart: number;
  channelCount: number;
  tapStart: number;
  tapCount: number;
  kernel: readonly [number, number, number];
  output: readonly [number, number, number];
  /** Source index tables per dim (see sourceIndexTables); a missing dim reads index 0. */
  tables: readonly [Int32Array, Int32Array, Int32Array];
}

/** Every key of LoweringArgs (the compiler checks the list is exact). */
const LOWERING_ARG_KEYS = Object.keys({
  geometry: true,
  input: true,
  inputOffset: true,
  inputStrides: true,
  columns: true,
  columnsOffset: true,
  columnsRowStride: true,
  columnStart: true,
  columnCount: true,
  channelStart: true,
  channelCount: true,
  tapStart: true,
  tapCount: true,
} satisfies Record<keyof LoweringArgs, true>);

const UNIT_TABLE = new Int32Array([0]);

function integerIn(op: string, name: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < low || value > high) {
    throw new ArgumentError(
      `${op}: ${name} must be an integer in [${low}, ${high}], got ${formatValue(value)}`,
    );
  }
  return value;
}

/**
 * Throws when `input` and `columns` share memory in the ranges the call touches: the loops
 * would read what they have just written (im2colInto) or accumulate into what they read
 * (col2imAccumulate), and return wrong numbers.
 */
function checkNoAliasing(
  op: string,
  input: Float32Array,
  inputRange: readonly [number, number],
  columns: Float32Array,
  columnsRange: readonly [number, number],
): void {
  if (input.buffer !== columns.buffer) return;
  const bytes = Float32Array.BYTES_PER_ELEMENT;
  const inputStart = input.byteOffset + inputRange[0] * bytes;
  const inputEnd = input.byteOffset + (inputRange[1] + 1) * bytes;
  const columnsStart = columns.byteOffset + columnsRange[0] * bytes;
  const columnsEnd = columns.byteOffset + (columnsRange[1] + 1) * bytes;
  if (inputStart < columnsEnd && columnsStart < inputEnd) {
    throw new ArgumentError(
      `${op}: input and columns must not overlap, got views of one buffer sharing bytes [${Math.max(inputStart, columnsStart)}, ${Math.min(inputEnd, columnsEnd)}); pass separate buffers`,
    );
  }
}

/** Checks the arguments once per call, so the loops themselves never index out of range. */
export function resolveLowering(op: string, rawArgs: LoweringArgs): ResolvedLowering {
  if (rawArgs === undefined || rawArgs === null) {
    throw new ArgumentError(
      `${op}: args { geometry, input, columns, ... } must be a plain object, got ${describeValue(rawArgs)}`,
    );
  }
  const args = readOptions(op, rawArgs, LOWERING_ARG_KEYS as (keyof LoweringArgs)[], 'args') as Partial<
    Record<keyof LoweringArgs, unknown>
  >;
  const geometry = args.geometry as ConvGeometry;
  checkGeometry(op, geometry);
  if (geometry.transposed) {
    throw new ArgumentError(
      `${op}: geometry is a transposed convolution's (${geometry.op}); lower with the geometry of the convolution it transposes (its outputSpatial as inputSpatial), whose col2im is the transposed convolution`,
    );
  }
  if (geometry.offsetGroups > 0) {
    throw new UnsupportedError(
      `${op}: geometry is a deformable convolution's (${geometry.op}); its columns sample at offsets, which this lowering does not do`,
    );
  }
  if (geometry.ceilMode && geometry.paddingMode !== 'zeros') {
    throw new UnsupportedError(
      `${op}: ceilMode windows may run past the padding, which only paddingMode 'zeros' defines; got '${geometry.paddingMode}'`,
    );
  }
  for (const name of ['input', 'columns'] as const) {
    if (!(args[name] instanceof Float32Array)) {
      throw new ArgumentError(`${op}: ${name} must be a Float32Array, got ${describeValue(args[name])}`);
    }
  }
  const input = args.input as Float32Array;
  const columnsArray = args.columns as Float32Array;
  const { dims, inChannels, inputSpatial, outputVolume, kernelVolume } = geometry;

  const columnStart = integerIn(op, 'columnStart', args.columnStart ?? 0, 0, outputVolume);
  const columnCount = integerIn(
    op,
    'columnCount',
    args.columnCount ?? outputVolume - columnStart,
    0,
    outputVolume - columnStart,
  );
  const channelStart = integerIn(op, 'channelStart', args.channelStart ?? 0, 0, inChannels);
  const channelCount = integerIn(
    op,
    'channelCount',
    args.channelCount ?? inChannels - channelStart,
    0,
    inChannels - channelStart,
  );
  const tapStart = integerIn(op, 'tapStart', args.tapStart ?? 0, 0, kernelVolume);
  const tapCount = integerIn(
    op,
    'tapCount',
    args.tapCount ?? kernelVolume - tapStart,
    0,
    kernelVolume - tapStart,
  );
  const columnsOffset = integerIn(op, 'columnsOffset', args.columnsOffset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const columnsRowStride = integerIn(
    op,
    'columnsRowStride',
    args.columnsRowStride ?? columnCount,
    columnCount,
    Number.MAX_SAFE_INTEGER,
  );
  const inputOffset = integerIn(op, 'inputOffset', args.inputOffset ?? 0, 0, Number.MAX_SAFE_INTEGER);

  let strides: number[];
  if (args.inputStrides === undefined) {
    const spatial = contiguousStrides(inputSpatial);
    strides =
      geometry.layout === 'channels-first'
        ? [geometry.inputVolume, ...spatial]
        : [1, ...spatial.map((s) => s * inChannels)];
  } else {
    if (
      !Array.isArray(args.inputStrides) ||
      args.inputStrides.length !== dims + 1 ||
      args.inputStrides.some((s) => typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0)
    ) {
      throw new ArgumentError(
        `${op}: inputStrides must be ${dims + 1} non-negative integers ([channel, ...spatial]), got ${formatValue(args.inputStrides)}`,
      );
    }
    strides = [...(args.inputStrides as number[])];
  }

  const rows = channelCount * tapCount;
  if (rows > 0 && columnCount > 0) {
    const lastColumns = columnsOffset + (rows - 1) * columnsRowStride + columnCount - 1;
    if (lastColumns >= columnsArray.length) {
      throw new ArgumentError(
        `${op}: columns holds ${columnsArray.length} elements but the tile [${rows}, ${columnCount}] at offset ${columnsOffset} with row stride ${columnsRowStride} reaches index ${lastColumns}`,
      );
    }
    let lastInput = inputOffset + (channelStart + channelCount - 1) * strides[0]!;
    for (let d = 0; d < dims; d++) lastInput += (inputSpatial[d]! - 1) * strides[d + 1]!;
    if (lastInput >= input.length) {
      throw new ArgumentError(
        `${op}: input holds ${input.length} elements but channels [${channelStart}, ${channelStart + channelCount}) of spatial size ${formatShape(inputSpatial)} with strides ${formatShape(strides)} at offset ${inputOffset} reach index ${lastInput}`,
      );
    }
    checkNoAliasing(op, input, [inputOffset, lastInput], columnsArray, [columnsOffset, lastColumns]);
  }

  const tables = sourceIndexTables(geometry, op);
  const pad = 3 - dims;
  const widen = <T>(values: readonly T[], fill: T): [T, T, T] =>
    [...new Array<T>(pad).fill(fill), ...values] as [T, T, T];
  return {
    input,
    inputOffset,
    channelStride: strides[0]!,
    spatialStrides: widen(strides.slice(1), 0),
    columns: columnsArray,
    columnsOffset,
    columnsRowStride,
    columnStart,
    columnCount,
    channelStart,
    channelCount,
    tapStart,
    tapCount,
    kernel: widen(geometry.kernelSize, 1),
    output: widen(geometry.outputSpatial, 1),
    tables: widen(tables, UNIT_TABLE),
  };
}
