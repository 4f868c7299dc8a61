/**
 * The `wasm` algorithm's convolution kernels: the im2col algorithm's products (../im2col) run
 * on the WebAssembly SIMD kernels with the column matrix kept implicit
 * (assembly/im2col-gemm.ts), per sample and group:
 *
 * | op, pass                 | computed as                                                      |
 * | ------------------------ | ---------------------------------------------------------------- |
 * | conv forward             | y[n, g] = bias + W_g · im2col(x[n, g])           (loweredProduct) |
 * | conv gradInput           | gradInput[n, g] = col2im(W_g^T · gradOutput[n, g]) (foldedProduct) |
 * | conv gradWeight          | gradWeight_g = Σ_n gradOutput[n, g] · im2col(x[n, g])^T (columnCorrelation) |
 * | convTranspose forward    | the adjoint convolution's gradInput, + bias                      |
 * | convTranspose gradInput  | the adjoint convolution's forward                                |
 * | convTranspose gradWeight | the adjoint convolution's gradWeight with x and gradOutput swapped |
 *
 * Buffers are channels-first; a call copies its operands into WebAssembly memory once
 * (planHeap), runs, and copies the result out (one fresh copy, made by the typed-array copy
 * constructor). The forward product starts its GEMM tiles from the bias, so its output is
 * never zero-filled, bias-filled or copied in. The kernels pad with zeros; the other padding
 * modes pad the input explicitly first, as PyTorch does (./padded-input.ts).
 * Sums run in float32 inside the 4x8 tiles (the reference sums in float64); the property and
 * golden tests hold them to the package's 1e-4 tolerance.
 */
import { adjointConvGeometry, type ConvGeometry, shapeSize, UnsupportedError } from '@convkit/tensor';
import { fillBias } from '../im2col/fill-bias';
import { liftSizesTo3d, liftTo3d } from '../reference/lift-to-3d';
import {
  implicitInputGradient,
  implicitPlan,
  implicitProduct,
  implicitWeightGradient,
  runSampleProduct,
} from './implicit-conv';
import { foldPaddedGradient, paddedGeometry, padInput } from './padded-input';
import { splitRange } from './split-range';
import { planHeap, viewFloats, writeFloats } from './wasm-heap';
import { type WasmCall, type WasmGlobal, type WasmKernels, wasmKernels, wasmTeam } from './wasm-runtime';
import { biasGradientWinograd } from './winograd-bias-gradient';

/** The raw exports of assembly/im2col-gemm.ts. */
interface Im2colGemmExports {
  loweredProduct(
    params: number,
    m: number,
    depth: number,
    x: number,
    channelStart: number,
    w: number,
    bias: number,
    y: number,
    work: number,
    colFirst: number,
    colEnd: number,
  ): void;
  loweredWorkBytes(m: number, depth: number): number;
  foldedProduct(
    params: number,
    m: number,
    depth: number,
    y: number,
    w: number,
    x: number,
    channelStart: number,
    tileColumns: number,
    tile: number,
    ktab: number,
    work: number,
  ): void;
  columnCorrelation(
    params: number,
    m: number,
    depth: number,
    y: number,
    x: number,
    channelStart: number,
    gw: number,
    temp: number,
    ktab: number,
    work: number,
  ): void;
  GEMM_WORK_BYTES: WasmGlobal;
  KTAB_ENTRY_BYTES: WasmGlobal;
  IM2COL_PARAMS_BYTES: WasmGlobal;
}

/**
 * Bytes of the column tile foldedProduct forms before each scatter: small enough to stay in
 * L2 until it is scattered (4 MiB -> 512 KiB: stem7x7 gradInput 6.02 -> 5.81 ms, c3x3 5.45 ->
 * 5.31, relaxed build, best of 30, one process). A deep layer, whose 512 KiB would hold only a
 * sliver of columns (each tile repacks the weight), gets up to FOLD_MIN_COLUMNS columns within
 * the former 4 MiB, and never fewer than 8.
 */
const FOLD_TILE_BYTES = 512 << 10;
const FOLD_TILE_MAX_BYTES = 4 << 20;
const FOLD_MIN_COLUMNS = 256;

/** Output positions per column tile of foldedProduct (see FOLD_TILE_BYTES). */
function foldTileColumns(depth: number, outputVolume: number): number {
  const columnsIn = (bytes: number) => Math.floor(bytes / 4 / depth / 8) * 8;
  const small = columnsIn(FOLD_TILE_BYTES);
  const columns =
    small >= FOLD_MIN_COLUMNS ? small : Math.min(FOLD_MIN_COLUMNS, columnsIn(FOLD_TILE_MAX_BYTES));
  return Math.max(8, Math.min(outputVolume, columns));
}

function kernelsFor(geometry: ConvGeometry): { kernels: WasmKernels; exports: Im2colGemmExports } {
  const kernels = wasmKernels();
  if (kernels === null) {
    throw new UnsupportedError(
      `${geometry.op}: algorithm 'wasm' is not loaded: this engine has no WebAssembly SIMD, or (on a browser's main thread) await initWasm() first`,
    );
  }
  return { kernels, exports: kernels.exports as unknown as Im2colGemmExports };
}

function global(value: WasmGlobal): number {
  return (value.value as number) >>> 0;
}

/** Writes the parameter block of assembly/im2col-gemm.ts at `at` for `geometry` over a buffer of `bufferSpatial`. */
function writeParams(
  kernels: WasmKernels,
  at: number,
  geometry: ConvGeometry,
  bufferSpatial: readonly number[],
): void {
  const lifted = liftTo3d(geometry);
  const slots = [
    ...lifted.inputSize,
    ...liftSizesTo3d(bufferSpatial, 1),
    ...lifted.outputSize,
    ...lifted.kernelSize,
    ...lifted.stride,
    ...lifted.padBefore,
    ...lifted.dilation,
  ];
  new Int32Array(kernels.memory.buffer, at, slots.length).set(slots);
}

/** Ranges of output positions per thread when a team splits one sample (a few: the threads' speeds vary). */
const RANGES_PER_THREAD = 3;

/** Readable bytes the column gathers may touch past the input buffer (edge loads of a quad). */
const INPUT_SLACK_BYTES = 64;

/**
 * out[n, g] = bias + W_g · im2col(x[n, g]) for a (non-transposed) geometry whose input buffer
 * has `bufferSpatial` (>= the geometry's input per dim); a fresh [N, C_out, ...out] array, or
 * `out` (filled and returned).
 * One copy in per operand and one out: the bias starts the GEMM's accumulators, so the output
 * is never filled, copied in or read before it is written.
 */
function loweredProduct(
  geometry: ConvGeometry,
  input: Float32Array,
  bufferSpatial: readonly number[],
  weight: Float32Array,
  bias: Float32Array | null,
  out?: Float32Array,
): Float32Array {
  const { kernels, exports } = kernelsFor(geometry);
  // Rows long enough for whole panels: the implicit GEMM reads the input in place of gathered panels.
  const plan = implicitPlan(geometry, bufferSpatial);
  if (plan !== null) return implicitProduct(kernels, geometry, plan, input, bufferSpatial, weight, bias, out);
  const { batch, inChannels, outChannels, groups, outputVolume } = geometry;
  const m = geometry.outChannelsPerGroup;
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const sampleIn = inChannels * shapeSize(bufferSpatial);
  const sampleOut = outChannels * outputVolume;
  // A team (a CPU context's threads on this memory) takes samples, or ranges of one sample's
  // output positions; each thread has its own packed weight and panels.
  const team = wasmTeam();
  const chunkCount =
    team === null
      ? 1
      : batch > 1
        ? batch
        : Math.min(Math.floor(outputVolume / 8), RANGES_PER_THREAD * team.threads);
  const threads = team === null || chunkCount < 2 ? 1 : team.threads;
  const workBytes = Math.ceil(exports.loweredWorkBytes(m, depth) / 64) * 64;
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.IM2COL_PARAMS_BYTES),
    x: batch * sampleIn * 4 + INPUT_SLACK_BYTES,
    w: outChannels * depth * 4,
    bias: bias === null ? 0 : outChannels * 4,
    y: batch * sampleOut * 4,
    work: workBytes * threads,
  });
  writeParams(kernels, heap.params, geometry, bufferSpatial);
  writeFloats(kernels, heap.x, input.subarray(0, batch * sampleIn));
  writeFloats(kernels, heap.w, weight.subarray(0, outChannels * depth));
  if (bias !== null) writeFloats(kernels, heap.bias, bias.subarray(0, outChannels));
  /** Sample n's calls, its output positions [j0, j1). */
  const sampleCalls = (n: number, j0: number, j1: number): WasmCall[] => {
    const calls: WasmCall[] = [];
    for (let g = 0; g < groups; g++) {
      calls.push([
        'loweredProduct',
        heap.params,
        m,
        depth,
        heap.x + n * sampleIn * 4,
        g * geometry.inChannelsPerGroup,
        heap.w + g * m * depth * 4,
        bias === null ? 0 : heap.bias + g * m * 4,
        heap.y + (n * sampleOut + g * m * outputVolume) * 4,
        threads > 1 ? { inThread: 0 } : heap.work,
        j0,
        j1,
      ]);
    }
    return calls;
  };
  return runSampleProduct(
    kernels,
    team,
    threads,
    batch,
    { at: heap.y, sampleFloats: sampleOut, out },
    (n) => sampleCalls(n, 0, outputVolume),
    () => splitRange(outputVolume, chunkCount, 8).map(([j0, j1]) => sampleCalls(0, j0, j1)),
    { base: heap.work, stride: workBytes },
  );
}

/**
 * target[n, g] += col2im(W_g^T · source[n, g]) for a (non-transposed) geometry; `target`
 * ([N, C_in, ...bufferSpatial]) holds its starting values (zeros, or the bias).
 */
function foldedProduct(
  geometry: ConvGeometry,
  source: Float32Array,
  weight: Float32Array,
  target: Float32Array,
  bufferSpatial: readonly number[],
): Float32Array {
  const { kernels, exports } = kernelsFor(geometry);
  const { batch, inChannels, outChannels, groups, outputVolume } = geometry;
  const m = geometry.outChannelsPerGroup;
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const sampleIn = inChannels * shapeSize(bufferSpatial);
  const sampleOut = outChannels * outputVolume;
  const tileColumns = foldTileColumns(depth, outputVolume);
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.IM2COL_PARAMS_BYTES),
    x: batch * sampleIn * 4,
    w: outChannels * depth * 4,
    y: batch * sampleOut * 4,
    tile: depth * tileColumns * 4,
    ktab: depth * global(exports.KTAB_ENTRY_BYTES),
    work: global(exports.GEMM_WORK_BYTES),
  });
  writeParams(kernels, heap.params, geometry, bufferSpatial);
  writeFloats(kernels, heap.x, target);
  writeFloats(kernels, heap.w, weight);
  writeFloats(kernels, heap.y, source);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      exports.foldedProduct(
        heap.params,
        m,
        depth,
        heap.y + (n * sampleOut + g * m * outputVolume) * 4,
        heap.w + g * m * depth * 4,
        heap.x + n * sampleIn * 4,
        g * geometry.inChannelsPerGroup,
        tileColumns,
        heap.tile,
        heap.ktab,
        heap.work,
      );
    }
  }
  target.set(viewFloats(kernels, heap.x, target.length));
  return target;
}

/**
 * The largest depth (C_in/g * prod(k)) whose weight gradient runs the direct kernel
 * (assembly/implicit-weight-grad.ts: gy and the input read in place along output rows, sums
 * folded into float64) instead of the GEMM below, whose A operand is then a few rows and
 * whose B is a transposed gather of gy. Measured through convBackward (weight only, relaxed
 * build, A/B in one process, median of 10 at load 2.6): N128 C1 28x28 -> 32 k3 (depth 9)
 * 7.92 -> 6.37 ms, N64 C3 32x32 -> 16 k3 (27) 3.79 -> 3.10, N64 C1 28x28 -> 20 k5 (25) 2.84 ->
 * 2.16, N64 C2 28x28 -> 32 k3 (18) 4.15 -> 3.48; C4 (36) 5.49 vs 5.36; deeper ones are
 * slower direct (stem7x7, 147: 6.35 vs 6.24 min; c3x3, 576: 6.99 vs 5.26). The float64 folds
 * also keep large batches inside the tolerance: N64 C3 32x32 reached 1.48x the 1e-4
 * tolerance on the GEMM (float32 sums over samples), 0.14x direct.
 */
const DIRECT_WEIGHT_GRADIENT_DEPTH = 32;

/** Σ_n source[n, g] · im2col(x[n, g])^T per group, [C_out, C_in/g * prod(k)]. */
function columnCorrelation(
  geometry: ConvGeometry,
  source: Float32Array,
  input: Float32Array,
  bufferSpatial: readonly number[],
): Float32Array {
  const { kernels, exports } = kernelsFor(geometry);
  if (geometry.inChannelsPerGroup * geometry.kernelVolume <= DIRECT_WEIGHT_GRADIENT_DEPTH) {
    const plan = implicitPlan(geometry, bufferSpatial, { anyRows: true });
    if (plan !== null) return implicitWeightGradient(kernels, geometry, plan, source, input, bufferSpatial);
  }
  const { batch, inChannels, outChannels, groups, outputVolume } = geometry;
  const m = geometry.outChannelsPerGroup;
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const sampleIn = inChannels * shapeSize(bufferSpatial);
  const sampleOut = outChannels * outputVolume;
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.IM2COL_PARAMS_BYTES),
    x: batch * sampleIn * 4 + INPUT_SLACK_BYTES,
    y: batch * sampleOut * 4,
    gw: outChannels * depth * 8,
    temp: depth * m * 4,
    ktab: depth * global(exports.KTAB_ENTRY_BYTES),
    work: global(exports.GEMM_WORK_BYTES),
  });
  writeParams(kernels, heap.params, geometry, bufferSpatial);
  writeFloats(kernels, heap.x, input);
  writeFloats(kernels, heap.y, source);
  const sums = new Float64Array(kernels.memory.buffer, heap.gw, outChannels * depth);
  sums.fill(0);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      exports.columnCorrelation(
        heap.params,
        m,
        depth,
        heap.y + (n * sampleOut + g * m * outputVolume) * 4,
        heap.x + n * sampleIn * 4,
        g * geometry.inChannelsPerGroup,
        heap.gw + g * m * depth * 8,
        heap.temp,
        heap.ktab,
        heap.work,
      );
    }
  }
  return Float32Array.from(sums);
}

/** A fresh [N, C, ...spatial] output holding the bias (zeros without one). */
function biasFilled(
  bias: Float32Array | null,
  batch: number,
  channels: number,
  volume: number,
): Float32Array {
  const out = new Float32Array(batch * channels * volume);
  fillBias(out, bias, batch, channels, volume);
  return out;
}

export function convWasm(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
  out?: Float32Array,
): Float32Array {
  if (geometry.paddingMode !== 'zeros') {
    const padded = paddedGeometry(geometry);
    return loweredProduct(padded, padInput(input, geometry), padded.inputSpatial, weight, bias, out);
  }
  return loweredProduct(geometry, input, geometry.inputSpatial, weight, bias, out);
}

export function convBackwardInputWasm(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
  out?: Float32Array,
): Float32Array {
  if (geometry.paddingMode !== 'zeros') {
    const padded = paddedGeometry(geometry);
    const gradPadded = new Float32Array(geometry.batch * geometry.inChannels * padded.inputVolume);
    foldedProduct(padded, gradOutput, weight, gradPadded, padded.inputSpatial);
    return foldPaddedGradient(gradPadded, geometry);
  }
  const implicit = implicitInputGradient(kernelsFor(geometry).kernels, geometry, gradOutput, weight, out);
  if (implicit !== null) return implicit;
  // The folded product adds into its target: zeros, in `out` when given.
  const gradInput =
    out?.fill(0) ?? new Float32Array(geometry.batch * geometry.inChannels * geometry.inputVolume);
  return foldedProduct(geometry, gradOutput, weight, gradInput, geometry.inputSpatial);
}

export function convBackwardWeightWasm(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  if (geometry.paddingMode !== 'zeros') {
    const padded = paddedGeometry(geometry);
    return columnCorrelation(padded, gradOutput, padInput(input, geometry), padded.inputSpatial);
  }
  return columnCorrelation(geometry, gradOutput, input, geometry.inputSpatial);
}

export function convTransposeWasm(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
): Float32Array {
  const output = biasFilled(bias, geometry.batch, geometry.outChannels, geometry.outputVolume);
  const adjoint = adjointConvGeometry(geometry);
  // null: no tap lands on the output, which is the bias alone.
  if (adjoint === null) return output;
  return foldedProduct(adjoint, input, weight, output, geometry.outputSpatial);
}

export function convTransposeBackwardInputWasm(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const adjoint = adjointConvGeometry(geometry);
  if (adjoint === null) return new Float32Array(geometry.batch * geometry.inChannels * geometry.inputVolume);
  return loweredProduct(adjoint, gradOutput, geometry.outputSpatial, weight, null);
}

export function convTransposeBackwardWeightWasm(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const adjoint = adjointConvGeometry(geometry);
  if (adjoint === null) {
    return new Float32Array(geometry.inChannels * geometry.outChannelsPerGroup * geometry.kernelVolume);
  }
  return columnCorrelation(adjoint, input, gradOutput, geometry.outputSpatial);
}

/**
 * The bias gradient is a plain sum: the WebAssembly float64 channel sums the winograd
 * algorithm uses (the reference's loop without the kernels). [128, 32, 28, 28] (the
 * Fashion-MNIST model's first layer): 3.1 -> 1.9 ms, [128, 64, 14, 14] 1.6 -> 1.0 ms, copy in
 * included, bit-identical (min of 20 in one process, load 1.0).
 */
export const biasGradientWasm = biasGradientWinograd;
