/**
 * The algorithms of deformable convolution and the one place they are registered, as
 * ./algorithms does for convolution: a kernel pair (forward, backward) per name, the names the
 * `algorithm` option accepts, and the choice for 'auto' as one pure function of the geometry.
 * Kernels take the op's checked, contiguous channels-first buffers and write every element of
 * caller-owned outputs.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { type ConvGeometry, getMemoryLimit } from '@convkit/tensor';
import { type ConvPass, type EngineCaps, engineCaps, resolveAlgorithm } from './algorithms';
import { deformConvBackwardIm2col } from './im2col/deform-conv-backward-im2col';
import { deformConvIm2col } from './im2col/deform-conv-im2col';
import { deformConvBackwardReference } from './reference/deform-conv-backward-reference';
import { deformConvReference } from './reference/deform-conv-reference';
import { deformConvBackwardWasm, deformConvWasm, deformWasmWorkingBytes } from './wasm/deform-conv-wasm';

/** The checked, contiguous channels-first buffers of one deformable convolution. */
export interface DeformConvData {
  /** [N, C_in, H, W] */
  input: Float32Array;
  /** [C_out, C_in / groups, kh, kw] */
  weight: Float32Array;
  /** [N, 2 * offsetGroups * kh * kw, H_out, W_out] */
  offset: Float32Array;
  /** [N, offsetGroups * kh * kw, H_out, W_out], or null (DCN v1). */
  mask: Float32Array | null;
  /** [C_out], or null. */
  bias: Float32Array | null;
}

/** Caller-owned gradient buffers in the shapes of input, weight, [C_out], offset and mask. */
export interface DeformConvGradientData {
  gradInput: Float32Array;
  gradWeight: Float32Array;
  gradBias: Float32Array;
  gradOffset: Float32Array;
  /** Non-null exactly when the forward had a mask. */
  gradMask: Float32Array | null;
}

/** The kernels of one deformable algorithm. */
export interface DeformConvKernels {
  /** Writes [N, C_out, H_out, W_out] into `out`. */
  forward(geometry: ConvGeometry, data: DeformConvData, out: Float32Array): void;
  /** Writes every gradient into `out` given gradOutput [N, C_out, H_out, W_out]. */
  backward(
    geometry: ConvGeometry,
    gradOutput: Float32Array,
    data: DeformConvData,
    out: DeformConvGradientData,
  ): void;
}

/** The registry: algorithm name -> its kernels. */
const DEFORM_CONV_KERNELS = {
  reference: { forward: deformConvReference, backward: deformConvBackwardReference },
  im2col: { forward: deformConvIm2col, backward: deformConvBackwardIm2col },
  // Bilinear gather into the WebAssembly GEMM's panels, the sampling adjoints in WebAssembly
  // too (./wasm/deform-conv-wasm.ts).
  wasm: { forward: deformConvWasm, backward: deformConvBackwardWasm },
} as const satisfies Record<string, DeformConvKernels>;

/** The name of a registered deformable algorithm. */
export type DeformConvAlgorithmName = keyof typeof DEFORM_CONV_KERNELS;

/** Every algorithm deformConv's `algorithm` option accepts besides 'auto', in registration order. */
export const DEFORM_CONV_ALGORITHMS: readonly DeformConvAlgorithmName[] = Object.freeze(
  Object.keys(DEFORM_CONV_KERNELS) as DeformConvAlgorithmName[],
);

/**
 * The fewest output channels per group for which 'auto' runs 'im2col', per pass. Both
 * algorithms take the same bilinear samples (C_in * kh * kw per output position, the bulk of
 * the work when few channels read them); im2col then replaces the reference's
 * C_out * C_in/g * kh * kw float64 multiply-adds per position with a GEMM, which pays off
 * only when each sample feeds enough output channels. Measured (apps/bench/scripts/conv-speed.ts, and a
 * sweep of C_out/g = 1..8 at C_in 16 on 16x16 and C_in 4 on 8x8, with and without a mask;
 * ratio = reference time / im2col time, medians on the shared 2-core AMD EPYC): forward 0.65-0.73 at
 * C_out/g = 1, 0.76-0.85 at 2, 0.87-0.99 at 4, 1.18-1.29 at 8, 2.2-2.4 at 64 (deform3x3, C64 on
 * 56x56); backward 0.91-1.08 at 1 (depthwise, one GEMM per channel: 0.91-1.0), 1.13-1.19 at
 * 2 (0.8-1.8 in noisier runs), 1.06-1.34 at 4, 1.5-1.6 at 8, 2.6-2.7 at 64.
 */
const IM2COL_MIN_OUT_CHANNELS_PER_GROUP: Readonly<Record<ConvPass, number>> = { forward: 8, backward: 2 };

/** What 32-bit WebAssembly addresses, less the kernels' own first 64 KiB. */
const WASM_ADDRESSABLE_BYTES = 2 ** 32 - 2 ** 17;

/**
 * The algorithm 'auto' runs for a deformable geometry and pass, a pure function of its
 * arguments (and the memory limit):
 *
 * - 'wasm' when the WebAssembly kernels are loaded (`caps.wasm`) and the call's working set
 *   fits the memory limit and 32-bit WebAssembly memory. It wins on every geometry measured,
 *   because the sampling itself (a table of cells per offset group and tap, shared by the
 *   group's channels, and four-position vector gathers) costs a fraction of the TypeScript
 *   loops': min of 5-7 runs, one thread, relaxed SIMD build, shared 2-core Xeon, GFLOP/s
 *   wasm / im2col / reference, forward then backward: deform3x3 (C64 56x56 -> 64, k3 p1,
 *   mask) 18-27 / 0.7-1.7 / 0.2-0.6 and 6-10 / 0.2-0.8 / 0.1-0.3; C16 -> 8 on 16x16
 *   4.8 / 0.40 / 0.03 and 1.9 / 0.05 / 0.06; C16 -> 1 0.71 / 0.02 / 0.01 and 0.38 / 0.01 /
 *   0.00; depthwise C64 28x28 1.0 / 0.02 / 0.06 and 0.30 / 0.01 / 0.02; C4 -> 4 on 8x8
 *   0.69 / 0.04 / 0.04 and 0.54 / 0.06 / 0.03 (the machine is noisy: ranges are over runs).
 * - else 'im2col' when each group has at least IM2COL_MIN_OUT_CHANNELS_PER_GROUP output
 *   channels (8 forward, 2 backward; see there for the measurements) and one column of its
 *   lowering (every input channel's taps, twice in the backward pass: the samples and their
 *   gradient) fits the default tile budget; otherwise 'reference', which needs no buffer.
 */
export function selectDeformConvAlgorithm(
  geometry: ConvGeometry,
  pass: ConvPass = 'forward',
  caps: EngineCaps = { wasm: false },
): DeformConvAlgorithmName {
  if (caps.wasm) {
    const bytes = deformWasmWorkingBytes(geometry, pass);
    if (bytes <= getMemoryLimit() && bytes <= WASM_ADDRESSABLE_BYTES) return 'wasm';
  }
  if (geometry.outChannelsPerGroup < IM2COL_MIN_OUT_CHANNELS_PER_GROUP[pass]) return 'reference';
  const buffers = pass === 'backward' ? 2 : 1;
  const columnBytes = geometry.inChannels * geometry.kernelVolume * Float32Array.BYTES_PER_ELEMENT;
  return buffers * columnBytes <= DEFAULT_TILE_BYTES ? 'im2col' : 'reference';
}

/** The kernels deformConv / deformConvBackward run: `requested`, or the selection for 'auto'. */
export function deformConvKernelsFor(
  op: string,
  requested: unknown,
  geometry: ConvGeometry,
  pass: ConvPass,
): DeformConvKernels {
  const name = resolveAlgorithm(
    op,
    requested,
    DEFORM_CONV_ALGORITHMS,
    selectDeformConvAlgorithm(geometry, pass, engineCaps()),
  );
  return DEFORM_CONV_KERNELS[name];
}
