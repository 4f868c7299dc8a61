/**
 * Pooling kernels on channels-first activations [N, C, ...spatial] (1-3 spatial dims): max
 * (with dilation and ceil mode, padding as -infinity, the argmax kept for the backward pass),
 * average (count_include_pad and divisor_override as PyTorch) and adaptive average
 * (window [floor(o * in / out), ceil((o + 1) * in / out))). The window arithmetic comes from
 * the ConvGeometry the caller built; the loops treat every case as 3-D with leading size-1 dims.
 */
import { layerMaxPool2x2, layerMaxPool2x2Backward } from '@convkit/kernels-cpu';
import { type ConvGeometry, shapeSize, Tensor } from '@convkit/tensor';
import { flatValues } from './flat-values';
import { takeBuffer, takeIndices } from './recycled-buffers';

/** Per-dim values padded at the front to three dims (1-D and 2-D run as 3-D). */
function three(values: readonly number[], fill: number): [number, number, number] {
  const out = [fill, fill, fill, ...values].slice(-3);
  return [out[0]!, out[1]!, out[2]!];
}

export interface MaxPoolResult {
  output: Tensor;
  /** For each output element, the flat index of its maximum inside its (n, c) input plane. */
  argmax: Int32Array;
}

/**
 * -1 (all bits) when `v` replaces `u` as the running maximum (v > u, or v is NaN and u is not),
 * else 0: comparisons used as 0/1 values, which V8 compiles to flag sets, not jumps.
 */
function replaces(u: number, v: number): number {
  // biome-ignore lint/suspicious/noSelfCompare: the NaN tests as values; Number.isNaN is a call
  return -(+(v > u) | (+(v !== v) & +(u === u)));
}

/**
 * The common case: 1-D or 2-D, no padding, no dilation, every window inside the input
 * (no ceil-mode overhang), so the loops need no bounds checks.
 */
function maxPoolInside(x: Float32Array, geometry: ConvGeometry, out: Float32Array, argmax: Int32Array): void {
  const planes = geometry.batch * geometry.inChannels;
  const [, IH, IW] = three(geometry.inputSpatial, 1);
  const [, OH, OW] = three(geometry.outputSpatial, 1);
  const [, KH, KW] = three(geometry.kernelSize, 1);
  const [, SH, SW] = three(geometry.stride, 1);
  const inPlane = IH * IW;
  if (KH === 2 && KW === 2) {
    // The usual 2x2 window as a branch-free tournament, (a, b) and (c, d) then the winners:
    // data-dependent jumps mispredict on about half of the windows of a real activation and
    // ran 2.3x slower. `replaces(u, v)` is the all-ones mask that picks one of two indices by
    // xor. Ties keep the earlier element and the first NaN sticks, so the result is the scan
    // order's: the first of equal maxima, NaN propagates.
    for (let p = 0, q = 0; p < planes; p++) {
      const base = p * inPlane;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0, at = base + oh * SH * IW; ow < OW; ow++, q++, at += SW) {
          const below = at + IW;
          const a = x[at]!;
          const b = x[at + 1]!;
          const c = x[below]!;
          const d = x[below + 1]!;
          const top = at ^ ((at ^ (at + 1)) & replaces(a, b));
          const bottom = below ^ ((below ^ (below + 1)) & replaces(c, d));
          const u = x[top]!;
          const v = x[bottom]!;
          const best = top ^ ((top ^ bottom) & replaces(u, v));
          out[q] = x[best]!;
          argmax[q] = best - base;
        }
      }
    }
    return;
  }
  for (let p = 0, q = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, q++) {
        const start = oh * SH * IW + ow * SW;
        let bestAt = start;
        let best = x[base + start]!;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0, at = start + kh * IW; kw < KW; kw++, at++) {
            const v = x[base + at]!;
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestAt = at;
              if (Number.isNaN(v)) kh = KH; // NaN propagates, as in PyTorch
            }
          }
        }
        out[q] = best;
        argmax[q] = bestAt;
      }
    }
  }
}

/** MaxPool2d(2): 2-D 2x2 windows at stride 2, no padding or dilation, none past the input's end. */
function pools2x2(geometry: ConvGeometry): boolean {
  return (
    geometry.dims === 2 &&
    geometry.kernelSize.every((k) => k === 2) &&
    geometry.stride.every((s) => s === 2) &&
    geometry.dilation.every((d) => d === 1) &&
    geometry.padBefore.every((p) => p === 0) &&
    geometry.outputSpatial.every((o, d) => o === geometry.inputSpatial[d]! >> 1)
  );
}

export function maxPool(input: Tensor, geometry: ConvGeometry): MaxPoolResult {
  if (pools2x2(geometry)) {
    // kernels-cpu's WebAssembly SIMD kernel (four windows per vector), the same values and argmax.
    const [IH, IW] = geometry.inputSpatial as [number, number];
    const { output, argmax } = layerMaxPool2x2(
      flatValues(input),
      [geometry.batch * geometry.inChannels, IH, IW],
      {
        out: takeBuffer(shapeSize(geometry.outputShape)), // every element is written
        argmax: takeIndices(shapeSize(geometry.outputShape)),
      },
    );
    return { output: new Tensor(output, geometry.outputShape), argmax };
  }
  const x = input.contiguous().data;
  const simple =
    geometry.dims <= 2 &&
    geometry.padBefore.every((v) => v === 0) &&
    geometry.dilation.every((v) => v === 1) &&
    geometry.outputSpatial.every(
      (o, d) => (o - 1) * geometry.stride[d]! + geometry.kernelSize[d]! <= geometry.inputSpatial[d]!,
    );
  if (simple) {
    const out = takeBuffer(shapeSize(geometry.outputShape)); // every element is written
    const argmax = takeIndices(out.length);
    maxPoolInside(x, geometry, out, argmax);
    return { output: new Tensor(out, geometry.outputShape), argmax };
  }
  const planes = geometry.batch * geometry.inChannels;
  const [ID, IH, IW] = three(geometry.inputSpatial, 1);
  const [OD, OH, OW] = three(geometry.outputSpatial, 1);
  const [KD, KH, KW] = three(geometry.kernelSize, 1);
  const [SD, SH, SW] = three(geometry.stride, 1);
  const [DD, DH, DW] = three(geometry.dilation, 1);
  const [PD, PH, PW] = three(geometry.padBefore, 0);
  const inPlane = ID * IH * IW;
  const outPlane = OD * OH * OW;
  const out = new Float32Array(planes * outPlane);
  const argmax = takeIndices(planes * outPlane);
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    // od, oh, ow index the output; kd, kh, kw the window taps.
    for (let od = 0, q = p * outPlane; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, q++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let kd = 0; kd < KD; kd++) {
            const d = od * SD - PD + kd * DD;
            if (d < 0 || d >= ID) continue;
            for (let kh = 0; kh < KH; kh++) {
              const h = oh * SH - PH + kh * DH;
              if (h < 0 || h >= IH) continue;
              for (let kw = 0; kw < KW; kw++) {
                const w = ow * SW - PW + kw * DW;
                if (w < 0 || w >= IW) continue;
                const at = (d * IH + h) * IW + w;
                const v = x[base + at]!;
                // NaN propagates, as in PyTorch.
                if (v > best || Number.isNaN(v) || bestAt < 0) {
                  best = v;
                  bestAt = at;
                  if (Number.isNaN(v)) break;
                }
              }
            }
          }
          out[q] = best;
          argmax[q] = bestAt;
        }
      }
    }
  }
  return { output: new Tensor(out, geometry.outputShape), argmax };
}

/**
 * Whether the windows tile the input exactly: 2-D 2x2 windows at stride 2, no padding or
 * dilation, even sizes. Then every input element is in one window and the backward pass
 * writes each one once (the gradient at the window's argmax, 0 at the other three).
 */
function tiles2x2(geometry: ConvGeometry): boolean {
  return pools2x2(geometry) && geometry.inputSpatial.every((size) => size % 2 === 0);
}

export function maxPoolBackward(gradOutput: Tensor, argmax: Int32Array, geometry: ConvGeometry): Tensor {
  const g = flatValues(gradOutput);
  const planes = geometry.batch * geometry.inChannels;
  const inPlane = geometry.inputVolume;
  const outPlane = geometry.outputVolume;
  const total = shapeSize(geometry.inputShape);
  if (tiles2x2(geometry)) {
    // kernels-cpu's WebAssembly kernel writes whole rows: every element, no clearing pass.
    const [IH, IW] = geometry.inputSpatial as [number, number];
    const gx = layerMaxPool2x2Backward(g, argmax, [planes, IH, IW], { out: takeBuffer(total) });
    return new Tensor(gx, geometry.inputShape);
  }
  const gx = takeBuffer(total, true);
  for (let p = 0; p < planes; p++) {
    for (let o = 0, q = p * outPlane; o < outPlane; o++, q++) {
      if (argmax[q]! >= 0) gx[p * inPlane + argmax[q]!] += g[q]!;
    }
  }
  return new Tensor(gx, geometry.inputShape);
}

export interface AvgPoolOptions {
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/**
 * Visits every (output element, window) pair of average pooling with PyTorch's divisor:
 * the window clipped to input + padding when counting padding, to the input otherwise.
 */
function forEachAvgWindow(
  geometry: ConvGeometry,
  options: AvgPoolOptions,
  visit: (plane: number, q: number, start: number[], end: number[], divisor: number) => void,
): void {
  const planes = geometry.batch * geometry.inChannels;
  const inS = three(geometry.inputSpatial, 1);
  const outS = three(geometry.outputSpatial, 1);
  const k = three(geometry.kernelSize, 1);
  const s = three(geometry.stride, 1);
  const pad = three(geometry.padBefore, 0);
  const outPlane = outS[0] * outS[1] * outS[2];
  const start = [0, 0, 0];
  const end = [0, 0, 0];
  for (let p = 0; p < planes; p++) {
    for (let od = 0, q = p * outPlane; od < outS[0]; od++) {
      for (let oh = 0; oh < outS[1]; oh++) {
        for (let ow = 0; ow < outS[2]; ow++, q++) {
          const o = [od, oh, ow];
          let padded = 1;
          let inside = 1;
          for (let d = 0; d < 3; d++) {
            let lo = o[d]! * s[d] - pad[d];
            let hi = Math.min(lo + k[d], inS[d] + pad[d]);
            padded *= hi - lo;
            lo = Math.max(lo, 0);
            hi = Math.min(hi, inS[d]);
            inside *= Math.max(hi - lo, 0);
            start[d] = lo;
            end[d] = hi;
          }
          const divisor = options.divisorOverride ?? (options.countIncludePad ? padded : inside);
          visit(p, q, start, end, divisor);
        }
      }
    }
  }
}

export function avgPool(input: Tensor, geometry: ConvGeometry, options: AvgPoolOptions): Tensor {
  const x = input.contiguous().data;
  const [, IH, IW] = three(geometry.inputSpatial, 1);
  const inPlane = geometry.inputVolume;
  const out = new Float32Array(shapeSize(geometry.outputShape));
  forEachAvgWindow(geometry, options, (p, q, start, end, divisor) => {
    let sum = 0;
    const base = p * inPlane;
    for (let d = start[0]!; d < end[0]!; d++)
      for (let h = start[1]!; h < end[1]!; h++)
        for (let w = start[2]!; w < end[2]!; w++) sum += x[base + (d * IH + h) * IW + w]!;
    out[q] = sum / divisor;
  });
  return new Tensor(out, geometry.outputShape);
}

export function avgPoolBackward(gradOutput: Tensor, geometry: ConvGeometry, options: AvgPoolOptions): Tensor {
  const g = gradOutput.contiguous().data;
  const [, IH, IW] = three(geometry.inputSpatial, 1);
  const inPlane = geometry.inputVolume;
  const gx = new Float32Array(shapeSize(geometry.inputShape));
  forEachAvgWindow(geometry, options, (p, q, start, end, divisor) => {
    const share = g[q]! / divisor;
    const base = p * inPlane;
    for (let d = start[0]!; d < end[0]!; d++)
      for (let h = start[1]!; h < end[1]!; h++)
        for (let w = start[2]!; w < end[2]!; w++) gx[base + (d * IH + h) * IW + w] += share;
  });
  return new Tensor(gx, geometry.inputShape);
}

/** The input window [start, end) of adaptive pooling output `o` of `outSize` over `inSize`. */
function adaptiveWindow(o: number, inSize: number, outSize: number): [number, number] {
  return [Math.floor((o * inSize) / outSize), Math.ceil(((o + 1) * inSize) / outSize)];
}

/** Visits every adaptive window: plane, output flat index, [start, end) per dim (3-D form). */
function forEachAdaptiveWindow(
  inputShape: readonly number[],
  outputSpatial: readonly number[],
  visit: (plane: number, q: number, start: number[], end: number[]) => void,
): void {
  const spatialRank = inputShape.length - 2;
  const planes = inputShape[0]! * inputShape[1]!;
  const inS = three(inputShape.slice(2), 1);
  const outS = three(outputSpatial, 1);
  const outPlane = outS[0] * outS[1] * outS[2];
  const start = [0, 0, 0];
  const end = [0, 0, 0];
  for (let p = 0; p < planes; p++) {
    for (let od = 0, q = p * outPlane; od < outS[0]; od++) {
      for (let oh = 0; oh < outS[1]; oh++) {
        for (let ow = 0; ow < outS[2]; ow++, q++) {
          const o = [od, oh, ow];
          for (let d = 0; d < 3; d++) {
            const [lo, hi] = d < 3 - spatialRank ? [0, 1] : adaptiveWindow(o[d]!, inS[d], outS[d]);
            start[d] = lo;
            end[d] = hi;
          }
          visit(p, q, start, end);
        }
      }
    }
  }
}

export function adaptiveAvgPool(input: Tensor, outputSpatial: readonly number[]): Tensor {
  const x = input.contiguous().data;
  const [, IH, IW] = three(input.shape.slice(2), 1);
  const inPlane = shapeSize(input.shape.slice(2));
  const outShape = [input.shape[0]!, input.shape[1]!, ...outputSpatial];
  const out = new Float32Array(shapeSize(outShape));
  forEachAdaptiveWindow(input.shape, outputSpatial, (p, q, start, end) => {
    let sum = 0;
    const base = p * inPlane;
    for (let d = start[0]!; d < end[0]!; d++)
      for (let h = start[1]!; h < end[1]!; h++)
        for (let w = start[2]!; w < end[2]!; w++) sum += x[base + (d * IH + h) * IW + w]!;
    out[q] = sum / ((end[0]! - start[0]!) * (end[1]! - start[1]!) * (end[2]! - start[2]!));
  });
  return new Tensor(out, outShape);
}

export function adaptiveAvgPoolBackward(gradOutput: Tensor, inputShape: readonly number[]): Tensor {
  const g = gradOutput.contiguous().data;
  const [, IH, IW] = three(inputShape.slice(2), 1);
  const inPlane = shapeSize(inputShape.slice(2));
  const gx = new Float32Array(shapeSize(inputShape));
  forEachAdaptiveWindow(inputShape, gradOutput.shape.slice(2), (p, q, start, end) => {
    const share = g[q]! / ((end[0]! - start[0]!) * (end[1]! - start[1]!) * (end[2]! - start[2]!));
    const base = p * inPlane;
    for (let d = start[0]!; d < end[0]!; d++)
      for (let h = start[1]!; h < end[1]!; h++)
        for (let w = start[2]!; w < end[2]!; w++) gx[base + (d * IH + h) * IW + w] += share;
  });
  return new Tensor(gx, inputShape);
}
