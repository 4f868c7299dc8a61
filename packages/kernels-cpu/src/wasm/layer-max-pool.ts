/**
 * layerMaxPool2x2: 2x2 max pooling at stride 2 (no padding) with its argmax, on channels-first
 * planes [planes, IH, IW] (planes = N * C), the pooling @convkit/layers' MaxPool2d(2) runs:
 * output [planes, floor(IH / 2), floor(IW / 2)] and, per output, the flat index of its
 * maximum inside its input plane ((2 oh + dy) * IW + 2 ow + dx), the first of equal maxima,
 * NaN propagating (PyTorch's rule). Through the WebAssembly SIMD kernel of
 * assembly/layer-max-pool.ts (four outputs per vector, the window's tournament as lane masks)
 * when loaded, else a branch-free TypeScript loop with the same rule. On [128, 32, 28, 28]
 * (min of 20 in one process against that TypeScript loop, loaded shared 2-core Xeon):
 * 11.1 -> 3.9 ms; [128, 64, 14, 14] 5.8 -> 2.4 ms (load 1.7), copies into and out of
 * WebAssembly memory included. The copies go in chunks of planes of at most 256 KiB there
 * (layer-chunks.ts), which keeps the memory small and the chunk in cache: 2.6 -> 1.9 ms
 * on [128, 32, 28, 28], the backward pass 2.4 -> 1.5 ms.
 *
 * layerMaxPool2x2Backward: its gradient when the windows tile the input (IH, IW even): each
 * input element gets the output gradient if it is its window's argmax, else 0. The kernel
 * writes whole rows (no clearing pass, no scattered stores); the TypeScript fallback clears
 * and scatters. Against the layers' former loop (four zero stores and one scattered store
 * per window), same measurement: 5.3 -> 3.3 ms and 2.6 -> 1.7 ms.
 */
import { ArgumentError, checkAllocationBytes, describeValue, readOptions } from '@convkit/tensor';
import { layerChunks, longestChunk } from './layer-chunks';
import { planHeap } from './wasm-heap';
import { wasmKernels } from './wasm-runtime';

/** [planes, IH, IW]: N * C, then the input's height and width. */
export type LayerMaxPoolShape = readonly [number, number, number];

export interface LayerMaxPoolOptions {
  /** Where the pooled values go (fresh by default): planes * floor(IH / 2) * floor(IW / 2) floats. */
  out?: Float32Array;
  /** Where the argmax goes (fresh by default): as many Int32 indices. */
  argmax?: Int32Array;
}

export interface LayerMaxPoolResult {
  output: Float32Array;
  argmax: Int32Array;
}

const OP = 'layerMaxPool2x2';

function readShape(op: string, shape: unknown, even: boolean): [number, number, number] {
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((v) => Number.isSafeInteger(v) && v >= 0) ||
    (even && (shape[1] % 2 !== 0 || shape[2] % 2 !== 0))
  ) {
    throw new ArgumentError(
      `${op}: shape must be [planes, height, width] (non-negative integers${even ? ', height and width even' : ''}), got ${describeValue(shape)}`,
    );
  }
  return shape as [number, number, number];
}

/**
 * The chunks of planes the kernels run in (layer-chunks.ts): each plane's input, and its output
 * and argmax a quarter of its size each (the argmax is the position inside its plane); `most`
 * is the longest chunk's plane count.
 */
function planeChunks(planes: number, IH: number, IW: number) {
  const inPlane = IH * IW;
  const outPlane = (IH >> 1) * (IW >> 1);
  const chunks = layerChunks(planes, 1, 1, 4 * (inPlane + 2 * outPlane));
  return { inPlane, outPlane, chunks, most: longestChunk(chunks) };
}

export function layerMaxPool2x2(
  x: Float32Array,
  shape: LayerMaxPoolShape,
  options?: LayerMaxPoolOptions,
): LayerMaxPoolResult {
  const [planes, IH, IW] = readShape(OP, shape, false);
  if (!(x instanceof Float32Array) || x.length !== planes * IH * IW) {
    throw new ArgumentError(
      `${OP}: x must be a Float32Array of planes * height * width = ${planes * IH * IW} values, got ${describeValue(x)}`,
    );
  }
  const o = readOptions(OP, options, ['out', 'argmax']);
  const OH = IH >> 1;
  const OW = IW >> 1;
  const size = planes * OH * OW;
  const out = o.out ?? new Float32Array(checkAllocationBytes(OP, 'the output', size));
  if (!(out instanceof Float32Array) || out.length !== size) {
    throw new ArgumentError(`${OP}: out must be a Float32Array of ${size} values, got ${describeValue(out)}`);
  }
  const argmax = o.argmax ?? new Int32Array(checkAllocationBytes(OP, 'the argmax', size));
  if (!(argmax instanceof Int32Array) || argmax.length !== size) {
    throw new ArgumentError(
      `${OP}: argmax must be an Int32Array of ${size} values, got ${describeValue(argmax)}`,
    );
  }
  if (size === 0) return { output: out, argmax };
  const kernels = wasmKernels();
  if (kernels !== null) {
    const { inPlane, outPlane, chunks, most } = planeChunks(planes, IH, IW);
    const heap = planHeap(OP, kernels, {
      x: most * inPlane * 4,
      y: most * outPlane * 4,
      argmax: most * outPlane * 4,
    });
    for (const { offset: p, length: count } of chunks) {
      new Float32Array(kernels.memory.buffer, heap.x, count * inPlane).set(
        x.subarray(p * inPlane, (p + count) * inPlane),
      );
      (kernels.exports.maxPool2x2 as (...args: number[]) => void)(heap.x, count, IH, IW, heap.y, heap.argmax);
      out.set(new Float32Array(kernels.memory.buffer, heap.y, count * outPlane), p * outPlane);
      argmax.set(new Int32Array(kernels.memory.buffer, heap.argmax, count * outPlane), p * outPlane);
    }
  } else {
    maxPool2x2Ts(x, planes, IH, IW, out, argmax);
  }
  return { output: out, argmax };
}

export interface LayerMaxPoolBackwardOptions {
  /** Where the input gradient goes (fresh by default): planes * height * width floats. */
  out?: Float32Array;
}

export function layerMaxPool2x2Backward(
  gradOutput: Float32Array,
  argmax: Int32Array,
  shape: LayerMaxPoolShape,
  options?: LayerMaxPoolBackwardOptions,
): Float32Array {
  const op = 'layerMaxPool2x2Backward';
  const [planes, IH, IW] = readShape(op, shape, true);
  const size = planes * (IH >> 1) * (IW >> 1);
  if (!(gradOutput instanceof Float32Array) || gradOutput.length !== size) {
    throw new ArgumentError(
      `${op}: gradOutput must be a Float32Array of ${size} values, got ${describeValue(gradOutput)}`,
    );
  }
  if (!(argmax instanceof Int32Array) || argmax.length !== size) {
    throw new ArgumentError(
      `${op}: argmax must be an Int32Array of ${size} values, got ${describeValue(argmax)}`,
    );
  }
  const o = readOptions(op, options, ['out']);
  const total = planes * IH * IW;
  const gx = o.out ?? new Float32Array(checkAllocationBytes(op, 'the input gradient', total));
  if (!(gx instanceof Float32Array) || gx.length !== total) {
    throw new ArgumentError(`${op}: out must be a Float32Array of ${total} values, got ${describeValue(gx)}`);
  }
  if (size === 0) return gx;
  const kernels = wasmKernels();
  if (kernels !== null) {
    const { inPlane, outPlane, chunks, most } = planeChunks(planes, IH, IW);
    const heap = planHeap(op, kernels, {
      g: most * outPlane * 4,
      argmax: most * outPlane * 4,
      gx: most * inPlane * 4,
    });
    for (const { offset: p, length: count } of chunks) {
      const outs = [p * outPlane, (p + count) * outPlane] as const;
      new Float32Array(kernels.memory.buffer, heap.g, count * outPlane).set(gradOutput.subarray(...outs));
      new Int32Array(kernels.memory.buffer, heap.argmax, count * outPlane).set(argmax.subarray(...outs));
      (kernels.exports.maxPool2x2Backward as (...args: number[]) => void)(
        heap.g,
        heap.argmax,
        count,
        IH,
        IW,
        heap.gx,
      );
      gx.set(new Float32Array(kernels.memory.buffer, heap.gx, count * inPlane), p * inPlane);
    }
  } else {
    gx.fill(0);
    const inPlane = IH * IW;
    const outPlane = size / planes;
    for (let p = 0, q = 0; p < planes; p++) {
      const base = p * inPlane;
      const end = q + outPlane;
      for (; q < end; q++) gx[base + argmax[q]!] = gradOutput[q]!;
    }
  }
  return gx;
}

/**
 * -1 (all bits) when `v` replaces `u` as the running maximum (v > u, or v is NaN and u is not),
 * else 0: comparisons used as 0/1 values, which V8 compiles to flag sets, not jumps.
 */
function replaces(u: number, v: number): number {
  // biome-ignore lint/suspicious/noSelfCompare: the NaN tests as values; Number.isNaN is a call
  return -(+(v > u) | (+(v !== v) & +(u === u)));
}

/** The tournament with indices picked by xor masks (a data-dependent jump mispredicts on half the windows). */
function maxPool2x2Ts(
  x: Float32Array,
  planes: number,
  IH: number,
  IW: number,
  out: Float32Array,
  argmax: Int32Array,
) {
  const OH = IH >> 1;
  const OW = IW >> 1;
  const inPlane = IH * IW;
  for (let p = 0, q = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0, at = base + 2 * oh * IW; ow < OW; ow++, q++, at += 2) {
        const below = at + IW;
        const top = at ^ ((at ^ (at + 1)) & replaces(x[at]!, x[at + 1]!));
        const bottom = below ^ ((below ^ (below + 1)) & replaces(x[below]!, x[below + 1]!));
        const best = top ^ ((top ^ bottom) & replaces(x[top]!, x[bottom]!));
        out[q] = x[best]!;
        argmax[q] = best - base;
      }
    }
  }
}
