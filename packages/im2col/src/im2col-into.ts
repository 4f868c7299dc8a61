/**
 * im2colInto: the allocation-free lowering loop. Fills a tile of torch unfold's column matrix
 * for one sample (layout in lowering-args.ts):
 *
 *   columns[(c - channelStart) * prod(k) + tap, j] = xpad[c, out * stride - padBefore + tap * dilation]
 *
 * where out is output position columnStart + j and xpad is the input padded by the geometry's
 * padding mode (zeros, or the reflected/replicated/wrapped values PyTorch's F.pad gives).
 * The convolution is then one GEMM per group: y[g] = W[g] (C_out/g x C_in/g*prod(k)) times
 * this tile. The loops run along the innermost output dim, reading precomputed index tables
 * instead of testing the padding per element.
 */
import { type LoweringArgs, resolveLowering } from './lowering-args';

/** Writes the column tile described by `args` (every element of it: zeros included). */
export function im2colInto(args: LoweringArgs): void {
  const r = resolveLowering('im2colInto', args);
  const { input, columns, columnCount, columnsRowStride, channelStride } = r;
  if (columnCount === 0) return;
  const [, kernelH, kernelW] = r.kernel;
  const [outD, outH, outW] = r.output;
  const [tableD, tableH, tableW] = r.tables;
  const [strideD, strideH, strideW] = r.spatialStrides;
  // Where the tile's first column lies in the (D, H, W) output grid.
  const startW = r.columnStart % outW;
  const startH = Math.floor(r.columnStart / outW) % outH;
  const startD = Math.floor(r.columnStart / (outW * outH));

  const kernelPlane = kernelH * kernelW;
  const tapEnd = r.tapStart + r.tapCount;
  let row = 0;
  for (let c = r.channelStart; c < r.channelStart + r.channelCount; c++) {
    const channelBase = r.inputOffset + c * channelStride;
    // tap: the kernel tap this row holds, (kd, kh, kw) row-major over the kernel.
    for (let tap = r.tapStart; tap < tapEnd; tap++, row++) {
      const kd = Math.floor(tap / kernelPlane);
      const kh = Math.floor(tap / kernelW) % kernelH;
      const kw = tap % kernelW;
      let p = r.columnsOffset + row * columnsRowStride;
      const end = p + columnCount;
      const tapW = kw * outW;
      // od, oh, ow: the output position of column p; one pass per output row segment.
      let od = startD;
      let oh = startH;
      let ow = startW;
      while (p < end) {
        const run = Math.min(end - p, outW - ow);
        const id = tableD[kd * outD + od]!;
        const ih = tableH[kh * outH + oh]!;
        if (id < 0 || ih < 0) {
          columns.fill(0, p, p + run);
        } else {
          const base = channelBase + id * strideD + ih * strideH;
          for (let q = p, t = tapW + ow, qEnd = p + run; q < qEnd; q++, t++) {
            const iw = tableW[t]!;
            columns[q] = iw < 0 ? 0 : input[base + iw * strideW]!;
          }
        }
        p += run;
        ow = 0;
        if (++oh === outH) {
          oh = 0;
          od++;
        }
      }
    }
  }
}
