/**
 * Upsampling kernels on [N, C, ...spatial], PyTorch's F.interpolate:
 * - nearest (1-3 spatial dims): source = min(floor(dst * scale), in - 1)
 * - bilinear (2 spatial dims): alignCorners false: source = max((dst + 0.5) * scale - 0.5, 0);
 *   alignCorners true: source = dst * (in - 1) / (out - 1). Then the two neighbours
 *   floor(source) and floor(source) + 1 (clamped) weighted by the fraction.
 * `scales[d]` is in / out, or 1 / scaleFactor when the caller gave a scale factor (as PyTorch).
 */
import { shapeSize, Tensor } from '@convkit/tensor';

function nearestIndex(outSize: number, inSize: number, scale: number): Int32Array {
  const index = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) index[o] = Math.min(Math.floor(o * scale), inSize - 1);
  return index;
}

/** Per-dim source index tables for nearest upsampling; the 3-D form with leading size-1 dims. */
function nearestTables(
  inputShape: readonly number[],
  outputSpatial: readonly number[],
  scales: readonly number[],
) {
  const pad = 3 - outputSpatial.length;
  const inS = [...new Array(pad).fill(1), ...inputShape.slice(2)];
  const outS = [...new Array(pad).fill(1), ...outputSpatial];
  const sc = [...new Array(pad).fill(1), ...scales];
  return { inS, outS, tables: [0, 1, 2].map((d) => nearestIndex(outS[d]!, inS[d]!, sc[d]!)) };
}

export function upsampleNearest(
  input: Tensor,
  outputSpatial: readonly number[],
  scales: readonly number[],
): Tensor {
  const x = input.contiguous().data;
  const planes = input.shape[0]! * input.shape[1]!;
  const { inS, outS, tables } = nearestTables(input.shape, outputSpatial, scales);
  const [td, th, tw] = tables as [Int32Array, Int32Array, Int32Array];
  const inPlane = inS[0]! * inS[1]! * inS[2]!;
  const outShape = [input.shape[0]!, input.shape[1]!, ...outputSpatial];
  const y = new Float32Array(shapeSize(outShape));
  let q = 0;
  for (let p = 0; p < planes; p++)
    for (let d = 0; d < outS[0]!; d++)
      for (let h = 0; h < outS[1]!; h++) {
        const row = p * inPlane + (td[d]! * inS[1]! + th[h]!) * inS[2]!;
        for (let w = 0; w < outS[2]!; w++) y[q++] = x[row + tw[w]!]!;
      }
  return new Tensor(y, outShape);
}

export function upsampleNearestBackward(
  gradOutput: Tensor,
  inputShape: readonly number[],
  scales: readonly number[],
): Tensor {
  const g = gradOutput.contiguous().data;
  const planes = inputShape[0]! * inputShape[1]!;
  const { inS, outS, tables } = nearestTables(inputShape, gradOutput.shape.slice(2), scales);
  const [td, th, tw] = tables as [Int32Array, Int32Array, Int32Array];
  const inPlane = inS[0]! * inS[1]! * inS[2]!;
  const gx = new Float32Array(shapeSize(inputShape));
  let q = 0;
  for (let p = 0; p < planes; p++)
    for (let d = 0; d < outS[0]!; d++)
      for (let h = 0; h < outS[1]!; h++) {
        const row = p * inPlane + (td[d]! * inS[1]! + th[h]!) * inS[2]!;
        for (let w = 0; w < outS[2]!; w++) gx[row + tw[w]!] += g[q++]!;
      }
  return new Tensor(gx, inputShape);
}

interface LinearTaps {
  lo: Int32Array;
  hi: Int32Array;
  /** Weight of `hi`; `lo` gets 1 - frac. */
  frac: Float64Array;
}

function linearTaps(outSize: number, inSize: number, scale: number, alignCorners: boolean): LinearTaps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const step = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : scale;
  for (let o = 0; o < outSize; o++) {
    const src = alignCorners ? o * step : Math.max((o + 0.5) * step - 0.5, 0);
    const l = Math.min(Math.floor(src), inSize - 1);
    lo[o] = l;
    hi[o] = l < inSize - 1 ? l + 1 : l;
    frac[o] = src - l;
  }
  return { lo, hi, frac };
}

export function upsampleBilinear(
  input: Tensor,
  outputSpatial: readonly number[],
  scales: readonly number[],
  alignCorners: boolean,
): Tensor {
  const x = input.contiguous().data;
  const [N, C, IH, IW] = input.shape as [number, number, number, number];
  const [OH, OW] = outputSpatial as [number, number];
  const th = linearTaps(OH, IH, scales[0]!, alignCorners);
  const tw = linearTaps(OW, IW, scales[1]!, alignCorners);
  const y = new Float32Array(N * C * OH * OW);
  let q = 0;
  for (let p = 0; p < N * C; p++) {
    const base = p * IH * IW;
    for (let h = 0; h < OH; h++) {
      const fh = th.frac[h]!;
      const r0 = base + th.lo[h]! * IW;
      const r1 = base + th.hi[h]! * IW;
      for (let w = 0; w < OW; w++) {
        const fw = tw.frac[w]!;
        const c0 = tw.lo[w]!;
        const c1 = tw.hi[w]!;
        y[q++] =
          (1 - fh) * ((1 - fw) * x[r0 + c0]! + fw * x[r0 + c1]!) +
          fh * ((1 - fw) * x[r1 + c0]! + fw * x[r1 + c1]!);
      }
    }
  }
  return new Tensor(y, [N, C, OH, OW]);
}

export function upsampleBilinearBackward(
  gradOutput: Tensor,
  inputShape: readonly number[],
  scales: readonly number[],
  alignCorners: boolean,
): Tensor {
  const g = gradOutput.contiguous().data;
  const [N, C, IH, IW] = inputShape as [number, number, number, number];
  const [OH, OW] = gradOutput.shape.slice(2) as [number, number];
  const th = linearTaps(OH, IH, scales[0]!, alignCorners);
  const tw = linearTaps(OW, IW, scales[1]!, alignCorners);
  const gx = new Float32Array(N * C * IH * IW);
  let q = 0;
  for (let p = 0; p < N * C; p++) {
    const base = p * IH * IW;
    for (let h = 0; h < OH; h++) {
      const fh = th.frac[h]!;
      const r0 = base + th.lo[h]! * IW;
      const r1 = base + th.hi[h]! * IW;
      for (let w = 0; w < OW; w++) {
        const fw = tw.frac[w]!;
        const v = g[q++]!;
        gx[r0 + tw.lo[w]!] += (1 - fh) * (1 - fw) * v;
        gx[r0 + tw.hi[w]!] += (1 - fh) * fw * v;
        gx[r1 + tw.lo[w]!] += fh * (1 - fw) * v;
        gx[r1 + tw.hi[w]!] += fh * fw * v;
      }
    }
  }
  return new Tensor(gx, inputShape);
}
