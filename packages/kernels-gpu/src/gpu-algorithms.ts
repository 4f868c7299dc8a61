/**
 * The GPU algorithms and 'auto', a pure function of the geometry and the device's limits
 * (tested without a GPU):
 *   direct         one thread per output element: the GPU's reference, every op and pass
 *   implicit-gemm  tiled GEMMs (64x64 tiles in workgroup memory, a 4x4 register block per
 *                  thread) whose operand tiles are loaded straight from the tensors (implicit
 *                  lowering): conv and deformConv forward (patches through the padding, or
 *                  by bilinear sampling), convTranspose forward and conv's gradInput (the
 *                  taps that reach each position, gathered), and the weight gradient of conv
 *                  and convTranspose as a split-K GEMM; convTranspose's gradInput is conv's
 *                  forward GEMM run on gradOutput
 *   depthwise      conv forward with one input channel per group: one thread per output,
 *                  kernel taps unrolled over the window
 * Deformable backward with implicit-gemm: the patch gradient W^T gradOutput and gradWeight
 * (sampling fused into its load, split-K) are tiled GEMMs; the scatter into gradInput and the
 * offset and mask reductions are direct kernels.
 */
import { ArgumentError, type ConvGeometry, UnsupportedError } from '@convkit/tensor';
import type { GpuLimits } from './gpu-context';
import { GEMM_TILE } from './programs/implicit-gemm-program';

export const GPU_CONV_ALGORITHMS = ['direct', 'implicit-gemm', 'depthwise'] as const;
export type GpuConvAlgorithm = (typeof GPU_CONV_ALGORITHMS)[number];

export type GpuPass = 'forward' | 'backward';

/** The limits 'auto' reads: whether the tiled kernel fits a workgroup of this device. */
export type SelectionLimits = Pick<
  GpuLimits,
  'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup'
>;

/** Kernel windows up to this many taps are unrolled by the depthwise kernel. */
export const DEPTHWISE_MAX_TAPS = 64;

/** Whether the implicit-GEMM kernel's workgroup (threads and tile memory) fits these limits. */
export function implicitGemmFits(limits: SelectionLimits): boolean {
  const threads = (GEMM_TILE.m / GEMM_TILE.threadRows) * (GEMM_TILE.n / GEMM_TILE.threadCols);
  const bytes = 4 * GEMM_TILE.k * (GEMM_TILE.m + GEMM_TILE.n);
  return (
    threads <= limits.maxComputeInvocationsPerWorkgroup && bytes <= limits.maxComputeWorkgroupStorageSize
  );
}

/**
 * 'auto', a pure function of the geometry, the pass and the device's limits; the tiled
 * kernels only where their workgroup fits the device, else direct:
 * - forward conv with one input channel per group (depthwise, any multiplier) and a window of
 *   at most DEPTHWISE_MAX_TAPS taps: depthwise;
 * - forward passes whose per-group GEMM fills tiles (>= 16 produced channels per group: C_out
 *   for conv, deformConv and convTranspose; and a depth of >= 8: C_in/groups * prod(k)):
 *   implicit-gemm;
 * - backward passes with >= 16 input and output channels per group: implicit-gemm;
 * - otherwise direct (few channels per group, where a 64 x 64 tile would be mostly padding).
 */
export function selectGpuConvAlgorithm(
  geometry: ConvGeometry,
  pass: GpuPass,
  limits?: SelectionLimits,
): GpuConvAlgorithm {
  const fits = limits === undefined || implicitGemmFits(limits);
  if (pass === 'backward') {
    const wide = Math.min(geometry.inChannelsPerGroup, geometry.outChannelsPerGroup) >= 16;
    return wide && fits ? 'implicit-gemm' : 'direct';
  }
  if (
    !geometry.transposed &&
    geometry.offsetGroups === 0 &&
    geometry.inChannelsPerGroup === 1 &&
    geometry.groups > 1 &&
    geometry.kernelVolume <= DEPTHWISE_MAX_TAPS
  ) {
    return 'depthwise';
  }
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  if (geometry.outChannelsPerGroup >= 16 && depth >= 8 && fits) return 'implicit-gemm';
  return 'direct';
}

/** Which algorithms run `pass` of this geometry (direct runs everything). */
export function gpuAlgorithmSupports(name: GpuConvAlgorithm, geometry: ConvGeometry, pass: GpuPass): boolean {
  if (name === 'direct') return true;
  if (name === 'depthwise') {
    return (
      pass === 'forward' &&
      !geometry.transposed &&
      geometry.offsetGroups === 0 &&
      geometry.inChannelsPerGroup === 1
    );
  }
  return true;
}

/** The algorithm to run: the requested name (checked), or the selection for 'auto'/undefined. */
export function resolveGpuAlgorithm(
  op: string,
  requested: string | undefined,
  geometry: ConvGeometry,
  pass: GpuPass,
  limits?: SelectionLimits,
): GpuConvAlgorithm {
  if (requested === undefined || requested === 'auto') return selectGpuConvAlgorithm(geometry, pass, limits);
  if (!(GPU_CONV_ALGORITHMS as readonly string[]).includes(requested)) {
    throw new ArgumentError(
      `${op}: algorithm must be 'auto' or one of ${GPU_CONV_ALGORITHMS.map((k) => `'${k}'`).join(', ')}, got '${requested}'`,
    );
  }
  const name = requested as GpuConvAlgorithm;
  if (!gpuAlgorithmSupports(name, geometry, pass)) {
    const what = geometry.transposed
      ? 'transposed convolution'
      : geometry.offsetGroups > 0
        ? 'deformable convolution'
        : 'this convolution';
    const need =
      name === 'depthwise' ? ' (it runs forward convolution with one input channel per group)' : '';
    throw new UnsupportedError(
      `${op}: algorithm '${name}' does not run the ${pass} pass of ${what}${need}; 'direct' and 'auto' run every case`,
    );
  }
  return name;
}
