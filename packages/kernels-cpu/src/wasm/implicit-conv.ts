/**
 * The forward product of the 'wasm' algorithm as an implicit GEMM (assembly/implicit-gemm.ts):
 * the 4x8 micro-kernel reads its B rows straight from the input in WebAssembly memory
 * (zero-padded once per sample where the geometry pads, crops or strides along the width),
 * one byte offset per K step from a table, instead of gathering packed column panels. Same
 * sums, same order, as loweredProduct (the packed path): results are bit-identical to it.
 *
 * Plan for one geometry (1-3-D, lifted to D, H, W): the input is read as planes of
 * [PD, PH, row] floats per channel: the input buffer itself when nothing is padded, the
 * width stride is 1 and every read stays inside the geometry's input; else a padded copy
 * whose extent is exactly what the output reads ((o - 1) s + (k - 1) d + 1 per dim), each of
 * its rows split by the width stride s into s phase rows (padded column j at phase j % s,
 * index j / s), so that 8 consecutive outputs of one tap read 8 consecutive floats at every
 * stride (the depthwise kernels' padded planes do the same). Output rows of `cols` positions
 * map to input rows; when the plane's row equals the output width (1-wide kernels, no width
 * padding) and the height stride is 1, whole planes are one row. Rows whose last panel would
 * leave more than a tenth of the tile unused stay on the packed path (MIN_PANEL_USE).
 *
 * Measured against loweredProduct in one process (relaxed build, one thread, the shared
 * 2-core Xeon, kernels alone with the input already in WebAssembly memory, median / min of
 * 40 at load ~1-2): c3x3 (C64 56x56 -> 64, k3 p1) 4.79 / 4.67 ms -> 4.31 / 4.17 ms
 * (padding copy 0.05 ms included; 48 -> 54-56 GFLOP/s). pw1x1 (C128 28x28 -> 256) ran
 * 0.97 / 0.93 -> 0.99 / 0.96 ms, so a 1x1 convolution whose columns are its input stays on
 * the packed path (a plain copy into dense panels). Through the op, A/B against the former
 * code in one process (min of 40 at load 3): stem7x7 (C3 224x224 -> 64, k7 s2 p3) 5.31 ->
 * 4.84 ms, 5x5 C32 30x30 -> 64 2.01 -> 1.84 ms, c3x3 4.97 -> 4.40 ms.
 */
import { type ConvGeometry, convGeometry, shapeSize } from '@convkit/tensor';
import { liftSizesTo3d, liftTo3d } from '../reference/lift-to-3d';
import { splitRange } from './split-range';
import { mapFreshFloats, planHeap, readFloats, writeFloats } from './wasm-heap';
import {
  runWasmCalls,
  type WasmArg,
  type WasmCall,
  type WasmGlobal,
  type WasmKernels,
  type WasmTeam,
  wasmTeam,
} from './wasm-runtime';

/** The raw exports of assembly/implicit-gemm.ts. */
export interface ImplicitGemmExports {
  implicitProduct(
    params: number,
    m: number,
    depth: number,
    x: number,
    table: number,
    w: number,
    bias: number,
    y: number,
    work: number,
    rowFirst: number,
    rowEnd: number,
  ): void;
  implicitPad(
    src: number,
    planes: number,
    d: number,
    h: number,
    w: number,
    bufH: number,
    bufW: number,
    bufPlane: number,
    pD: number,
    pH: number,
    pW: number,
    dp: number,
    hp: number,
    wp: number,
    phases: number,
    phaseLength: number,
    dst: number,
  ): void;
  implicitWorkBytes(m: number, depth: number): number;
  implicitWeightGrad(
    params: number,
    m: number,
    depth: number,
    x: number,
    table: number,
    gy: number,
    gw: number,
  ): void;
  IMPLICIT_PARAMS_BYTES: WasmGlobal;
}

/** Readable floats the micro-kernel may load past the last used column of a B row (a panel's tail). */
const READ_SLACK_BYTES = 64;

/**
 * The least share of computed columns that are stored: a row of `cols` outputs runs
 * ceil(cols / 8) panels, the last one a tail whose unused columns are computed for nothing.
 * Measured through the op against the packed path (whose panels run across rows, so they
 * have no tails): rows of 28 or 14 (7/8 used) as fast at stride 1 (C128 28x28 5.17 vs 5.18 ms,
 * C256 14x14 5.48 vs 5.40) and slower at stride 2 (C64 56x56 -> 128 s2: 2.73 vs 2.57 ms);
 * rows of 30 (15/16) ahead (5x5 C32 30x30 -> 64: 1.91 vs 2.16 ms).
 */
const MIN_PANEL_USE = 0.9;

/** How one geometry runs on the implicit product (see the module comment). */
export interface ImplicitPlan {
  /** Pad (or crop) into a copy first; false: read the input buffer in place. */
  readonly padded: boolean;
  /** The padded copy's extent [D, H, W] in input positions (what the output reads). */
  readonly extent: readonly [number, number, number];
  /** Phase rows per padded row (the width stride) and floats per phase row. */
  readonly phases: number;
  readonly phaseLength: number;
  /** Plane dims [PD, PH, row length in floats] the offsets are computed in. */
  readonly plane: readonly [number, number, number];
  /** The parameter block: rows, cols, rowStep, planeRows, sliceStep, ldy (bytes). */
  readonly params: readonly number[];
  /** Byte offset of every K row (channel, kd, kh, kw) from the group's first plane. */
  readonly table: Uint32Array;
}

/**
 * The plan for a (non-transposed, zero-padded) geometry over a buffer of `bufferSpatial`, or
 * null where the implicit product does not run it: output rows so short that panel tails
 * would waste more than a quarter of the tiles, or a plain 1x1 convolution (below).
 */
export function implicitPlan(
  geometry: ConvGeometry,
  bufferSpatial: readonly number[],
  { anyRows = false }: { anyRows?: boolean } = {},
): ImplicitPlan | null {
  if (geometry.transposed || geometry.paddingMode !== 'zeros') return null;
  const lifted = liftTo3d(geometry);
  const [sD, sH, sW] = lifted.stride;
  const input = lifted.inputSize;
  const buffer = liftSizesTo3d(bufferSpatial, 1);
  const [oD, oH, oW] = lifted.outputSize;
  const [kD, kH, kW] = lifted.kernelSize;
  const [dD, dH, dW] = lifted.dilation;
  const extent = [0, 1, 2].map(
    (d) =>
      (lifted.outputSize[d]! - 1) * lifted.stride[d]! + (lifted.kernelSize[d]! - 1) * lifted.dilation[d]! + 1,
  ) as [number, number, number];
  // A width stride splits each padded row into sW phase rows (column j: phase j % sW, index
  // j / sW), so the 8 outputs of a panel read 8 consecutive floats of one phase row.
  const phases = sW;
  const phaseLength = Math.ceil(extent[2] / sW);
  const inPlace = sW === 1 && [0, 1, 2].every((d) => lifted.padBefore[d] === 0 && extent[d]! <= input[d]!);
  const [PD, PH, PW] = inPlace ? buffer : [extent[0], extent[1], sW === 1 ? extent[2] : sW * phaseLength];
  const flatRows = PW === oW && sH === 1;
  const flatAll = flatRows && PH === oH && sD === 1;
  // The columns are the input itself (a 1x1 convolution, stride 1, nothing padded): the packed
  // path copies them into dense panels, which its micro-kernel reads ~3% faster than rows a
  // whole plane apart (pw1x1: 0.93-0.97 against 0.96-1.00 ms, kernels alone, one process).
  if (!anyRows && inPlace && flatAll && kD * kH * kW === 1) return null;
  const rows = flatAll ? 1 : flatRows ? oD : oD * oH;
  const cols = flatAll ? oD * oH * oW : flatRows ? oH * oW : oW;
  if (!anyRows && cols / (Math.ceil(cols / 8) * 8) < MIN_PANEL_USE) return null;
  const params = [rows, cols, sH * PW * 4, flatRows ? 1 : oH, sD * PH * PW * 4, geometry.outputVolume * 4];
  const depth = geometry.inChannelsPerGroup * kD * kH * kW;
  const table = new Uint32Array(depth);
  let k = 0;
  for (let c = 0; c < geometry.inChannelsPerGroup; c++) {
    for (let kd = 0; kd < kD; kd++) {
      for (let kh = 0; kh < kH; kh++) {
        const row = ((c * PD + kd * dD) * PH + kh * dH) * PW;
        for (let kw = 0; kw < kW; kw++) {
          const column = kw * dW;
          table[k++] = (row + (column % sW) * phaseLength + Math.floor(column / sW)) * 4;
        }
      }
    }
  }
  return { padded: !inPlace, extent, phases, phaseLength, plane: [PD, PH, PW], params, table };
}

/**
 * Where sample data at `sampleAt` (bytes, a buffer of `bufferSpatial`) is read from: the
 * plan's zero-padded (or cropped) copy at `paddedAt`, made by `pad` (a call of implicitPad,
 * to run first), or the sample in place (`pad` null).
 */
function sampleSource(
  plan: ImplicitPlan,
  geometry: ConvGeometry,
  bufferSpatial: readonly number[],
  sampleAt: number,
  paddedAt: WasmArg,
): { at: WasmArg; pad: WasmCall | null } {
  if (!plan.padded) return { at: sampleAt, pad: null };
  const lifted = liftTo3d(geometry);
  const buffer = liftSizesTo3d(bufferSpatial, 1);
  const pad: WasmCall = [
    'implicitPad',
    sampleAt,
    geometry.inChannels,
    ...lifted.inputSize,
    buffer[1]!,
    buffer[2]!,
    shapeSize(bufferSpatial),
    ...lifted.padBefore,
    ...plan.extent,
    plan.phases,
    plan.phaseLength,
    paddedAt,
  ];
  return { at: paddedAt, pad };
}

/** The sizes both products derive from a plan: floats a sample reads and writes, the depth. */
function sizesOf(geometry: ConvGeometry, plan: ImplicitPlan, bufferSpatial: readonly number[]) {
  return {
    m: geometry.outChannelsPerGroup,
    depth: plan.table.length,
    sampleIn: geometry.inChannels * shapeSize(bufferSpatial),
    sampleOut: geometry.outChannels * geometry.outputVolume,
    planeVolume: plan.plane[0] * plan.plane[1] * plan.plane[2],
  };
}

/** Writes the plan's parameter block and offset table into their heap regions. */
function writePlan(kernels: WasmKernels, plan: ImplicitPlan, heap: { params: number; table: number }): void {
  new Int32Array(kernels.memory.buffer, heap.params, plan.params.length).set(plan.params);
  new Uint32Array(kernels.memory.buffer, heap.table, plan.table.length).set(plan.table);
}

/** `at` moved by `bytes` (a number, or an offset in the running thread's scratch). */
function offsetArg(at: WasmArg, bytes: number): WasmArg {
  return typeof at === 'number' ? at + bytes : { inThread: at.inThread + bytes };
}

/** Bands of output rows per thread when a team splits one sample (a few: the threads' speeds vary). */
const BANDS_PER_THREAD = 3;

/**
 * A team's chunks of a batch, each the calls of a run of samples: a few per thread (so that a
 * thread that starts late or runs slower leaves little to wait for), each a run of whole
 * samples (so that a large batch makes no more chunks than a team's mailbox holds).
 */
function sampleRunChunks(
  batch: number,
  threads: number,
  sampleCalls: (n: number) => WasmCall[],
): WasmCall[][] {
  return splitRange(batch, Math.min(batch, BANDS_PER_THREAD * threads), 1).map(([n0, n1]) => {
    const calls: WasmCall[] = [];
    for (let n = n0; n < n1; n++) calls.push(...sampleCalls(n));
    return calls;
  });
}

/**
 * Runs a forward product's calls and reads its result out of `result.at` (batch *
 * `result.sampleFloats` floats) into `result.out`, or a fresh array: sample by sample on the
 * caller when `threads` is 1, else on `team`, in runs of samples (sampleRunChunks), or in
 * `oneSample()`'s chunks when the batch is one sample, the caller mapping in a fresh result's
 * pages while the others compute. `scratch`: each thread's work region.
 */
export function runSampleProduct(
  kernels: WasmKernels,
  team: WasmTeam | null,
  threads: number,
  batch: number,
  result: { at: number; sampleFloats: number; out: Float32Array | undefined },
  sampleCalls: (n: number) => WasmCall[],
  oneSample: () => WasmCall[][],
  scratch: { base: number; stride: number },
): Float32Array {
  const length = batch * result.sampleFloats;
  if (team === null || threads < 2) {
    for (let n = 0; n < batch; n++) runWasmCalls(kernels, sampleCalls(n));
    return readFloats(kernels, result.at, length, result.out);
  }
  // A fresh result is made now, its pages mapped in by the caller while the others compute.
  const fresh = result.out === undefined ? new Float32Array(length) : null;
  const chunks = batch > 1 ? sampleRunChunks(batch, team.threads, sampleCalls) : oneSample();
  team.run(chunks, scratch, fresh ? () => mapFreshFloats(fresh) : undefined);
  return readFloats(kernels, result.at, length, fresh ?? result.out);
}

/** Bytes rounded up to a cache line (per-thread regions start on one). */
const line = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * out[n, g] = bias + W_g · im2col(x[n, g]) on the implicit product, a fresh [N, C_out, ...out]
 * array (or `out`, filled and returned); `plan` from implicitPlan for this geometry and buffer.
 */
export function implicitProduct(
  kernels: WasmKernels,
  geometry: ConvGeometry,
  plan: ImplicitPlan,
  input: Float32Array,
  bufferSpatial: readonly number[],
  weight: Float32Array,
  bias: Float32Array | null,
  out?: Float32Array,
): Float32Array {
  const exports = kernels.exports as unknown as ImplicitGemmExports;
  const { batch, inChannels, outChannels, groups, outputVolume } = geometry;
  const { m, depth, sampleIn, sampleOut, planeVolume } = sizesOf(geometry, plan, bufferSpatial);
  // A team (a CPU context's threads on this memory) takes samples, or bands of one sample's
  // output rows; each thread has its own packed weight (and padded copy, per sample).
  const team = wasmTeam();
  const rows = plan.params[0]!;
  const chunkCount = team === null ? 1 : batch > 1 ? batch : Math.min(rows, BANDS_PER_THREAD * team.threads);
  const threads = team === null || chunkCount < 2 ? 1 : team.threads;
  const paddedBytes = plan.padded ? line(inChannels * planeVolume * 4 + READ_SLACK_BYTES) : 0;
  const workBytes = line(exports.implicitWorkBytes(m, depth));
  // Per thread: its padded copy (when samples are split), then its work area.
  const ownPadded = threads > 1 && batch > 1 ? paddedBytes : 0;
  const heap = planHeap(geometry.op, kernels, {
    params: (exports.IMPLICIT_PARAMS_BYTES.value as number) >>> 0,
    table: depth * 4,
    x: batch * sampleIn * 4 + READ_SLACK_BYTES,
    padded: ownPadded > 0 ? 0 : paddedBytes,
    w: outChannels * depth * 4,
    bias: bias === null ? 0 : outChannels * 4,
    y: batch * sampleOut * 4,
    thread: (ownPadded + workBytes) * threads,
  });
  writePlan(kernels, plan, heap);
  writeFloats(kernels, heap.x, input.subarray(0, batch * sampleIn));
  writeFloats(kernels, heap.w, weight.subarray(0, outChannels * depth));
  if (bias !== null) writeFloats(kernels, heap.bias, bias.subarray(0, outChannels));
  const groupPlanes = geometry.inChannelsPerGroup * planeVolume * 4;
  /** Sample n's calls, its output rows [r0, r1); `pad`: make its padded copy first. */
  const sampleCalls = (n: number, r0: number, r1: number, pad: boolean): WasmCall[] => {
    const paddedAt = ownPadded > 0 ? { inThread: 0 } : heap.padded;
    const source = sampleSource(plan, geometry, bufferSpatial, heap.x + n * sampleIn * 4, paddedAt);
    const calls: WasmCall[] = pad && source.pad ? [source.pad] : [];
    for (let g = 0; g < groups; g++) {
      calls.push([
        'implicitProduct',
        heap.params,
        m,
        depth,
        offsetArg(source.at, g * groupPlanes),
        heap.table,
        heap.w + g * m * depth * 4,
        bias === null ? 0 : heap.bias + g * m * 4,
        heap.y + (n * sampleOut + g * m * outputVolume) * 4,
        threads > 1 ? { inThread: ownPadded } : heap.thread,
        r0,
        r1,
      ]);
    }
    return calls;
  };
  return runSampleProduct(
    kernels,
    team,
    threads,
    batch,
    { at: heap.y, sampleFloats: sampleOut, out },
    (n) => sampleCalls(n, 0, rows, true),
    () => {
      const pad = sampleSource(plan, geometry, bufferSpatial, heap.x, heap.padded).pad;
      if (pad) runWasmCalls(kernels, [pad]);
      return splitRange(rows, chunkCount, 1).map(([r0, r1]) => sampleCalls(0, r0, r1, false));
    },
    { base: heap.thread, stride: ownPadded + workBytes },
  );
}

/** Whether every value is finite (NaN and infinities are not). */
function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/**
 * The input gradient of a stride-1 convolution as the forward product of its adjoint: a
 * stride-1 convolution of gradOutput, padded by d (k - 1) - p on each side, with the flipped
 * kernel and the channel roles swapped per group (gradInput[ci] = sum over co and taps of
 * W[co, ci, k - 1 - t] * gradOutput_padded[co, i + t d]); on the implicit product it skips
 * the column tile and the col2im scatter of the packed route. Null where it does not apply:
 * a stride other than 1, padding wider than d (k - 1) on a side (the adjoint would crop),
 * other padding modes, rows its plan refuses, or a non-finite weight (the adjoint multiplies
 * the zeros of its padding by the weights, where the scatter adds only the taps that land).
 */
export function implicitInputGradient(
  kernels: WasmKernels,
  geometry: ConvGeometry,
  gradOutput: Float32Array,
  weight: Float32Array,
  out?: Float32Array,
): Float32Array | null {
  if (geometry.transposed || geometry.paddingMode !== 'zeros' || geometry.stride.some((s) => s !== 1))
    return null;
  const reach = geometry.kernelSize.map((k, d) => geometry.dilation[d]! * (k - 1));
  if (geometry.padBefore.some((p, d) => p > reach[d]!) || geometry.padAfter.some((p, d) => p > reach[d]!)) {
    return null;
  }
  const adjoint = convGeometry({
    op: geometry.op,
    batch: geometry.batch,
    inChannels: geometry.outChannels,
    outChannels: geometry.inChannels,
    inputSpatial: geometry.outputSpatial,
    kernelSize: geometry.kernelSize,
    dilation: geometry.dilation,
    padding: reach.map((r, d) => [r - geometry.padBefore[d]!, r - geometry.padAfter[d]!] as [number, number]),
    groups: geometry.groups,
  });
  const plan = implicitPlan(adjoint, adjoint.inputSpatial);
  if (plan === null || !allFinite(weight)) return null;
  // W [C_out, C_in/g, k] -> W' [C_in, C_out/g, flipped k], group by group.
  const kernelVolume = geometry.kernelVolume;
  const inPerGroup = geometry.inChannelsPerGroup;
  const outPerGroup = geometry.outChannelsPerGroup;
  const flipped = new Float32Array(geometry.outChannels * inPerGroup * kernelVolume);
  for (let g = 0; g < geometry.groups; g++) {
    for (let co = 0; co < outPerGroup; co++) {
      for (let ci = 0; ci < inPerGroup; ci++) {
        const from = ((g * outPerGroup + co) * inPerGroup + ci) * kernelVolume;
        const to = ((g * inPerGroup + ci) * outPerGroup + co) * kernelVolume + kernelVolume - 1;
        for (let t = 0; t < kernelVolume; t++) flipped[to - t] = weight[from + t]!;
      }
    }
  }
  return implicitProduct(kernels, adjoint, plan, gradOutput, adjoint.inputSpatial, flipped, null, out);
}

/**
 * gradWeight [C_out, C_in/g * prod(k)] = sum over samples of gradOutput[n, g] * im2col(x[n, g])^T
 * on assembly/implicit-weight-grad.ts: both operands read in place along output rows (the
 * input padded once per sample as for the forward), sums folded into float64. `plan` from
 * implicitPlan(geometry, bufferSpatial, { anyRows: true }).
 */
export function implicitWeightGradient(
  kernels: WasmKernels,
  geometry: ConvGeometry,
  plan: ImplicitPlan,
  gradOutput: Float32Array,
  input: Float32Array,
  bufferSpatial: readonly number[],
): Float32Array {
  const exports = kernels.exports as unknown as ImplicitGemmExports;
  const { batch, inChannels, outChannels, groups, outputVolume } = geometry;
  const { m, depth, sampleIn, sampleOut, planeVolume } = sizesOf(geometry, plan, bufferSpatial);
  const heap = planHeap(geometry.op, kernels, {
    params: (exports.IMPLICIT_PARAMS_BYTES.value as number) >>> 0,
    table: depth * 4,
    x: batch * sampleIn * 4 + READ_SLACK_BYTES,
    padded: plan.padded ? inChannels * planeVolume * 4 + READ_SLACK_BYTES : 0,
    y: batch * sampleOut * 4 + READ_SLACK_BYTES,
    gw: outChannels * depth * 8,
  });
  writePlan(kernels, plan, heap);
  writeFloats(kernels, heap.x, input.subarray(0, batch * sampleIn));
  writeFloats(kernels, heap.y, gradOutput.subarray(0, batch * sampleOut));
  const sums = new Float64Array(kernels.memory.buffer, heap.gw, outChannels * depth);
  sums.fill(0);
  const groupPlanes = geometry.inChannelsPerGroup * planeVolume * 4;
  for (let n = 0; n < batch; n++) {
    const source = sampleSource(plan, geometry, bufferSpatial, heap.x + n * sampleIn * 4, heap.padded);
    if (source.pad) runWasmCalls(kernels, [source.pad]);
    for (let g = 0; g < groups; g++) {
      exports.implicitWeightGrad(
        heap.params,
        m,
        depth,
        (source.at as number) + g * groupPlanes,
        heap.table,
        heap.y + (n * sampleOut + g * m * outputVolume) * 4,
        heap.gw + g * m * depth * 8,
      );
    }
  }
  return Float32Array.from(sums);
}
