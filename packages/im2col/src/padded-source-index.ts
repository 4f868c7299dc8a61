/**
 * Where each position of the padded input reads from, tabulated. `paddedIndex` in
 * @convkit/tensor maps one position for each padding mode (as PyTorch's F.pad defines it);
 * `sourceIndexTables` tabulates the map per spatial dim for every (kernel tap, output
 * position) pair: position = out * stride - padBefore + tap * dilation. Every lowering loop
 * (im2col, col2im, the convolution matrix) reads these tables instead of branching per
 * element on the padding mode.
 */
import { type ConvGeometry, checkAllocation, paddedIndex } from '@convkit/tensor';
import { checkGeometry } from './check-geometry';

/**
 * Per spatial dim d, an Int32Array of length kernelSize[d] * outputSpatial[d] whose entry
 * [tap * outputSpatial[d] + out] is the input index that tap reads at that output position,
 * or -1 for a zero. Cached per (frozen) geometry, so tiled callers pay for it once. `op`
 * names the caller in errors.
 */
export function sourceIndexTables(
  geometry: ConvGeometry,
  opArg = 'sourceIndexTables',
): readonly Int32Array[] {
  const op = typeof opArg === 'string' ? opArg : 'sourceIndexTables';
  checkGeometry(op, geometry);
  const cached = tableCache.get(geometry);
  if (cached) return cached;
  const { dims, kernelSize, outputSpatial, inputSpatial, stride, dilation, padBefore, paddingMode } =
    geometry;
  // Every table is sized before any is built; 4-byte entries, so the float32 cap applies as is.
  for (let d = 0; d < dims; d++) {
    checkAllocation(op, `the source index table of spatial dim ${d}`, [kernelSize[d]!, outputSpatial[d]!]);
  }
  const tables: Int32Array[] = [];
  for (let d = 0; d < dims; d++) {
    const taps = kernelSize[d]!;
    const outs = outputSpatial[d]!;
    const table = new Int32Array(taps * outs);
    for (let tap = 0; tap < taps; tap++) {
      for (let out = 0; out < outs; out++) {
        const position = out * stride[d]! - padBefore[d]! + tap * dilation[d]!;
        table[tap * outs + out] = paddedIndex(position, inputSpatial[d]!, paddingMode);
      }
    }
    tables.push(table);
  }
  const frozen = Object.freeze(tables);
  tableCache.set(geometry, frozen);
  return frozen;
}

const tableCache = new WeakMap<ConvGeometry, readonly Int32Array[]>();
