/**
 * The channels-last forward of the 'depthwise' algorithm: a depthwise convolution without
 * channel multiplier read and written in N [D] H W C order, vectorised over channels
 * (assembly/depthwise-conv.ts, depthwiseConvChannelsLast), so channels-last activations need
 * no transpose on the way in or out. `depthwiseChannelsLastLimit` says which geometries it
 * runs; `conv` with `layout: 'channels-last'` runs it through `convChannelsLast` of the
 * algorithm's kernel set (../algorithms.ts) wherever the limit is null, and transposes
 * around the channels-first kernels elsewhere (a channel multiplier, padding modes other
 * than zeros, transposed convolution, the backward passes). 2-D 3x3 kernels (MobileNet's)
 * take a path of their own in the kernel: weights packed per block of four channels, every
 * tap of every pixel run, padding taps reading a pixel of zeros (so the padding is multiplied
 * in, as PyTorch does, and non-finite weights need no detour); other kernels list the taps
 * that land per pixel and skip the padding, so with a non-finite weight they run the
 * channels-first kernel between two transposes. dw3x3 (C256 28x28, channels-last, relaxed
 * SIMD, min of 25-30, shared 2-core Xeon at load 5-7): 0.41 ms with the 3x3 path, 0.69 with
 * the tap lists, against 1.5-2.2 ms through the two transposes; stride 2 (C64 56x56) 0.19
 * against 0.90.
 */
import { type ConvGeometry, tensor, UnsupportedError } from '@convkit/tensor';
import { fromChannelsFirst, toChannelsFirst } from '../layout';
import { convDepthwise } from './depthwise-kernels';
import { planHeap, readFloats, writeFloats } from './wasm-heap';
import { type WasmGlobal, type WasmKernels, wasmKernels } from './wasm-runtime';

interface ChannelsLastExports {
  depthwiseConvChannelsLast(geo: number, x: number, w: number, bias: number, y: number, taps: number): void;
  DW_GEOMETRY_BYTES: WasmGlobal;
}

/** Bytes past every operand that the masked channel tail may read (and discards). */
const READ_SLACK = 16;

/**
 * Null when `convDepthwiseChannelsLast` runs this geometry: a (non-transposed) convolution
 * with one input and one output channel per group and zero padding. Else why not.
 */
export function depthwiseChannelsLastLimit(geometry: ConvGeometry): string | null {
  if (geometry.transposed) return 'runs convolution only, not transposed convolution';
  if (geometry.inChannelsPerGroup !== 1 || geometry.outChannelsPerGroup !== 1) {
    return `runs depthwise convolutions without channel multiplier only (groups = input = output channels), got ${geometry.inChannels} -> ${geometry.outChannels} channels in ${geometry.groups} groups`;
  }
  if (geometry.paddingMode !== 'zeros') {
    return `runs zero padding only, got paddingMode '${geometry.paddingMode}'`;
  }
  return null;
}

function as3d(values: readonly number[], fill: number): number[] {
  return [...Array.from({ length: 3 - values.length }, () => fill), ...values];
}

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/**
 * input [N, ...in, C], weight [C, 1, ...k], bias [C] | null -> output [N, ...out, C], for a
 * geometry within `depthwiseChannelsLastLimit` (else an UnsupportedError).
 */
export function convDepthwiseChannelsLast(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
  out?: Float32Array,
): Float32Array {
  const limit = depthwiseChannelsLastLimit(geometry);
  if (limit !== null)
    throw new UnsupportedError(`${geometry.op}: the channels-last depthwise kernel ${limit}`);
  const { batch, inChannels: channels, kernelVolume, outputVolume } = geometry;
  const is3x3 = geometry.dims === 2 && geometry.kernelSize[0] === 3 && geometry.kernelSize[1] === 3;
  if (!is3x3 && !allFinite(weight)) {
    // The kernel skips the padding, where PyTorch multiplies an infinite weight by its zeros:
    // the channels-first kernel does, at the price of the transposes.
    const first = toChannelsFirst(
      tensor(input, [batch, ...geometry.inputSpatial, channels]),
      'channels-last',
    );
    const out = convDepthwise(first, weight, bias, geometry);
    return fromChannelsFirst(out, [batch, channels, ...geometry.outputSpatial], 'channels-last').data;
  }
  const kernels = wasmKernels();
  if (kernels === null) {
    throw new UnsupportedError(
      `${geometry.op}: algorithm 'depthwise' is not loaded: this engine has no WebAssembly SIMD, or (on a browser's main thread) await initWasm() first`,
    );
  }
  const exports = kernels.exports as unknown as ChannelsLastExports;
  const packed = is3x3 ? packBlocks3x3(weight, channels) : tapMajor(weight, channels, kernelVolume);
  const outLength = batch * outputVolume * channels;
  const heap = planHeap(geometry.op, kernels, {
    geo: exports.DW_GEOMETRY_BYTES.value as number,
    x: input.length * 4 + READ_SLACK,
    w: packed.length * 4 + READ_SLACK,
    bias: channels * 4 + READ_SLACK,
    y: outLength * 4 + READ_SLACK,
    // The 3x3 path's pixel of zeros (padding taps), else the list of taps that land.
    taps: is3x3 ? (channels + 4) * 4 + READ_SLACK : kernelVolume * 8,
  });
  writeGeometry(kernels, heap.geo, geometry, bias !== null, is3x3);
  writeFloats(kernels, heap.x, input);
  writeFloats(kernels, heap.w, packed);
  if (bias !== null) writeFloats(kernels, heap.bias, bias);
  exports.depthwiseConvChannelsLast(heap.geo, heap.x, heap.w, heap.bias, heap.y, heap.taps);
  return readFloats(kernels, heap.y, outLength, out);
}

/**
 * The 'depthwise' algorithm's channels-last forward for the ops (`convChannelsLast` of its
 * kernel set): the output [N, ...out, C] of `convDepthwiseChannelsLast` where
 * `depthwiseChannelsLastLimit` is null, else null (the op then transposes around the
 * channels-first kernels).
 */
export function convChannelsLastDepthwise(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
  out?: Float32Array,
): Float32Array | null {
  if (depthwiseChannelsLastLimit(geometry) !== null) return null;
  return convDepthwiseChannelsLast(input, weight, bias, geometry, out);
}

/** Weights tap-major ([prod(k), C]): one vector load gives four channels' weights of a tap. */
function tapMajor(weight: Float32Array, channels: number, kernelVolume: number): Float32Array {
  const out = new Float32Array(weight.length);
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < kernelVolume; t++) out[t * channels + c] = weight[c * kernelVolume + t]!;
  }
  return out;
}

/**
 * 3x3 weights per block of four channels ([ceil(C/4)][9][4], zeros past the last channel):
 * the nine weight vectors of a block lie one after another.
 */
function packBlocks3x3(weight: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(Math.ceil(channels / 4) * 36);
  for (let c = 0; c < channels; c++) {
    const at = (c >> 2) * 36 + (c & 3);
    for (let t = 0; t < 9; t++) out[at + t * 4] = weight[c * 9 + t]!;
  }
  return out;
}

/** The geometry block of assembly/depthwise-conv.ts (the slots the channels-last kernel reads). */
function writeGeometry(
  kernels: WasmKernels,
  at: number,
  geometry: ConvGeometry,
  hasBias: boolean,
  is3x3: boolean,
): void {
  const slots = new Int32Array(kernels.memory.buffer, at, 32);
  slots.fill(0);
  slots.set([
    geometry.batch,
    geometry.inChannels,
    1,
    0,
    ...as3d(geometry.inputSpatial, 1),
    ...as3d(geometry.outputSpatial, 1),
    ...as3d(geometry.kernelSize, 1),
    ...as3d(geometry.stride, 1),
    ...as3d(geometry.padBefore, 0),
    ...as3d(geometry.dilation, 1),
  ]);
  slots[28] = hasBias ? 1 : 0;
  slots[30] = is3x3 ? 1 : 0;
}
