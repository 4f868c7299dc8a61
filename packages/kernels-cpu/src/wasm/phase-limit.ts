/**
 * The limits of the `phase` algorithm (./phase-conv-transpose.ts): transposed convolution
 * only, every pass (forward and gradWeight by phases, gradInput by the strided-convolution
 * GEMM), any dims 1-3, stride, dilation, groups, padding and outputPadding. Returns null
 * inside, else why not, finishing the sentence "algorithm 'phase' ...".
 */
import type { ConvGeometry } from '@convkit/tensor';

export function phaseLimit(geometry: ConvGeometry): string | null {
  return geometry.transposed
    ? null
    : 'runs transposed convolution only (convTranspose and its backward pass)';
}
