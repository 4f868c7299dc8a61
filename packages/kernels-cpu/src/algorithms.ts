/**
 * The convolution algorithms of the CPU package and the one place they are registered. An
 * algorithm is a set of kernels, one per pass of each op, that all read channels-first
 * Float32Arrays and a `ConvGeometry` and return a fresh output buffer. Registered: 'reference'
 * (the readable oracle) and 'im2col' (lowering + GEMM, ./im2col). Adding an algorithm
 * (Winograd, FFT...) means adding its kernel set to `CONV_KERNELS`; its name then
 * appears in `CONV_ALGORITHMS`, is accepted by every op's `algorithm` option and can be
 * returned by `selectConvAlgorithm`. The choice for 'auto' is one pure function of the
 * geometry (STYLE.md; the counter-example is flags and thresholds spread through kernels).
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { ArgumentError, type ConvGeometry } from '@convkit/tensor';
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

/**
 * The kernels of one algorithm. Every buffer is channels-first and row-major; the geometry's
 * `inputShape`/`outputShape` may be channels-last (the op converted the data), so kernels read
 * `inChannels`, `inputSpatial`, `outputSpatial`... instead. Kernels never modify their inputs.
 */
export interface ConvKernels {
  /** input [N, C_in, ...in], weight [C_out, C_in/groups, ...k], bias [C_out] | null -> output [N, C_out, ...out]. */
  conv(
    input: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    geometry: ConvGeometry,
  ): Float32Array;
  /** gradOutput [N, C_out, ...out], weight -> gradInput [N, C_in, ...in]. */
  convBackwardInput(gradOutput: Float32Array, weight: Float32Array, geometry: ConvGeometry): Float32Array;
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
    conv: convIm2col,
    convBackwardInput: convBackwardInputIm2col,
    convBackwardWeight: convBackwardWeightIm2col,
    convTranspose: convTransposeIm2col,
    convTransposeBackwardInput: convTransposeBackwardInputIm2col,
    convTransposeBackwardWeight: convTransposeBackwardWeightIm2col,
    biasGradient: biasGradientReference,
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
 * The algorithm 'auto' runs for this geometry and pass: a pure function of its arguments,
 * tested on its own (algorithms.test.ts, a table of geometries). 'im2col', except:
 *
 * - one column of the lowering (C_in/groups * prod(k) floats for convolution, C_out/groups *
 *   prod(k) for transposed convolution, whose lowering is the adjoint convolution's) does not
 *   fit the default tile budget: 'reference', which needs no buffer, instead of a
 *   ResourceError;
 * - the backward pass of a transposed convolution with one input channel per group
 *   (depthwise transposed convolution, or a single input channel): both of its GEMMs
 *   (gradInput = W im2col(gradOutput), gradWeight = x im2col(gradOutput)^T) are then one
 *   row, a quarter of the 4x4 register tile, and the reference's gather is faster.
 *
 * Measured (scripts/conv-speed.ts and sweeps, medians on the 2-core Zen 1, GFLOP/s reference
 * -> im2col; README has the table): im2col wins 10-40x on dense convolutions (c3x3 0.23 ->
 * 4.5, pw1x1 0.14 -> 5.6, conv1d 0.21 -> 5.6, tconv4x4 0.16 -> 4.8), and still wins where
 * each group is one GEMM row in the forward pass: depthwise dw3x3 (C256 28x28 g256) 0.23 ->
 * 0.34 forward, 0.26 -> 0.33 backward, dw5x5 on 112x112 1.6x, a 64 -> 1 channel conv 1.6x
 * forward, transposed depthwise 3.2x forward (the reference is a float64 loop that maps every
 * tap through paddedIndex: no fast direct convolution). Transposed backward with one input
 * channel per group: reference time / im2col time 0.71-0.95 over four geometries (tconv-dw
 * 0.8-0.9 in four runs), against 1.7x for two channels per group. Convolution backward with
 * one output channel per group is mixed (0.79-1.36: a 64 -> 1 conv and a 1x1 depthwise lose,
 * 3x3 depthwise wins) and stays on im2col. Problems of a few hundred multiply-adds (C1 8x8
 * 3x3) run 0.7x, about 10 us of per-call setup: not worth a branch.
 */
export function selectConvAlgorithm(geometry: ConvGeometry, pass: ConvPass = 'forward'): ConvAlgorithmName {
  const channelsPerColumn = geometry.transposed ? geometry.outChannelsPerGroup : geometry.inChannelsPerGroup;
  const columnBytes = channelsPerColumn * geometry.kernelVolume * Float32Array.BYTES_PER_ELEMENT;
  if (columnBytes > DEFAULT_TILE_BYTES) return 'reference';
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
  const name = resolveAlgorithm(op, requested, CONV_ALGORITHMS, selectConvAlgorithm(geometry, pass));
  return CONV_KERNELS[name];
}
