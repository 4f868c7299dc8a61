/**
 * The convolution algorithms of the CPU package and the one place they are registered. An
 * algorithm is a set of kernels, one per pass of each op, that all read channels-first
 * Float32Arrays and a `ConvGeometry` and return a fresh output buffer (the forward and the
 * input gradient: the caller's `out` when given and the kernel can write it). Registered: 'reference'
 * (the readable oracle) and 'im2col' (lowering + GEMM, ./im2col). Adding an algorithm
 * (Winograd, FFT...) means adding its kernel set to `CONV_KERNELS`; its name then
 * appears in `CONV_ALGORITHMS`, is accepted by every op's `algorithm` option and can be
 * returned by `selectConvAlgorithm`. The choice for 'auto' is one pure function of the
 * geometry, never flags and thresholds spread through the kernels.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { ArgumentError, type ConvGeometry, getMemoryLimit, UnsupportedError } from '@convkit/tensor';
import { convBackwardInputIm2col } from './im2col/conv-backward-input-im2col';
import { convBackwardWeightIm2col } from './im2col/conv-backward-weight-im2col';
import { convIm2col } from './im2col/conv-im2col';
import { convTransposeBackwardInputIm2col } from './im2col/conv-transpose-backward-input-im2col';
import { convTransposeBackwardWeightIm2col } from './im2col/conv-transpose-backward-weight-im2col';
import { convTransposeIm2col } from './im2col/conv-transpose-im2col';
import { biasGradientReference } from './reference/bias-gradient-reference';
import { convBackwardInputReference } from './reference/conv-backward-input-reference';
import { convBackwardWeightReference } from './reference/conv-backward-weight-reference';
import { convReference } from './reference/conv-reference';
import { convTransposeBackwardInputReference } from './reference/conv-transpose-backward-input-reference';
import { convTransposeBackwardWeightReference } from './reference/conv-transpose-backward-weight-reference';
import { convTransposeReference } from './reference/conv-transpose-reference';
import { convChannelsLastDepthwise } from './wasm/depthwise-channels-last';
import {
  biasGradientDepthwise,
  convBackwardInputDepthwise,
  convBackwardWeightDepthwise,
  convDepthwise,
  convTransposeBackwardInputDepthwise,
  convTransposeBackwardWeightDepthwise,
  convTransposeDepthwise,
} from './wasm/depthwise-kernels';
import { depthwiseLimit } from './wasm/depthwise-limit';
import {
  convNotTransposedPhase,
  convTransposeBackwardWeightPhase,
  convTransposePhase,
} from './wasm/phase-conv-transpose';
import { phaseLimit } from './wasm/phase-limit';
import {
  biasGradientWasm,
  convBackwardInputWasm,
  convBackwardWeightWasm,
  convTransposeBackwardInputWasm,
  convTransposeBackwardWeightWasm,
  convTransposeWasm,
  convWasm,
} from './wasm/wasm-conv-kernels';
import { wasmKernels } from './wasm/wasm-runtime';
import {
  biasGradientWinograd,
  convBackwardInputWinograd,
  convBackwardWeightWinograd,
  convTransposeBackwardInputWinograd,
  convTransposeBackwardWeightWinograd,
  convTransposeWinograd,
  convWinograd,
} from './wasm/winograd-conv-kernels';
import { winogradLimit } from './wasm/winograd-limit';
import { prefersWinograd } from './wasm/winograd-preference';

/**
 * The kernels of one algorithm. Every buffer is channels-first and row-major; the geometry's
 * `inputShape`/`outputShape` may be channels-last (the op converted the data), so kernels read
 * `inChannels`, `inputSpatial`, `outputSpatial`... instead. Kernels never modify their inputs.
 */
export interface ConvKernels {
  /**
   * input [N, C_in, ...in], weight [C_out, C_in/groups, ...k], bias [C_out] | null -> output
   * [N, C_out, ...out]. With `out` (exactly the output's length, sharing no memory with the
   * operands) a kernel may write the result there and return it; one that returns another
   * array has the op copy that into `out`. Without it, a fresh array.
   */
  conv(
    input: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    geometry: ConvGeometry,
    out?: Float32Array,
  ): Float32Array;
  /** gradOutput [N, C_out, ...out], weight -> gradInput [N, C_in, ...in]; `out` as for `conv`. */
  convBackwardInput(
    gradOutput: Float32Array,
    weight: Float32Array,
    geometry: ConvGeometry,
    out?: Float32Array,
  ): Float32Array;
  /** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_out, C_in/groups, ...k]. */
  convBackwardWeight(gradOutput: Float32Array, input: Float32Array, geometry: ConvGeometry): Float32Array;
  /** input [N, C_in, ...in], weight [C_in, C_out/groups, ...k], bias [C_out] | null -> output [N, C_out, ...out]. */
  convTranspose(
    input: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    geometry: ConvGeometry,
  ): Float32Array;
  /** gradOutput [N, C_out, ...out], weight [C_in, C_out/groups, ...k] -> gradInput [N, C_in, ...in]. */
  convTransposeBackwardInput(
    gradOutput: Float32Array,
    weight: Float32Array,
    geometry: ConvGeometry,
  ): Float32Array;
  /** gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> gradWeight [C_in, C_out/groups, ...k]. */
  convTransposeBackwardWeight(
    gradOutput: Float32Array,
    input: Float32Array,
    geometry: ConvGeometry,
  ): Float32Array;
  /** gradOutput [N, C_out, ...out] -> gradBias [C_out], for both ops. */
  biasGradient(gradOutput: Float32Array, geometry: ConvGeometry): Float32Array;
  /**
   * Optional: the conv forward on channels-last buffers (input [N, ...in, C_in] -> output
   * [N, ...out, C_out]), or null for a geometry it does not run; with a result the op skips
   * its two layout transposes. `out` as for `conv` (channels-last).
   */
  convChannelsLast?(
    input: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    geometry: ConvGeometry,
    out?: Float32Array,
  ): Float32Array | null;
}

/** The registry: algorithm name -> its kernels. The only place an algorithm is added. */
const CONV_KERNELS = {
  reference: {
    conv: convReference,
    convBackwardInput: convBackwardInputReference,
    convBackwardWeight: convBackwardWeightReference,
    convTranspose: convTransposeReference,
    convTransposeBackwardInput: convTransposeBackwardInputReference,
    convTransposeBackwardWeight: convTransposeBackwardWeightReference,
    biasGradient: biasGradientReference,
  },
  // Lowering to columns + the cache-blocked GEMM (./im2col/*). The bias gradient is a plain
  // sum with nothing to lower, so it shares the reference's float64 loop.
  im2col: {
    // Their fifth parameter is a tile size (for the tests), not the `out` of ConvKernels.
    conv: (input, weight, bias, geometry) => convIm2col(input, weight, bias, geometry),
    convBackwardInput: (gradOutput, weight, geometry) =>
      convBackwardInputIm2col(gradOutput, weight, geometry),
    convBackwardWeight: convBackwardWeightIm2col,
    convTranspose: convTransposeIm2col,
    convTransposeBackwardInput: convTransposeBackwardInputIm2col,
    convTransposeBackwardWeight: convTransposeBackwardWeightIm2col,
    biasGradient: biasGradientReference,
  },
  // The im2col products on the WebAssembly SIMD 4x8 GEMM with implicit columns (./wasm).
  wasm: {
    conv: convWasm,
    convBackwardInput: convBackwardInputWasm,
    convBackwardWeight: convBackwardWeightWasm,
    convTranspose: convTransposeWasm,
    convTransposeBackwardInput: convTransposeBackwardInputWasm,
    convTransposeBackwardWeight: convTransposeBackwardWeightWasm,
    biasGradient: biasGradientWasm,
  },
  // Transposed convolution by phase (sub-pixel) decomposition on the WebAssembly GEMM
  // (./wasm/phase-conv-transpose.ts): forward and gradWeight by phases, gradInput (a strided
  // convolution) by the 'wasm' kernel. Plain convolution is outside its limits.
  phase: {
    conv: convNotTransposedPhase,
    convBackwardInput: convNotTransposedPhase,
    convBackwardWeight: convNotTransposedPhase,
    convTranspose: convTransposePhase,
    convTransposeBackwardInput: convTransposeBackwardInputWasm,
    convTransposeBackwardWeight: convTransposeBackwardWeightPhase,
    biasGradient: biasGradientWasm,
  },
  // Depthwise convolution (one input channel per group) on WebAssembly SIMD, vectorised over
  // the output width of channels-first planes (./wasm/depthwise-kernels.ts).
  depthwise: {
    conv: convDepthwise,
    convBackwardInput: convBackwardInputDepthwise,
    convBackwardWeight: convBackwardWeightDepthwise,
    convTranspose: convTransposeDepthwise,
    convTransposeBackwardInput: convTransposeBackwardInputDepthwise,
    convTransposeBackwardWeight: convTransposeBackwardWeightDepthwise,
    biasGradient: biasGradientDepthwise,
    // Vectorised over channels: channels-last calls without multiplier skip the transposes.
    convChannelsLast: convChannelsLastDepthwise,
  },
  // Winograd F(4x4, 3x3) / F(6, 3) on WebAssembly SIMD for stride-1 kernel-3 convolutions
  // and their gradients (./wasm/winograd-conv-kernels.ts).
  winograd: {
    conv: convWinograd,
    convBackwardInput: convBackwardInputWinograd,
    convBackwardWeight: convBackwardWeightWinograd,
    convTranspose: convTransposeWinograd,
    convTransposeBackwardInput: convTransposeBackwardInputWinograd,
    convTransposeBackwardWeight: convTransposeBackwardWeightWinograd,
    biasGradient: biasGradientWinograd,
  },
} as const satisfies Record<string, ConvKernels>;

/** The name of a registered algorithm. */
export type ConvAlgorithmName = keyof typeof CONV_KERNELS;

/** Every algorithm the `algorithm` option accepts besides 'auto', in registration order. */
export const CONV_ALGORITHMS: readonly ConvAlgorithmName[] = Object.freeze(
  Object.keys(CONV_KERNELS) as ConvAlgorithmName[],
);

/** Which pass of an op a kernel serves: the forward, or the gradients. */
export type ConvPass = 'forward' | 'backward';

/**
 * The limits of algorithms that run only some geometries (a Winograd kernel: stride 1, 3x3;
 * a depthwise kernel: one input channel per group): for each, a function that returns null
 * when the algorithm runs this geometry and pass, else why not, in words that finish the
 * sentence "algorithm 'NAME' ..." (`runs stride-1 3x3 convolutions only, got stride [2, 2]`).
 * An algorithm with no entry runs everything. Asking for an algorithm outside its limits is
 * an UnsupportedError; 'auto' never selects it there.
 */
const CONV_ALGORITHM_LIMITS: Partial<
  Record<ConvAlgorithmName, (geometry: ConvGeometry, pass: ConvPass) => string | null>
> = {
  phase: phaseLimit,
  depthwise: depthwiseLimit,
  winograd: winogradLimit,
};

/** Null when `algorithm` runs this geometry and pass, else the reason it does not. */
export function convAlgorithmLimit(
  algorithm: ConvAlgorithmName,
  geometry: ConvGeometry,
  pass: ConvPass,
): string | null {
  return CONV_ALGORITHM_LIMITS[algorithm]?.(geometry, pass) ?? null;
}

/** What the engine running convkit offers the selection: whether the WebAssembly kernels are loaded. */
export interface EngineCaps {
  wasm: boolean;
}

/** The caps of this engine now (loads the WebAssembly kernels where that can be done synchronously). */
export function engineCaps(): EngineCaps {
  return { wasm: wasmKernels() !== null };
}

/**
 * Whether 'auto' runs 'depthwise' (with the WebAssembly kernels loaded): one input channel per
 * group and at most 16 output channels per group, every pass of both ops. Measured (min of 15
 * after warm-up, one thread, relaxed SIMD, GFLOP/s through the op, forward / backward,
 * depthwise vs wasm, shared and loaded 2-core Xeon): dw3x3 C256 28x28 7.7 / 6.3 vs 1.5 / 1.1
 * (reference 0.27 / 0.53); C32 112x112 9.3 / 5.0 vs 0.93 / 0.38; stride 2 C64 56x56 3.9 / 2.7
 * vs 1.4 / 1.1; dw5x5 C32 112x112 12.7 / 10.6 vs 1.1 / 0.60; dw7x7 C96 56x56 14.3 / 6.8 vs
 * 1.0 / 1.0; 1-D k3 C256 L1024 N8 2.4 / 3.0 vs 1.6 / 0.47; multiplier 4 (C64 -> 256) 11.6 /
 * 9.9 vs 5.6 / 4.5; multiplier 8 and 16 12.4-12.7 / 10.3-11.4 vs 8.9-11.3 / 4.3-9.8; one
 * input channel -> 8 outputs (N8 28x28) 10.1 / 9.4 vs 8.4 / 7.5; depthwise transposed k4 s2
 * (tconv-dw, C64 28x28) 3.4 / 3.6 vs 1.1 / 1.3 (and 2.0 / 0.50 for 'phase'). Wider groups
 * are GEMMs worth their packing: one input channel -> 32 outputs 12.2 vs 13.4, -> 64 with
 * 5x5 14.4 vs 23.9. Most of the depthwise time at 28x28 is the copy in and out of WebAssembly
 * memory and the result's allocation (its first touch faults in fresh pages): the kernel alone
 * runs dw3x3 C256 28x28 at 33 GFLOP/s (stride-1 3x3 planes read in place), the whole forward
 * 0.33 ms against 0.42 for tfjs-wasm (min of 25, A/B in one process, load 6; backward 0.86
 * ms). Rechecked with the faster kernels: multiplier 16 forward 6.5 vs 6.4, backward 11.2 vs
 * 8.1; multiplier 32 11.3-12.2 vs 13.2-13.7 forward, so 16 stays the bound.
 */
function prefersDepthwise(geometry: ConvGeometry): boolean {
  return geometry.inChannelsPerGroup === 1 && geometry.outChannelsPerGroup <= 16;
}

/**
 * The algorithm 'auto' runs for this geometry and pass: a pure function of its arguments,
 * tested on its own (algorithms.test.ts, a table of geometries). 'im2col', except:
 *
 * - one column of the lowering (C_in/groups * prod(k) floats for convolution, C_out/groups *
 *   prod(k) for transposed convolution, whose lowering is the adjoint convolution's) does not
 *   fit the default tile budget, or the reference's tap table (prod(out) * prod(k) entries,
 *   convolution) would exceed the memory limit: 'im2col', which then tiles the columns over
 *   kernel taps (orders of magnitude faster than the reference loop on such kernels);
 * - the backward pass of a transposed convolution with one input channel per group
 *   (depthwise transposed convolution, or a single input channel): both of its GEMMs
 *   (gradInput = W im2col(gradOutput), gradWeight = x im2col(gradOutput)^T) are then one
 *   row, a quarter of the 4x4 register tile, and the reference's gather is faster.
 * - the forward pass of a transposed convolution, with the WebAssembly kernels loaded:
 *   'phase' (one stride-1 GEMM per output phase, written interleaved) instead of the 'wasm'
 *   col2im route. Measured (min of 7-15 after warm-up, one thread, relaxed / plain SIMD
 *   build, GFLOP/s phase vs wasm, shared 2-core Xeon): tconv4x4 (C64 28x28 -> 32, k4 s2 p1)
 *   32.9 vs 29.3 / 32.4 vs 29.9; k2 s2 C64 -> 64 31.2 vs 19.0; stride 1 k3 C64 40.4 vs 39.1;
 *   1-D k4 s2 37.5 vs 34.3; 3-D k4 s2 C16 29.5 vs 16.1; 2 channels per group 5.0 vs 3.0;
 *   depthwise 2.3 vs 1.5; C8 -> 8 17.5 vs 10.7. Its gradWeight by phases is slower than the
 *   'wasm' column correlation on 2-D and 1-D (tconv4x4 29.4 vs 37.7, 1-D 27.9 vs 37.9; 3-D
 *   24.1 vs 21.3), so the backward pass stays on 'wasm'.
 *
 * - stride-1 kernel-3 convolutions (1-D and 2-D, transposed too, every pass) with enough
 *   channels per group and enough output tiles, with the WebAssembly kernels loaded:
 *   'winograd' (F(4x4, 3x3) / F(6, 3)); the thresholds and the measurements behind them
 *   (c3x3 93-114 vs 16-36 GFLOP/s for 'wasm', dil3x3 90-93 vs 12-23, conv1d ahead 1.4-2.3x)
 *   are in ./wasm/winograd-preference.ts.
 *
 * Measured (apps/bench/scripts/conv-speed.ts --quick, medians on the shared 2-core machine,
 * GFLOP/s reference -> im2col; README has the table): im2col wins 3-36x on dense and grouped
 * convolutions (c3x3 0.87 -> 3.3, pw1x1 0.57 -> 4.9, conv1d 0.82 -> 4.1, tconv4x4 0.10 -> 3.7,
 * grp3x3-g32 with 4 channels per group 1.0 -> 1.7, depthwise with channel multiplier 4
 * 0.57 -> 1.4). It loses where every group is one input and one output channel (depthwise
 * without multiplier): each GEMM is a single row and the column copy costs more than it saves
 * (dw3x3 C256 28x28: 0.78 -> 0.17 forward, 0.52 -> 0.20 backward; dw5x5 on 112x112 0.59 ->
 * 0.36), so those run the direct loop. Transposed backward with one input channel per group:
 * 0.39 -> 0.37 (tconv-dw), against 1.7x for two channels per group. Problems of a few hundred
 * multiply-adds still favour im2col (C1 8x8 3x3: 0.02 -> 0.05).
 */
export function selectConvAlgorithm(
  geometry: ConvGeometry,
  pass: ConvPass = 'forward',
  caps: EngineCaps = { wasm: false },
): ConvAlgorithmName {
  // Kernels of a size no lowering tile holds: the tap-tiled im2col, before any WebAssembly kernel.
  const channelsPerColumn = geometry.transposed ? geometry.outChannelsPerGroup : geometry.inChannelsPerGroup;
  const columnBytes = channelsPerColumn * geometry.kernelVolume * Float32Array.BYTES_PER_ELEMENT;
  const tapTableBytes = geometry.transposed ? 0 : geometry.outputVolume * geometry.kernelVolume * 4;
  if (columnBytes > DEFAULT_TILE_BYTES || tapTableBytes > getMemoryLimit()) return 'im2col';
  if (caps.wasm && prefersDepthwise(geometry)) return 'depthwise';
  if (caps.wasm && prefersWinograd(geometry)) return 'winograd';
  if (!geometry.transposed && geometry.inChannelsPerGroup === 1 && geometry.outChannelsPerGroup === 1) {
    return 'reference';
  }
  if (caps.wasm && geometry.transposed && pass === 'forward') return 'phase';
  if (caps.wasm) return 'wasm';
  if (geometry.transposed && pass === 'backward' && geometry.inChannelsPerGroup === 1) return 'reference';
  return 'im2col';
}

/**
 * Checks an `algorithm` option against the names an op knows and resolves 'auto' (or no
 * option) to `autoChoice`. An unknown name is an ArgumentError that lists the known ones:
 * `conv2d: algorithm must be 'auto' or one of 'reference', got 'winograd'`. Generic so that
 * an op with its own kernel list (deformable convolution) checks names the same way.
 */
export function resolveAlgorithm<Name extends string>(
  op: string,
  requested: unknown,
  known: readonly Name[],
  autoChoice: Name,
): Name {
  if (requested === undefined || requested === 'auto') return autoChoice;
  if (typeof requested === 'string' && (known as readonly string[]).includes(requested))
    return requested as Name;
  const got = typeof requested === 'string' ? `'${requested}'` : `${typeof requested} ${String(requested)}`;
  throw new ArgumentError(
    `${op}: algorithm must be 'auto' or one of ${known.map((k) => `'${k}'`).join(', ')}, got ${got}`,
  );
}

/** The kernels of the algorithm an op runs: `requested`, or the selection for 'auto'. */
export function convKernelsFor(
  op: string,
  requested: unknown,
  geometry: ConvGeometry,
  pass: ConvPass,
): ConvKernels {
  const name = resolveAlgorithm(
    op,
    requested,
    CONV_ALGORITHMS,
    selectConvAlgorithm(geometry, pass, engineCaps()),
  );
  const limit = convAlgorithmLimit(name, geometry, pass);
  if (limit !== null) throw new UnsupportedError(`${op}: algorithm '${name}' ${limit}`);
  return CONV_KERNELS[name];
}
