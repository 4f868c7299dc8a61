/**
 * The `wasm` algorithm of deformable convolution: the bilinear sampling and the GEMM in
 * WebAssembly SIMD (assembly/deform-conv.ts), torchvision's rules exactly
 * (../reference/deform-bilinear.ts is the oracle). Per sample:
 *
 *   table          = the sampling cells of every (offset group, tap, position), once
 *   forward        out[n, g] = bias + W_g · cols, cols gathered straight into the GEMM's panels
 *   backward       per tile of positions:
 *                    gradCols[g]  = W_g^T · gradOut[n, g]                 (GEMM)
 *                    gradInput, gradOffset, gradMask from gradCols         (deformScatter)
 *                    gradWeight_g += gradOut[n, g] · cols[g]^T             (GEMM on a cols tile)
 *                  gradBias = the sum of gradOut over batch and space
 *
 * The input is copied once into planes with a zero border (every bilinear corner is then in
 * memory, and samples outside the image point at zeros), the input gradient is gathered in
 * the same bordered layout and cropped at the end. Sums run in float32 (the GEMM's tiles, the
 * scatter) except the offset and mask gradients, summed over channels in float64; results
 * meet the package's 1e-4 tolerance against the float64 reference. The backward pass's two
 * column tiles share a 16 MiB budget.
 */
import { type ConvGeometry, UnsupportedError } from '@convkit/tensor';
import type { DeformConvData, DeformConvGradientData } from '../deform-algorithms';
import { biasGradientReference } from '../reference/bias-gradient-reference';
import { planHeap, viewFloats, writeFloats } from './wasm-heap';
import { type WasmGlobal, type WasmKernels, wasmKernels } from './wasm-runtime';

/** The raw exports of assembly/deform-conv.ts (and the padding copy and GEMM it uses). */
interface DeformExports {
  deformSampleTable(params: number, offset: number, mask: number, table: number): void;
  deformProduct(
    params: number,
    m: number,
    depth: number,
    x: number,
    channelStart: number,
    table: number,
    w: number,
    y: number,
    accumulate: number,
    work: number,
  ): void;
  deformColumns(
    params: number,
    rows: number,
    x: number,
    table: number,
    l0: number,
    count: number,
    dst: number,
  ): void;
  deformScatter(
    params: number,
    x: number,
    gradCols: number,
    table: number,
    l0: number,
    count: number,
    gradX: number,
    gradOffset: number,
    gradMask: number,
  ): void;
  phasePad(
    src: number,
    planes: number,
    inD: number,
    inH: number,
    inW: number,
    dst: number,
    dP: number,
    hP: number,
    wP: number,
    loD: number,
    loH: number,
    loW: number,
    slack: number,
  ): void;
  sgemm(
    m: number,
    n: number,
    k: number,
    a: number,
    rsa: number,
    csa: number,
    b: number,
    rsb: number,
    csb: number,
    c: number,
    ldc: number,
    accumulate: number,
    work: number,
  ): void;
  DEFORM_PARAMS_BYTES: WasmGlobal;
  DEFORM_TABLE_FIELDS: WasmGlobal;
  DEFORM_WORK_BYTES: WasmGlobal;
}

/** Bytes the backward pass's two column tiles (samples and their gradient) may take. */
const BACKWARD_TILE_BYTES = 16 << 20;

/** Fields per row of the sampling table (assembly/deform-conv.ts: DEFORM_TABLE_FIELDS). */
const TABLE_FIELDS = 9;

/**
 * The WebAssembly working set of one call in bytes (mask included), what 'auto' checks
 * against the memory limit before it picks the algorithm: the regions the kernels below
 * plan, plus 1 MiB for the parameter block and the GEMM's packing scratch.
 */
export function deformWasmWorkingBytes(geometry: ConvGeometry, pass: 'forward' | 'backward'): number {
  const { batch, inChannels, outChannels, offsetGroups } = geometry;
  const { positions, pitch, plane, taps } = shapes(geometry);
  const input = batch * inChannels * geometry.inputVolume;
  const offset = batch * 2 * offsetGroups * taps * positions;
  const mask = offset / 2;
  const weight = outChannels * geometry.inChannelsPerGroup * taps;
  const output = batch * outChannels * positions;
  const table = offsetGroups * taps * TABLE_FIELDS * pitch;
  const common = input + batch * inChannels * plane + offset + mask + table + weight + output;
  const tiles = 2 * inChannels * taps * backwardTile(geometry);
  const backward =
    pass === 'backward' ? tiles + output + batch * inChannels * plane + offset + mask + weight : 0;
  return (common + backward) * 4 + (1 << 20);
}

function kernelsFor(geometry: ConvGeometry): { kernels: WasmKernels; exports: DeformExports } {
  const kernels = wasmKernels();
  if (kernels === null) {
    throw new UnsupportedError(
      `${geometry.op}: algorithm 'wasm' is not loaded: this engine has no WebAssembly SIMD, or (on a browser's main thread) await initWasm() first`,
    );
  }
  return { kernels, exports: kernels.exports as unknown as DeformExports };
}

function global(value: WasmGlobal): number {
  return (value.value as number) >>> 0;
}

/** Positions per backward tile: a multiple of 4 (the sampler's vector), both tiles within budget. */
function backwardTile(geometry: ConvGeometry): number {
  const rows = geometry.inChannels * geometry.kernelVolume;
  return Math.min(geometry.outputVolume, Math.max(4, Math.floor(BACKWARD_TILE_BYTES / (8 * rows) / 4) * 4));
}

/** Sizes shared by both passes. */
function shapes(geometry: ConvGeometry) {
  const [height, width] = geometry.inputSpatial as [number, number];
  const positions = geometry.outputVolume;
  return {
    height,
    width,
    positions,
    // The table's row pitch: whole B panels of 8 positions.
    pitch: Math.ceil(positions / 8) * 8,
    // Bordered plane: one row and column of zeros before, two after.
    plane: (height + 3) * (width + 3),
    taps: geometry.kernelVolume,
    depth: geometry.inChannelsPerGroup * geometry.kernelVolume,
  };
}

function writeParams(kernels: WasmKernels, at: number, geometry: ConvGeometry, pitch: number): void {
  const slots = [
    ...geometry.inputSpatial,
    ...geometry.outputSpatial,
    ...geometry.kernelSize,
    ...geometry.stride,
    ...geometry.padBefore,
    ...geometry.dilation,
    geometry.offsetGroups,
    pitch,
    geometry.inChannels / geometry.offsetGroups,
  ];
  new Int32Array(kernels.memory.buffer, at, slots.length).set(slots);
}

/** Copies the input into WebAssembly memory and into bordered planes at `padded`. */
function writeBorderedInput(
  kernels: WasmKernels,
  exports: DeformExports,
  input: Float32Array,
  at: number,
  padded: number,
  geometry: ConvGeometry,
): void {
  const { height, width } = shapes(geometry);
  writeFloats(kernels, at, input);
  exports.phasePad(
    at,
    geometry.batch * geometry.inChannels,
    1,
    height,
    width,
    padded,
    1,
    height + 3,
    width + 3,
    0,
    1,
    1,
    0,
  );
}

/** Writes [N, C_out, H_out, W_out] into `out`. */
export function deformConvWasm(geometry: ConvGeometry, data: DeformConvData, out: Float32Array): void {
  const { kernels, exports } = kernelsFor(geometry);
  const { batch, inChannels, outChannels, groups, offsetGroups } = geometry;
  const { positions, pitch, plane, taps, depth } = shapes(geometry);
  const m = geometry.outChannelsPerGroup;
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.DEFORM_PARAMS_BYTES),
    x: data.input.length * 4,
    padded: batch * inChannels * plane * 4,
    offset: data.offset.length * 4,
    mask: (data.mask?.length ?? 0) * 4,
    table: offsetGroups * taps * global(exports.DEFORM_TABLE_FIELDS) * pitch * 4,
    w: data.weight.length * 4,
    y: out.length * 4,
    work: global(exports.DEFORM_WORK_BYTES),
  });
  writeParams(kernels, heap.params, geometry, pitch);
  writeBorderedInput(kernels, exports, data.input, heap.x, heap.padded, geometry);
  writeFloats(kernels, heap.offset, data.offset);
  if (data.mask) writeFloats(kernels, heap.mask, data.mask);
  writeFloats(kernels, heap.w, data.weight);
  const { bias } = data;
  if (bias) {
    const y = viewFloats(kernels, heap.y, out.length);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < outChannels; c++) {
        y.fill(bias[c]!, (n * outChannels + c) * positions, (n * outChannels + c + 1) * positions);
      }
    }
  }
  const offsetSample = 2 * offsetGroups * taps * positions;
  const maskSample = offsetGroups * taps * positions;
  for (let n = 0; n < batch; n++) {
    exports.deformSampleTable(
      heap.params,
      heap.offset + n * offsetSample * 4,
      data.mask ? heap.mask + n * maskSample * 4 : 0,
      heap.table,
    );
    for (let g = 0; g < groups; g++) {
      exports.deformProduct(
        heap.params,
        m,
        depth,
        heap.padded + n * inChannels * plane * 4,
        g * geometry.inChannelsPerGroup,
        heap.table,
        heap.w + g * m * depth * 4,
        heap.y + (n * outChannels + g * m) * positions * 4,
        bias ? 1 : 0,
        heap.work,
      );
    }
  }
  out.set(viewFloats(kernels, heap.y, out.length));
}

/** Writes every gradient into `out` given gradOutput [N, C_out, H_out, W_out]. */
export function deformConvBackwardWasm(
  geometry: ConvGeometry,
  gradOutput: Float32Array,
  data: DeformConvData,
  out: DeformConvGradientData,
): void {
  const { kernels, exports } = kernelsFor(geometry);
  const { batch, inChannels, outChannels, groups, offsetGroups } = geometry;
  const { height, width, positions, pitch, plane, taps, depth } = shapes(geometry);
  const m = geometry.outChannelsPerGroup;
  const rows = inChannels * taps;
  const tile = backwardTile(geometry);
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.DEFORM_PARAMS_BYTES),
    x: data.input.length * 4,
    padded: batch * inChannels * plane * 4,
    offset: data.offset.length * 4,
    mask: (data.mask?.length ?? 0) * 4,
    table: offsetGroups * taps * global(exports.DEFORM_TABLE_FIELDS) * pitch * 4,
    w: data.weight.length * 4,
    gy: gradOutput.length * 4,
    gradCols: rows * tile * 4,
    cols: rows * tile * 4,
    gradX: batch * inChannels * plane * 4,
    gradOffset: data.offset.length * 4,
    gradMask: (data.mask?.length ?? 0) * 4,
    gradWeight: data.weight.length * 4,
    work: global(exports.DEFORM_WORK_BYTES),
  });
  writeParams(kernels, heap.params, geometry, pitch);
  writeBorderedInput(kernels, exports, data.input, heap.x, heap.padded, geometry);
  writeFloats(kernels, heap.offset, data.offset);
  if (data.mask) writeFloats(kernels, heap.mask, data.mask);
  writeFloats(kernels, heap.w, data.weight);
  writeFloats(kernels, heap.gy, gradOutput);
  viewFloats(kernels, heap.gradX, batch * inChannels * plane).fill(0);
  viewFloats(kernels, heap.gradWeight, data.weight.length).fill(0);
  const offsetSample = 2 * offsetGroups * taps * positions;
  const maskSample = offsetGroups * taps * positions;
  for (let n = 0; n < batch; n++) {
    const padded = heap.padded + n * inChannels * plane * 4;
    exports.deformSampleTable(
      heap.params,
      heap.offset + n * offsetSample * 4,
      data.mask ? heap.mask + n * maskSample * 4 : 0,
      heap.table,
    );
    for (let l0 = 0; l0 < positions; l0 += tile) {
      const count = Math.min(tile, positions - l0);
      for (let g = 0; g < groups; g++) {
        const gy = heap.gy + ((n * outChannels + g * m) * positions + l0) * 4;
        exports.sgemm(
          depth,
          count,
          m,
          heap.w + g * m * depth * 4,
          1,
          depth,
          gy,
          positions,
          1,
          heap.gradCols + g * depth * count * 4,
          count,
          0,
          heap.work,
        );
      }
      exports.deformScatter(
        heap.params,
        padded,
        heap.gradCols,
        heap.table,
        l0,
        count,
        heap.gradX + n * inChannels * plane * 4,
        heap.gradOffset + n * offsetSample * 4,
        data.mask ? heap.gradMask + n * maskSample * 4 : 0,
      );
      exports.deformColumns(heap.params, rows, padded, heap.table, l0, count, heap.cols);
      for (let g = 0; g < groups; g++) {
        const gy = heap.gy + ((n * outChannels + g * m) * positions + l0) * 4;
        exports.sgemm(
          m,
          depth,
          count,
          gy,
          positions,
          1,
          heap.cols + g * depth * count * 4,
          1,
          count,
          heap.gradWeight + g * m * depth * 4,
          depth,
          1,
          heap.work,
        );
      }
    }
  }
  // Crop the bordered input gradient.
  const gradX = viewFloats(kernels, heap.gradX, batch * inChannels * plane);
  for (let p = 0; p < batch * inChannels; p++) {
    for (let h = 0; h < height; h++) {
      const from = p * plane + (h + 1) * (width + 3) + 1;
      out.gradInput.set(gradX.subarray(from, from + width), (p * height + h) * width);
    }
  }
  out.gradWeight.set(viewFloats(kernels, heap.gradWeight, data.weight.length));
  out.gradOffset.set(viewFloats(kernels, heap.gradOffset, data.offset.length));
  if (out.gradMask) out.gradMask.set(viewFloats(kernels, heap.gradMask, out.gradMask.length));
  out.gradBias.set(biasGradientReference(gradOutput, geometry));
}
