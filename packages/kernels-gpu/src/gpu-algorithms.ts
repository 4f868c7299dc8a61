/**
 * The GPU algorithms and 'auto', a pure function of the geometry and the device's limits
 * (tested without a GPU):
 *   direct         one thread per output element: the GPU's reference, every op and pass
 *   implicit-gemm  conv and deformConv forward as a GEMM over (output positions) x (C_out)
 *                  with K = C_in/groups * prod(k), tiled in workgroup memory with a 4x4
 *                  register block per thread; the lowering is implicit (tiles of the patch
 *                  matrix are loaded straight from the input through the padding, or by
 *                  bilinear sampling for deformable convolution)
 *   depthwise      conv forward with one input channel per group: one thread per output,
 *                  kernel taps unrolled over the window
 * Backward passes and transposed convolution run the direct kernels (the weight gradient
 * always as a split-K reduction).
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
 * 'auto', a pure function of the geometry, the pass and the device's limits:
 * - every backward pass and transposed convolution: direct;
 * - forward conv with one input channel per group (depthwise, any multiplier) and a window of
 *   at most DEPTHWISE_MAX_TAPS taps: depthwise;
 * - forward conv or deformConv whose per-group GEMM fills tiles (>= 16 output channels per group and a
 *   depth C_in/groups * prod(k) >= 8) when the tiled workgroup fits the device: implicit-gemm;
 * - otherwise direct (tiny channel counts, where a 64 x 64 tile would be mostly padding).
 */
export function selectGpuConvAlgorithm(
  geometry: ConvGeometry,
  pass: GpuPass,
  limits?: SelectionLimits,
): GpuConvAlgorithm {
  if (pass !== 'forward' || geometry.transposed) return 'direct';
  if (
    geometry.offsetGroups === 0 &&
    geometry.inChannelsPerGroup === 1 &&
    geometry.groups > 1 &&
    geometry.kernelVolume <= DEPTHWISE_MAX_TAPS
  ) {
    return 'depthwise';
  }
  const depth = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const fits = limits === undefined || implicitGemmFits(limits);
  if (geometry.outChannelsPerGroup >= 16 && depth >= 8 && fits) return 'implicit-gemm';
  return 'direct';
}

/** Which algorithms run `pass` of this geometry (direct runs everything). */
export function gpuAlgorithmSupports(name: GpuConvAlgorithm, geometry: ConvGeometry, pass: GpuPass): boolean {
  if (name === 'direct') return true;
  if (pass !== 'forward' || geometry.transposed) return false;
  if (name === 'depthwise') return geometry.inChannelsPerGroup === 1 && geometry.offsetGroups === 0;
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
    throw new UnsupportedError(
      `${op}: algorithm '${name}' does not run the ${pass} pass of ${what}${name === 'depthwise' ? ' (it needs one input channel per group)' : ''}; 'direct' and 'auto' run every case`,
    );
  }
  return name;
}
