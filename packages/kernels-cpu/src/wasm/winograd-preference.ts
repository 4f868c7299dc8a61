/**
 * Where 'auto' runs 'winograd' (with the WebAssembly kernels loaded): a pure function of the
 * geometry, the same for every pass (gradInput is the same Winograd convolution; gradWeight,
 * by F(3x3, 2x2), was faster than the 'wasm' column correlation wherever measured). Inside the limits
 * (stride 1, kernel 3, 1-D or 2-D), with
 *
 * - 2-D: at least 4 channels on each side of every group and at least 16 output tiles of 4x4
 *   in the call (all samples and phases of a dilated convolution: small samples share blocks
 *   of tiles);
 * - 1-D: at least 32 channels on each side of every group and at least 128 outputs in the
 *   call (32 units of 4, as counted below; measured with F(4, 3), before 1-D moved to the
 *   cheaper F(6, 3));
 * - at most 4096 channels per group on either side, the largest measured for accuracy.
 *
 * Measured (throwaway script, min of 20-30 interleaved runs, one thread, relaxed SIMD, GFLOP/s
 * of the direct convolution, winograd vs wasm, shared and loaded 2-core Xeon; the ratios held
 * on reruns, the absolute numbers move with the load): c3x3 C64 56x56 -> 64 93-114 vs 16-36;
 * dil3x3 (d2 p2) 90-93 vs 12-23; conv1d N8 C256 L1024 -> 256 26-78 vs 17-46 (always ahead in
 * the same run); C16 56x56 2.4x; C4 56x56 2.2x; C128 g8 28x28 2.0x; C64 g32 (2 per group)
 * 2.0x; C64 -> 4 3.3x; C4 -> 64 1.06x; C256 14x14 (16 tiles) 1.4x; C128 10x10 (9 tiles)
 * 0.88x; C256 7x7 (4 tiles) 0.64x (the weight transform outweighs the tiles); with the
 * samples' tiles run together C256 7x7 N4 1.7x, N8 2.3x, C512 7x7 N8 2.2x, C64 4x4 N16 2.9x,
 * C64 14x14 N8 2.3x; 1-D C32 L256 1.37x, C64 L1024 1.64x, C128 L128 1.53x, C64 L64 N4 1.8x,
 * C128 L32 N8 2.2x, C64 L64 (16 tiles) 0.71-1.31x, C16 L256 0.91x, C8 L4096 0.81x. Backward
 * (through convBackward): C256 7x7 N8 52 vs 11, C64 14x14 N8 63 vs 22, C256 7x7 N2 (8 tiles)
 * 17 vs 15, C128 10x10 (9 tiles) 30 vs 33. Stride-1 transposed C64 56x56 k3 p1:
 * 93-97 vs 26-41 for 'phase'; c3x3 backward (gradInput + gradWeight) 74 vs 15-17; gradWeight
 * alone c3x3 61 vs 12-25, dil3x3 28 vs 14, conv1d 21 vs 16, C32 112x112 N2 16 vs 11.
 * Since the kernels' odd point strides and whole-tile stores (assembly/winograd-f4x3.ts), the
 * same configs through the ops (min of 30-40, interleaved with onnxruntime-node, load 5-6):
 * c3x3 1.76-2.06 ms (112-131 GFLOP/s), dil3x3 1.87-1.95 ms (118-124), conv1d 34.4 ms (94),
 * c3x3 backward 4.4-4.8 ms (96-105); the thresholds below were not moved.
 *
 * Accuracy: with weights at PyTorch's default scale (outputs of order 1) the error stays
 * below 3.4e-5 up to 4096 channels (README), a third of the tolerance; data at scales where
 * it would not are run by the direct sum inside the kernel (./winograd-conv-kernels.ts), so
 * the choice stays a function of the geometry.
 */
import type { ConvGeometry } from '@convkit/tensor';
import { winogradLimit } from './winograd-limit';

const MAX_CHANNELS = 4096;

/** Output tiles of the call: every sample's and dilation phase's output in tiles of 4 per dim. */
function tilesOf(geometry: ConvGeometry): number {
  return geometry.outputSpatial.reduce((tiles, size, d) => {
    const dilation = geometry.dilation[d]!;
    return tiles * dilation * Math.ceil(Math.ceil(size / dilation) / 4);
  }, geometry.batch);
}

export function prefersWinograd(geometry: ConvGeometry): boolean {
  if (winogradLimit(geometry) !== null) return false;
  const fewest = Math.min(geometry.inChannelsPerGroup, geometry.outChannelsPerGroup);
  const most = Math.max(geometry.inChannelsPerGroup, geometry.outChannelsPerGroup);
  if (most > MAX_CHANNELS) return false;
  const tiles = tilesOf(geometry);
  if (geometry.dims === 2) return fewest >= 4 && tiles >= 16;
  return fewest >= 32 && tiles >= 32;
}
