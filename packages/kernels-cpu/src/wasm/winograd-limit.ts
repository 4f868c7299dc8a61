/**
 * The limits of the `winograd` algorithm: the geometries whose passes are stride-1, kernel-3
 * convolutions in one or two spatial dims (./winograd-conv-kernels.ts). Any padding, padding
 * mode, dilation, groups, batch and bias; transposed convolution at stride 1 too (its forward
 * and gradInput are such convolutions). Returns null inside, else why not, finishing the
 * sentence "algorithm 'winograd' ...".
 */
import type { ConvGeometry } from '@convkit/tensor';

const list = (values: readonly number[]) => `[${values.join(', ')}]`;

export function winogradLimit(geometry: ConvGeometry): string | null {
  if (geometry.dims === 3) return 'runs 1-D and 2-D convolutions only, got 3-D';
  if (geometry.kernelSize.some((k) => k !== 3)) {
    return `runs kernel size 3 only, got kernel ${list(geometry.kernelSize)}`;
  }
  if (geometry.stride.some((s) => s !== 1)) {
    return `runs stride-1 convolutions only, got stride ${list(geometry.stride)}`;
  }
  return null;
}
