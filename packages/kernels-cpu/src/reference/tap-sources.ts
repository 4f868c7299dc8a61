/**
 * tapSources: where each kernel tap reads, at each output position, of a (forward)
 * convolution. Entry [o * prod(k) + t], for output position o (row-major over outputSpatial)
 * and kernel tap t (row-major over kernelSize), is the row-major input spatial offset the tap
 * reads through the padding,
 *   position_d = o_d * stride_d - padBefore_d + t_d * dilation_d   (per spatial dim d)
 *   source_d   = paddedIndex(position_d, inputSpatial_d, paddingMode)
 * or -1 where it reads a zero of the padding. The same for every sample and channel, so the
 * reference kernels look it up instead of mapping each of their products through the padding.
 */
import { type ConvGeometry, checkAllocation, paddedIndex } from '@convkit/tensor';

export function tapSources(geometry: ConvGeometry): Int32Array {
  const { dims, outputSpatial, kernelSize, inputSpatial, stride, dilation, padBefore, paddingMode } =
    geometry;
  checkAllocation(geometry.op, 'tap-source table', [geometry.outputVolume, geometry.kernelVolume]);
  const sources = new Int32Array(geometry.outputVolume * geometry.kernelVolume);
  const outIndex = new Array<number>(dims).fill(0);
  const tapIndex = new Array<number>(dims).fill(0);
  let entry = 0;
  for (let o = 0; o < geometry.outputVolume; o++) {
    tapIndex.fill(0);
    for (let t = 0; t < geometry.kernelVolume; t++) {
      let source = 0;
      for (let d = 0; d < dims; d++) {
        const position = outIndex[d]! * stride[d]! - padBefore[d]! + tapIndex[d]! * dilation[d]!;
        const index = paddedIndex(position, inputSpatial[d]!, paddingMode);
        if (index < 0) {
          source = -1;
          break;
        }
        source = source * inputSpatial[d]! + index;
      }
      sources[entry++] = source;
      increment(tapIndex, kernelSize);
    }
    increment(outIndex, outputSpatial);
  }
  return sources;
}

/** Odometer step of a row-major multi-index. */
function increment(index: number[], sizes: readonly number[]): void {
  for (let d = index.length - 1; d >= 0; d--) {
    if (++index[d]! < sizes[d]!) return;
    index[d] = 0;
  }
}
