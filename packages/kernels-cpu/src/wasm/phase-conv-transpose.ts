/**
 * The `phase` algorithm: transposed convolution by phase (sub-pixel) decomposition on the
 * WebAssembly GEMM (assembly/phase-conv-transpose.ts). A stride-s transposed convolution is
 * prod(s) stride-1 correlations, one per output phase with the sub-kernel of the taps that
 * land on it (./phase-plan.ts), each a GEMM over implicit columns whose result is written
 * interleaved into the output: no col2im scatter and no zero-stuffed input.
 *
 * | pass                     | computed as                                                        |
 * | ------------------------ | ------------------------------------------------------------------ |
 * | convTranspose forward    | y[phase] = bias + W_phase · cols_phase(x), per sample and group     |
 * | convTranspose gradInput  | a strided convolution of gradOutput: the 'wasm' algorithm's kernel |
 * | convTranspose gradWeight | gW[taps of phase] = Σ_n gradOutput[phase] · cols_phase(x)^T         |
 *
 * The forward reads a zero-padded copy of the input, so a tap that lands outside the output
 * multiplies a zero; a transposed convolution adds only the taps that land, so with a
 * non-finite weight (Inf * 0 = NaN) the forward runs the 'wasm' col2im route instead, and
 * with a non-finite input or gradOutput the weight gradient runs the reference (PyTorch's
 * weight gradient multiplies the zeros around the output by the input, 0 * Inf = NaN, which
 * no phase forms): both then keep PyTorch's values exactly.
 *
 * Plain (non-transposed) convolution is outside the algorithm (its limits say so). Buffers are
 * channels-first; a call copies its operands into WebAssembly memory once (planHeap), runs,
 * and copies the result out. Sums run in float32 inside the GEMM's tiles, as in 'wasm'.
 */
import { type ConvGeometry, UnsupportedError } from '@convkit/tensor';
import { preparedWeightCache } from '../prepare-weight';
import { convTransposeBackwardWeightReference } from '../reference/conv-transpose-backward-weight-reference';
import { type Phase, phasePlan } from './phase-plan';
import { convTransposeWasm } from './wasm-conv-kernels';
import { planHeap, readFloats, viewFloats, writeFloats } from './wasm-heap';
import { type WasmGlobal, type WasmKernels, wasmKernels } from './wasm-runtime';

/** The raw exports of assembly/phase-conv-transpose.ts. */
interface PhaseExports {
  phaseProduct(
    params: number,
    m: number,
    depth: number,
    x: number,
    ktab: number,
    w: number,
    bias: number,
    y: number,
    work: number,
  ): void;
  phaseFill(params: number, m: number, bias: number, y: number): void;
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
  phaseAllFinite(data: number, count: number): number;
  phaseGatherVirtual(params: number, m: number, gy: number, dst: number): void;
  phaseCorrelationVirtual(
    params: number,
    m: number,
    depth: number,
    gyV: number,
    x: number,
    ktab: number,
    t: number,
    accumulate: number,
    work: number,
  ): void;
  PHASE_PARAMS_BYTES: WasmGlobal;
  PHASE_WORK_BYTES: WasmGlobal;
  PHASE_BLOCK_POSITIONS: WasmGlobal;
}

function kernelsFor(geometry: ConvGeometry): { kernels: WasmKernels; exports: PhaseExports } {
  const kernels = wasmKernels();
  if (kernels === null) {
    throw new UnsupportedError(
      `${geometry.op}: algorithm 'phase' is not loaded: this engine has no WebAssembly SIMD, or (on a browser's main thread) await initWasm() first`,
    );
  }
  return { kernels, exports: kernels.exports as unknown as PhaseExports };
}

function global(value: WasmGlobal): number {
  return (value.value as number) >>> 0;
}

/** 3-D view of 1-3-D sizes: leading unit dims. */
function as3d(values: readonly number[]): [number, number, number] {
  return [...Array.from({ length: 3 - values.length }, () => 1), ...values] as [number, number, number];
}

const volume = (values: readonly number[]) => values.reduce((a, b) => a * b, 1);

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}

/** The phases that hold outputs and are reached by at least one tap (the others keep the bias). */
function activePhases(geometry: ConvGeometry): Phase[] {
  return phasePlan(geometry).filter((phase) => phase.taps.length > 0 && volume(phase.count) > 0);
}

/**
 * Writes the parameter block of assembly/phase-conv-transpose.ts for `phase`; `padded`: the
 * padded input's spatial dims (the forward's virtual grid), or the input's.
 */
function writePhaseParams(
  kernels: WasmKernels,
  at: number,
  geometry: ConvGeometry,
  phase: Phase,
  padded: readonly number[],
): void {
  const slots = [
    ...phase.count,
    ...as3d(geometry.inputSpatial),
    ...as3d(geometry.outputSpatial),
    ...phase.start,
    ...phase.stride,
    padded[1]!,
    padded[2]!,
  ];
  new Int32Array(kernels.memory.buffer, at, slots.length).set(slots);
}

/**
 * The phase's weight for every group, [groups][C_out/g][C_in/g * taps] row-major, column
 * (ci, j) = weight[g * C_in/g + ci, co, taps[j]] (the transposed weight is [C_in, C_out/g, ...k]).
 * A prepared weight (prepareWeight) keeps it between calls: it depends only on the weight,
 * the groups and the phase's taps.
 */
function phaseWeight(geometry: ConvGeometry, phase: Phase, weight: Float32Array): Float32Array {
  return preparedWeightCache(weight, `phase:${geometry.groups}:${phase.taps.join(',')}`, () => {
    const m = geometry.outChannelsPerGroup;
    const inPerGroup = geometry.inChannelsPerGroup;
    const taps = phase.taps.length;
    const kernelVolume = geometry.kernelVolume;
    const depth = inPerGroup * taps;
    const out = new Float32Array(geometry.groups * m * depth);
    for (let g = 0; g < geometry.groups; g++) {
      for (let co = 0; co < m; co++) {
        const row = (g * m + co) * depth;
        for (let ci = 0; ci < inPerGroup; ci++) {
          const source = ((g * inPerGroup + ci) * m + co) * kernelVolume;
          for (let j = 0; j < taps; j++) out[row + ci * taps + j] = weight[source + phase.taps[j]!]!;
        }
      }
    }
    return out;
  });
}

/**
 * The zero halo the forward's padded input needs, per dim (d, h, w): every tap of every phase
 * reads a + delta for a < count, which must land inside [0, padded size).
 */
function phaseHalo(geometry: ConvGeometry, phases: readonly Phase[]): { before: number[]; padded: number[] } {
  const input = as3d(geometry.inputSpatial);
  const before = [0, 0, 0];
  const after = [0, 0, 0];
  for (const phase of phases) {
    for (const delta of phase.deltas) {
      for (let d = 0; d < 3; d++) {
        before[d] = Math.max(before[d]!, -delta[d]!);
        after[d] = Math.max(after[d]!, phase.count[d]! - 1 + delta[d]! - (input[d]! - 1));
      }
    }
  }
  return { before, padded: input.map((size, d) => before[d]! + size + after[d]!) };
}

/** The forward's k-table: row (channel, phase tap) -> flat offset into the group's padded input. */
function writeVirtualKTable(
  kernels: WasmKernels,
  at: number,
  geometry: ConvGeometry,
  phase: Phase,
  before: readonly number[],
  padded: readonly number[],
): void {
  const taps = phase.taps.length;
  const [, hP, wP] = padded as [number, number, number];
  const plane = volume(padded);
  const table = new Int32Array(kernels.memory.buffer, at, geometry.inChannelsPerGroup * taps);
  for (let ci = 0; ci < geometry.inChannelsPerGroup; ci++) {
    for (let j = 0; j < taps; j++) {
      const [dd, dh, dw] = phase.deltas[j]!;
      table[ci * taps + j] = ci * plane + ((dd + before[0]!) * hP + dh + before[1]!) * wP + dw + before[2]!;
    }
  }
}

/** Forward: input [N, C_in, ...in], weight [C_in, C_out/g, ...k] -> [N, C_out, ...out]. */
export function convTransposePhase(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
): Float32Array {
  const { kernels, exports } = kernelsFor(geometry);
  const { batch, inChannels, outChannels, groups, outputVolume } = geometry;
  const m = geometry.outChannelsPerGroup;
  const inPerGroup = geometry.inChannelsPerGroup;
  const phases = phasePlan(geometry).filter((phase) => volume(phase.count) > 0);
  const active = phases.filter((phase) => phase.taps.length > 0);
  const maxDepth = inPerGroup * Math.max(0, ...active.map((p) => p.taps.length));
  const { before, padded } = phaseHalo(geometry, active);
  const paddedPlane = volume(padded);
  // What the last B panel may read past the last plane: up to NR - 1 positions.
  const slack = 64;
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.PHASE_PARAMS_BYTES),
    x: input.length * 4,
    xPadded: batch * inChannels * paddedPlane * 4 + slack,
    y: batch * outChannels * outputVolume * 4,
    bias: outChannels * 4,
    weight: weight.length * 4,
    w: groups * m * maxDepth * 4,
    ktab: maxDepth * 4,
    work: global(exports.PHASE_WORK_BYTES) + m * global(exports.PHASE_BLOCK_POSITIONS) * 4,
  });
  const finite = preparedWeightCache(weight, 'phase:finite', () => {
    writeFloats(kernels, heap.weight, weight);
    return exports.phaseAllFinite(heap.weight, weight.length) === 1;
  });
  if (!finite) return convTransposeWasm(input, weight, bias, geometry);
  if (active.length > 0) {
    writeFloats(kernels, heap.x, input);
    const [inD, inH, inW] = as3d(geometry.inputSpatial);
    exports.phasePad(
      heap.x,
      batch * inChannels,
      inD,
      inH,
      inW,
      heap.xPadded,
      ...(padded as [number, number, number]),
      ...(before as [number, number, number]),
      slack,
    );
  }
  if (bias !== null) writeFloats(kernels, heap.bias, bias);
  for (const phase of phases) {
    const depth = inPerGroup * phase.taps.length;
    writePhaseParams(kernels, heap.params, geometry, phase, padded);
    if (depth > 0) {
      writeVirtualKTable(kernels, heap.ktab, geometry, phase, before, padded);
      writeFloats(kernels, heap.w, phaseWeight(geometry, phase, weight));
    }
    for (let n = 0; n < batch; n++) {
      for (let g = 0; g < groups; g++) {
        const biasAt = bias === null ? 0 : heap.bias + g * m * 4;
        const y = heap.y + (n * outChannels + g * m) * outputVolume * 4;
        if (depth === 0) {
          exports.phaseFill(heap.params, m, biasAt, y);
          continue;
        }
        exports.phaseProduct(
          heap.params,
          m,
          depth,
          heap.xPadded + (n * inChannels + g * inPerGroup) * paddedPlane * 4,
          heap.ktab,
          heap.w + g * m * depth * 4,
          biasAt,
          y,
          heap.work,
        );
      }
    }
  }
  // A fresh array filled by set() (several times faster than slice() on a view of the memory).
  const output = new Float32Array(batch * outChannels * outputVolume);
  output.set(viewFloats(kernels, heap.y, output.length));
  return output;
}

/**
 * gradWeight: gradOutput [N, C_out, ...out], input [N, C_in, ...in] -> [C_in, C_out/g, ...k].
 * Per phase and group, T[(ci, tap) x co] = Σ_n cols_phase(x[n, g]) · gradOutput[n, g, phase]^T
 * by GEMM, then added into the taps the phase owns (each tap belongs to one phase per dim;
 * taps of phases without outputs keep a zero gradient). The GEMM runs over the forward's
 * virtual positions of the padded input (vector packing; gradOutput is zero in the padding).
 */
export function convTransposeBackwardWeightPhase(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const { batch, inChannels, outChannels, groups, outputVolume, kernelVolume } = geometry;
  const m = geometry.outChannelsPerGroup;
  const inPerGroup = geometry.inChannelsPerGroup;
  const gradWeight = new Float32Array(inChannels * m * kernelVolume);
  const phases = activePhases(geometry);
  if (phases.length === 0) return gradWeight;
  const { kernels, exports } = kernelsFor(geometry);
  // Non-finite values: PyTorch's weight gradient multiplies the zeros around the output by the
  // input (0 * Inf = NaN), which the phases never form; the reference keeps its values.
  if (!allFinite(input)) return convTransposeBackwardWeightReference(gradOutput, input, geometry);
  const maxDepth = inPerGroup * Math.max(...phases.map((p) => p.taps.length));
  const { before, padded } = phaseHalo(geometry, phases);
  const paddedPlane = volume(padded);
  const [dP, hP, wP] = padded as [number, number, number];
  const maxCount = Math.max(...phases.map((p) => ((p.count[0] - 1) * hP + p.count[1] - 1) * wP + p.count[2]));
  // What a packer may read past the last padded plane: a vector of 4 positions.
  const slack = 64;
  const heap = planHeap(geometry.op, kernels, {
    params: global(exports.PHASE_PARAMS_BYTES),
    x: input.length * 4,
    xPadded: batch * inChannels * paddedPlane * 4 + slack,
    gy: gradOutput.length * 4,
    gyPhase: m * maxCount * 4,
    t: maxDepth * m * 4,
    ktab: maxDepth * 4,
    work: global(exports.PHASE_WORK_BYTES),
  });
  writeFloats(kernels, heap.gy, gradOutput);
  if (exports.phaseAllFinite(heap.gy, gradOutput.length) === 0) {
    return convTransposeBackwardWeightReference(gradOutput, input, geometry);
  }
  writeFloats(kernels, heap.x, input);
  const [inD, inH, inW] = as3d(geometry.inputSpatial);
  const [loD, loH, loW] = before as [number, number, number];
  exports.phasePad(heap.x, batch * inChannels, inD, inH, inW, heap.xPadded, dP, hP, wP, loD, loH, loW, slack);
  for (const phase of phases) {
    const taps = phase.taps.length;
    const depth = inPerGroup * taps;
    writePhaseParams(kernels, heap.params, geometry, phase, padded);
    writeVirtualKTable(kernels, heap.ktab, geometry, phase, before, padded);
    for (let g = 0; g < groups; g++) {
      for (let n = 0; n < batch; n++) {
        exports.phaseGatherVirtual(
          heap.params,
          m,
          heap.gy + (n * outChannels + g * m) * outputVolume * 4,
          heap.gyPhase,
        );
        exports.phaseCorrelationVirtual(
          heap.params,
          m,
          depth,
          heap.gyPhase,
          heap.xPadded + (n * inChannels + g * inPerGroup) * paddedPlane * 4,
          heap.ktab,
          heap.t,
          n > 0 ? 1 : 0,
          heap.work,
        );
      }
      // T is [m x depth]: row co, column (ci, phase tap).
      const t = readFloats(kernels, heap.t, depth * m);
      for (let ci = 0; ci < inPerGroup; ci++) {
        for (let j = 0; j < taps; j++) {
          const tap = phase.taps[j]!;
          for (let co = 0; co < m; co++) {
            gradWeight[((g * inPerGroup + ci) * m + co) * kernelVolume + tap]! +=
              t[co * depth + ci * taps + j]!;
          }
        }
      }
    }
  }
  return gradWeight;
}

/**
 * The entries of plain convolution in the algorithm's kernel set: outside the algorithm, so
 * its limits refuse such calls (naming the op) before a kernel runs; this never runs from an op.
 */
export function convNotTransposedPhase(): never {
  throw new UnsupportedError("algorithm 'phase' runs transposed convolution only");
}
