/**
 * The loops of batch normalisation that @convkit/layers runs on channels-first activations
 * [N, C, inner] (inner: the product of the spatial sizes), through the WebAssembly SIMD
 * kernels of assembly/layer-batch-norm.ts when they are loaded, else the same loops in
 * TypeScript:
 *
 * - layerBatchNormStats: per channel mean and biased variance, float64 sums of the values
 *   shifted by the channel's first value (one pass);
 * - layerBatchNormApply: y = (x - mean) * invstd * weight + bias;
 * - layerBatchNormForward: both in one call (training), x copied into WebAssembly memory once
 *   (4.4 -> 3.5 ms against the two calls on [128, 32, 28, 28], min of 25, load 1.2);
 * - layerBatchNormBackward: the gradients of weight and bias (float64 sums of g and
 *   g * (x - mean)) and of the input,
 *   gx = scale * (g - mean(g)) - scale * invstd^2 * mean(g * (x - mean)) * (x - mean)
 *   with scale = invstd * weight (training: the statistics were the batch's), or
 *   gx = scale * g (the running statistics were constants).
 *
 * The values are copied into WebAssembly memory and the results back, in chunks of at most
 * 256 KiB there (layer-chunks.ts: the same bits as one piece, and faster). A copy runs at memory
 * speed, about 1.1 ms for 12.8 MB on the shared 2-core Xeon, where a scalar TypeScript pass
 * over the same values took 2.7-5 ms. On [128, 32, 28, 28], min of 20 against the
 * TypeScript loops in one process, load 3.7: statistics 4.0 -> 3.4 ms, apply 6.5 -> 4.1 ms,
 * backward 15.6 -> 8.8 ms (the kernels alone: moments 0.77, dot sums 1.21, affine 0.97,
 * gradient 0.96 ms).
 */
import {
  ArgumentError,
  checkAllocationBytes,
  describeValue,
  optionBoolean,
  readOptions,
} from '@convkit/tensor';
import { type LayerChunk, layerChunks, longestChunk } from './layer-chunks';
import { planHeap, writeFloats } from './wasm-heap';
import { type WasmKernels, wasmKernels } from './wasm-runtime';

/** [batch, channels, inner]: the activation's first two sizes and the product of the rest. */
export type LayerBatchNormShape = readonly [number, number, number];

export interface LayerBatchNormStats {
  /** Per channel. */
  mean: Float64Array;
  /** Per channel, biased (divided by batch * inner). */
  variance: Float64Array;
}

export interface LayerBatchNormApplyOptions {
  mean: Float64Array;
  invstd: Float64Array;
  /** Per channel scale (default 1). */
  weight?: Float32Array | null;
  /** Per channel shift (default 0). */
  bias?: Float32Array | null;
  /** Where y goes (a fresh array by default); may be x itself. */
  out?: Float32Array;
}

export interface LayerBatchNormForwardOptions {
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
  weight?: Float32Array | null;
  bias?: Float32Array | null;
  /** Where y goes (a fresh array by default); may be x itself. */
  out?: Float32Array;
}

export interface LayerBatchNormForward extends LayerBatchNormStats {
  /** 1 / sqrt(variance + eps) per channel. */
  invstd: Float64Array;
  output: Float32Array;
}

export interface LayerBatchNormBackwardOptions {
  mean: Float64Array;
  invstd: Float64Array;
  weight?: Float32Array | null;
  /** The statistics were the batch's (default true). */
  training?: boolean;
  /** Where the input gradient goes (a fresh array by default); may be the output gradient itself. */
  out?: Float32Array;
}

export interface LayerBatchNormGradients {
  gradInput: Float32Array;
  gradWeight: Float32Array;
  gradBias: Float32Array;
}

type Kernel = (...args: number[]) => void;
function kernel(kernels: WasmKernels, name: string): Kernel {
  return kernels.exports[name] as Kernel;
}

/** Copies the chunk of `data` into memory at `at`. */
function writeChunk(kernels: WasmKernels, at: number, data: Float32Array, chunk: LayerChunk): void {
  writeFloats(kernels, at, data.subarray(chunk.offset, chunk.offset + chunk.length));
}

/**
 * The per-channel sums of x (moments), or of g and x (dot sums), of `channels` channels at
 * `heap.sums`, over every chunk in turn (the kernels add into the zeroed sums), each chunk of
 * x (and g) copied to `heap.x` (and `heap.g`) first. The last chunk stays in memory.
 */
function sumsInChunks(
  kernels: WasmKernels,
  chunks: readonly LayerChunk[],
  channels: number,
  inner: number,
  heap: { x: number; g?: number; shifts: number; sums: number },
  x: Float32Array,
  g?: Float32Array,
): Float64Array {
  const sums = new Float64Array(kernels.memory.buffer, heap.sums, 2 * channels);
  sums.fill(0);
  for (const k of chunks) {
    writeChunk(kernels, heap.x, x, k);
    const shifts = heap.shifts + 4 * k.channel;
    const at = heap.sums + 16 * k.channel;
    if (g === undefined) {
      kernel(kernels, 'batchNormMoments')(heap.x, k.batch, k.channels, inner, shifts, at);
    } else {
      writeChunk(kernels, heap.g!, g, k);
      kernel(kernels, 'batchNormDotSums')(heap.g!, heap.x, k.batch, k.channels, inner, shifts, at);
    }
  }
  return sums;
}

/**
 * y = the affine map of x (coefficients at `heap.coef`), chunk by chunk, each written over its
 * copy at `heap.x` and copied out to y (which may be x: a chunk is copied in before it is
 * written). `inMemory`: one chunk, already copied in.
 */
function affineInChunks(
  kernels: WasmKernels,
  chunks: readonly LayerChunk[],
  inner: number,
  heap: { x: number; coef: number },
  x: Float32Array,
  y: Float32Array,
  inMemory: boolean,
): void {
  for (const k of chunks) {
    if (!inMemory) writeChunk(kernels, heap.x, x, k);
    kernel(kernels, 'batchNormAffine')(
      heap.x,
      k.batch,
      k.channels,
      inner,
      heap.coef + 12 * k.channel,
      heap.x,
    );
    y.set(new Float32Array(kernels.memory.buffer, heap.x, k.length), k.offset);
  }
}

/** Statistics need values (`batch * inner > 0`); the element-wise maps take empty tensors. */
function readShape(op: string, shape: unknown, needValues = false): [number, number, number] {
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((v) => Number.isSafeInteger(v) && v >= 0) ||
    (needValues && (shape[0] as number) * (shape[2] as number) === 0)
  ) {
    throw new ArgumentError(
      `${op}: shape must be [batch, channels, inner] (non-negative integers${needValues ? ', batch * inner > 0' : ''}), got ${describeValue(shape)}`,
    );
  }
  return shape as [number, number, number];
}

function checkFloats(op: string, name: string, v: unknown, length: number, what = 'Float32Array'): void {
  const ok = what === 'Float32Array' ? v instanceof Float32Array : v instanceof Float64Array;
  if (!ok || (v as Float32Array | Float64Array).length !== length) {
    throw new ArgumentError(`${op}: ${name} must be a ${what} of ${length} values, got ${describeValue(v)}`);
  }
}

function readOut(op: string, out: unknown, length: number): Float32Array {
  if (out === undefined) return new Float32Array(checkAllocationBytes(op, 'the result', length));
  checkFloats(op, 'out', out, length);
  return out as Float32Array;
}

function readPerChannel(op: string, name: string, v: unknown, channels: number): Float32Array | null {
  if (v === undefined || v === null) return null;
  checkFloats(op, name, v, channels);
  return v as Float32Array;
}

export function layerBatchNormStats(x: Float32Array, shape: LayerBatchNormShape): LayerBatchNormStats {
  const op = 'layerBatchNormStats';
  const [N, C, inner] = readShape(op, shape, true);
  checkFloats(op, 'x', x, N * C * inner);
  const count = N * inner;
  const sums = new Float64Array(2 * C);
  const shifts = new Float32Array(C);
  for (let c = 0; c < C; c++) shifts[c] = x[c * inner]!;
  const kernels = wasmKernels();
  if (kernels !== null && C > 0) {
    const chunks = layerChunks(N, C, inner, 4);
    const heap = planHeap(op, kernels, { x: longestChunk(chunks) * 4, shifts: C * 4, sums: C * 16 });
    writeFloats(kernels, heap.shifts, shifts);
    sums.set(sumsInChunks(kernels, chunks, C, inner, heap, x));
  } else {
    momentsTs(x, N, C, inner, shifts, sums);
  }
  return statsOfSums(sums, shifts, count);
}

/** Mean and biased variance from the sums of d = x - shift and d^2 over `count` values. */
function statsOfSums(sums: Float64Array, shifts: Float32Array, count: number): LayerBatchNormStats {
  const C = shifts.length;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const m = sums[2 * c]! / count;
    mean[c] = shifts[c]! + m;
    variance[c] = Math.max(sums[2 * c + 1]! / count - m * m, 0);
  }
  return { mean, variance };
}

/** Per channel: mean, scale (invstd * weight), shift (bias), the kernel's coefficients. */
function affineCoefficients(
  mean: Float64Array,
  invstd: Float64Array,
  w: Float32Array | null,
  b: Float32Array | null,
): Float32Array {
  const C = mean.length;
  const coef = new Float32Array(3 * C);
  for (let c = 0; c < C; c++) {
    coef[3 * c] = mean[c]!;
    coef[3 * c + 1] = invstd[c]! * (w === null ? 1 : w[c]!);
    coef[3 * c + 2] = b === null ? 0 : b[c]!;
  }
  return coef;
}

export function layerBatchNormApply(
  x: Float32Array,
  shape: LayerBatchNormShape,
  options: LayerBatchNormApplyOptions,
): Float32Array {
  const op = 'layerBatchNormApply';
  const [N, C, inner] = readShape(op, shape);
  checkFloats(op, 'x', x, N * C * inner);
  const o = readOptions(op, options, ['mean', 'invstd', 'weight', 'bias', 'out']);
  checkFloats(op, 'mean', o.mean, C, 'Float64Array');
  checkFloats(op, 'invstd', o.invstd, C, 'Float64Array');
  const mean = o.mean as Float64Array;
  const invstd = o.invstd as Float64Array;
  const w = readPerChannel(op, 'weight', o.weight, C);
  const b = readPerChannel(op, 'bias', o.bias, C);
  const y = readOut(op, o.out, x.length);
  const coef = affineCoefficients(mean, invstd, w, b);
  const kernels = wasmKernels();
  if (kernels !== null && x.length > 0) {
    const chunks = layerChunks(N, C, inner, 4);
    const heap = planHeap(op, kernels, { x: longestChunk(chunks) * 4, coef: coef.length * 4 });
    writeFloats(kernels, heap.coef, coef);
    affineInChunks(kernels, chunks, inner, heap, x, y, false);
  } else {
    affineTs(x, N, C, inner, coef, y);
  }
  return y;
}

/**
 * Training's forward pass in one call: the statistics of x, then y = (x - mean) * invstd *
 * weight + bias with invstd = 1 / sqrt(variance + eps), x copied into WebAssembly memory once
 * for both passes (layerBatchNormStats then layerBatchNormApply copy it twice).
 */
export function layerBatchNormForward(
  x: Float32Array,
  shape: LayerBatchNormShape,
  options?: LayerBatchNormForwardOptions,
): LayerBatchNormForward {
  const op = 'layerBatchNormForward';
  const [N, C, inner] = readShape(op, shape, true);
  checkFloats(op, 'x', x, N * C * inner);
  const o = readOptions(op, options, ['eps', 'weight', 'bias', 'out']);
  const eps = o.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
    throw new ArgumentError(`${op}: eps must be a finite number >= 0, got ${describeValue(eps)}`);
  }
  const w = readPerChannel(op, 'weight', o.weight, C);
  const b = readPerChannel(op, 'bias', o.bias, C);
  const y = readOut(op, o.out, x.length);
  const shifts = new Float32Array(C);
  for (let c = 0; c < C; c++) shifts[c] = x[c * inner]!;
  const sums = new Float64Array(2 * C);
  const kernels = wasmKernels();
  const chunks = layerChunks(N, C, inner, 4);
  const heap =
    kernels !== null && C > 0
      ? planHeap(op, kernels, { x: longestChunk(chunks) * 4, shifts: C * 4, sums: C * 16, coef: C * 12 })
      : null;
  if (kernels !== null && heap !== null) {
    writeFloats(kernels, heap.shifts, shifts);
    sums.set(sumsInChunks(kernels, chunks, C, inner, heap, x));
  } else {
    momentsTs(x, N, C, inner, shifts, sums);
  }
  const { mean, variance } = statsOfSums(sums, shifts, N * inner);
  const invstd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const coef = affineCoefficients(mean, invstd, w, b);
  if (kernels !== null && heap !== null) {
    writeFloats(kernels, heap.coef, coef);
    // One chunk: x is still in memory from the sums.
    affineInChunks(kernels, chunks, inner, heap, x, y, chunks.length === 1);
  } else {
    affineTs(x, N, C, inner, coef, y);
  }
  return { mean, variance, invstd, output: y };
}

export function layerBatchNormBackward(
  gradOutput: Float32Array,
  x: Float32Array,
  shape: LayerBatchNormShape,
  options: LayerBatchNormBackwardOptions,
): LayerBatchNormGradients {
  const op = 'layerBatchNormBackward';
  const [N, C, inner] = readShape(op, shape);
  checkFloats(op, 'gradOutput', gradOutput, N * C * inner);
  checkFloats(op, 'x', x, N * C * inner);
  const o = readOptions(op, options, ['mean', 'invstd', 'weight', 'training', 'out']);
  checkFloats(op, 'mean', o.mean, C, 'Float64Array');
  checkFloats(op, 'invstd', o.invstd, C, 'Float64Array');
  const mean = o.mean as Float64Array;
  const invstd = o.invstd as Float64Array;
  const w = readPerChannel(op, 'weight', o.weight, C);
  const training = optionBoolean(op, 'training', o.training, true);
  const gx = readOut(op, o.out, x.length);
  const count = N * inner;
  const sums = new Float64Array(2 * C);
  // sum(g * (x - mean)) is summed as such (no cancellation against mean * sum(g)), around
  // the float32 mean; the difference to the float64 mean is added back below.
  const shifts = Float32Array.from(mean);
  const kernels = wasmKernels();
  const chunks = layerChunks(N, C, inner, 8);
  const longest = longestChunk(chunks) * 4;
  const heap =
    kernels !== null && x.length > 0
      ? planHeap(op, kernels, { g: longest, x: longest, shifts: C * 4, sums: C * 16, coef: C * 16 })
      : null;
  if (kernels !== null && heap !== null) {
    writeFloats(kernels, heap.shifts, shifts);
    sums.set(sumsInChunks(kernels, chunks, C, inner, heap, x, gradOutput));
  } else {
    dotSumsTs(gradOutput, x, N, C, inner, shifts, sums);
  }
  const gradWeight = new Float32Array(C);
  const gradBias = new Float32Array(C);
  // Per channel: gx = a * g + b * (x - m) + d.
  const coef = new Float32Array(4 * C);
  for (let c = 0; c < C; c++) {
    const s = invstd[c]!;
    const sumG = sums[2 * c]!;
    const sumGX = s * (sums[2 * c + 1]! - (mean[c]! - shifts[c]!) * sumG);
    gradBias[c] = sumG;
    gradWeight[c] = sumGX;
    const scale = s * (w === null ? 1 : w[c]!);
    coef[4 * c] = scale;
    if (training) {
      coef[4 * c + 1] = -scale * s * (sumGX / count);
      coef[4 * c + 2] = mean[c]!;
      coef[4 * c + 3] = -scale * (sumG / count);
    }
  }
  if (kernels !== null && heap !== null) {
    writeFloats(kernels, heap.coef, coef);
    const inMemory = chunks.length === 1; // g and x are still there from the sums
    for (const k of chunks) {
      if (!inMemory) {
        writeChunk(kernels, heap.g, gradOutput, k);
        writeChunk(kernels, heap.x, x, k);
      }
      const coefAt = heap.coef + 16 * k.channel;
      kernel(kernels, 'batchNormGradient')(heap.g, heap.x, k.batch, k.channels, inner, coefAt, heap.g);
      gx.set(new Float32Array(kernels.memory.buffer, heap.g, k.length), k.offset);
    }
  } else {
    gradientTs(gradOutput, x, N, C, inner, coef, gx);
  }
  return { gradInput: gx, gradWeight, gradBias };
}

// The TypeScript loops (no WebAssembly): the same sums in float64, the same maps in float32.

function momentsTs(
  x: Float32Array,
  N: number,
  C: number,
  inner: number,
  shifts: Float32Array,
  sums: Float64Array,
) {
  for (let c = 0; c < C; c++) {
    const shift = shifts[c]!;
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      const end = base + inner;
      let i = base;
      for (; i + 1 < end; i += 2) {
        const d0 = x[i]! - shift;
        const d1 = x[i + 1]! - shift;
        s0 += d0;
        s1 += d1;
        q0 += d0 * d0;
        q1 += d1 * d1;
      }
      if (i < end) {
        const d = x[i]! - shift;
        s0 += d;
        q0 += d * d;
      }
    }
    sums[2 * c] = s0 + s1;
    sums[2 * c + 1] = q0 + q1;
  }
}

function dotSumsTs(
  g: Float32Array,
  x: Float32Array,
  N: number,
  C: number,
  inner: number,
  shifts: Float32Array,
  sums: Float64Array,
) {
  for (let c = 0; c < C; c++) {
    const k = shifts[c]!;
    let g0 = 0;
    let g1 = 0;
    let p0 = 0;
    let p1 = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      const end = base + inner;
      let i = base;
      for (; i + 1 < end; i += 2) {
        const a = g[i]!;
        const b = g[i + 1]!;
        g0 += a;
        g1 += b;
        p0 += a * (x[i]! - k);
        p1 += b * (x[i + 1]! - k);
      }
      if (i < end) {
        g0 += g[i]!;
        p0 += g[i]! * (x[i]! - k);
      }
    }
    sums[2 * c] = g0 + g1;
    sums[2 * c + 1] = p0 + p1;
  }
}

function affineTs(x: Float32Array, N: number, C: number, inner: number, coef: Float32Array, y: Float32Array) {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const m = coef[3 * c]!;
      const k = coef[3 * c + 1]!;
      const b = coef[3 * c + 2]!;
      const base = (n * C + c) * inner;
      const end = base + inner;
      for (let i = base; i < end; i++) y[i] = (x[i]! - m) * k + b;
    }
  }
}

function gradientTs(
  g: Float32Array,
  x: Float32Array,
  N: number,
  C: number,
  inner: number,
  coef: Float32Array,
  gx: Float32Array,
) {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const a = coef[4 * c]!;
      const b = coef[4 * c + 1]!;
      const m = coef[4 * c + 2]!;
      const d = coef[4 * c + 3]!;
      const base = (n * C + c) * inner;
      const end = base + inner;
      for (let i = base; i < end; i++) gx[i] = a * g[i]! + b * (x[i]! - m) + d;
    }
  }
}
