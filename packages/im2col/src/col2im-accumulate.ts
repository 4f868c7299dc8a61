/**
 * col2imAccumulate: the adjoint of im2colInto, allocation-free. Adds a tile of columns back
 * into an input-shaped buffer (layout in lowering-args.ts):
 *
 *   input[c, src(out * stride - padBefore + tap * dilation)] += columns[(c - channelStart) * prod(k) + tap, j]
 *
 * where src is the padding mode's source map (padded-source-index.ts). With zeros padding
 * the padded positions are dropped, which is torch fold; with reflect, replicate or circular
 * padding each value goes to the input element that im2colInto read it from, so
 * <im2colInto(x), Y> = <x, col2imAccumulate(Y)> holds for every mode. That is what gradInput
 * of a convolution with a padding mode needs (gradInput = col2im(W^T gradOutput)).
 * Overlapping receptive fields sum, as in fold. Nothing is zeroed first: the caller owns
 * `input` and may accumulate several tiles or groups into it.
 */
import { type LoweringArgs, resolveLowering } from './lowering-args';

/** Adds the column tile described by `args` into `args.input`. `args.columns` is only read. */
export function col2imAccumulate(args: LoweringArgs): void {
  const r = resolveLowering('col2imAccumulate', args);
  const { input, columns, columnCount, columnsRowStride, channelStride } = r;
  if (columnCount === 0) return;
  const [, kernelH, kernelW] = r.kernel;
  const [outD, outH, outW] = r.output;
  const [tableD, tableH, tableW] = r.tables;
  const [strideD, strideH, strideW] = r.spatialStrides;
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
        // A zero-padded row segment read nothing, so it gives nothing back.
        if (id >= 0 && ih >= 0) {
          const base = channelBase + id * strideD + ih * strideH;
          for (let q = p, t = tapW + ow, qEnd = p + run; q < qEnd; q++, t++) {
            const iw = tableW[t]!;
            if (iw >= 0) input[base + iw * strideW] += columns[q]!;
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
