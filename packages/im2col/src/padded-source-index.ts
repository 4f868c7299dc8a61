/**
 * Where a position of the padded input reads from, for each padding mode, as PyTorch's
 * F.pad defines it (and as Conv*d with padding_mode uses it):
 *   zeros      outside [0, size) reads nothing (-1: the value is 0)
 *   reflect    mirrored about the edge, the edge itself not repeated: -1 -> 1, size -> size - 2
 *   replicate  clamped to the nearest edge element
 *   circular   wrapped: -1 -> size - 1, size -> 0
 * convGeometry guarantees reflect padding < size and circular padding <= size, so one
 * reflection or one wrap always lands inside.
 *
 * `sourceIndexTables` tabulates the map per spatial dim for every (kernel tap, output
 * position) pair: position = out * stride - padBefore + tap * dilation. Every lowering loop
 * (im2col, col2im, the convolution matrix) reads these tables instead of branching per
 * element on the padding mode.
 */
import type { ConvGeometry, PaddingMode } from '@convkit/tensor';

/** The input index a padded position reads, or -1 where it reads a zero. */
export function paddedSourceIndex(mode: PaddingMode, position: number, size: number): number {
  if (position >= 0 && position < size) return position;
  switch (mode) {
    case 'zeros':
      return -1;
    case 'reflect':
      return position < 0 ? -position : 2 * (size - 1) - position;
    case 'replicate':
      return position < 0 ? 0 : size - 1;
    case 'circular':
      return position < 0 ? position + size : position - size;
  }
}

/**
 * Per spatial dim d, an Int32Array of length kernelSize[d] * outputSpatial[d] whose entry
 * [tap * outputSpatial[d] + out] is the input index that tap reads at that output position,
 * or -1 for a zero. Cached per (frozen) geometry, so tiled callers pay for it once.
 */
export function sourceIndexTables(geometry: ConvGeometry): readonly Int32Array[] {
  const cached = tableCache.get(geometry);
  if (cached) return cached;
  const { dims, kernelSize, outputSpatial, inputSpatial, stride, dilation, padBefore, paddingMode } =
    geometry;
  const tables: Int32Array[] = [];
  for (let d = 0; d < dims; d++) {
    const taps = kernelSize[d]!;
    const outs = outputSpatial[d]!;
    const table = new Int32Array(taps * outs);
    for (let tap = 0; tap < taps; tap++) {
      for (let out = 0; out < outs; out++) {
        const position = out * stride[d]! - padBefore[d]! + tap * dilation[d]!;
        table[tap * outs + out] = paddedSourceIndex(paddingMode, position, inputSpatial[d]!);
      }
    }
    tables.push(table);
  }
  const frozen = Object.freeze(tables);
  tableCache.set(geometry, frozen);
  return frozen;
}

const tableCache = new WeakMap<ConvGeometry, readonly Int32Array[]>();
