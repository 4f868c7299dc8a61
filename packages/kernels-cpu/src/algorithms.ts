/**
 * The convolution algorithms of the CPU package and the one place they are registered. An
 * algorithm is a set of kernels, one per pass of each op, that all read channels-first
 * Float32Arrays and a `ConvGeometry` and return a fresh output buffer. Adding an algorithm
 * (im2col + GEMM, Winograd...) means adding its kernel set to `CONV_KERNELS`; its name then
 * appears in `CONV_ALGORITHMS`, is accepted by every op's `algorithm` option and can be
 * returned by `selectConvAlgorithm`. The choice for 'auto' is one pure function of the
 * geometry (STYLE.md; the counter-example is flags and thresholds spread through kernels).
 */
import { ArgumentError, type ConvGeometry } from '@convkit/tensor';
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
 * tested on its own. Only the reference kernels exist so far, so it returns 'reference'.
 */
export function selectConvAlgorithm(geometry: ConvGeometry, pass: ConvPass = 'forward'): ConvAlgorithmName {
  void geometry;
  void pass;
  return 'reference';
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
