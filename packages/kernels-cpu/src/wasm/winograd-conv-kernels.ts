/**
 * The `winograd` algorithm's convolution kernels: stride-1, kernel-3 convolutions (1-D and
 * 2-D, any padding, dilation, groups, batch, bias) by Winograd's F(4x4, 3x3) / F(6, 3) on the
 * WebAssembly SIMD kernels of assembly/winograd-f4x3.ts. Every pass that is itself a stride-1
 * kernel-3 convolution runs there:
 *
 * | op, pass                 | computed as                                                        |
 * | ------------------------ | ------------------------------------------------------------------ |
 * | conv forward             | the convolution itself                                             |
 * | conv gradInput           | a convolution of gradOutput with the flipped, channel-transposed weight, padding 2d - p |
 * | convTranspose forward    | a convolution of the input with the flipped, channel-transposed weight, padding 2d - p |
 * | convTranspose gradInput  | a convolution of gradOutput with the weight as it is, padding p    |
 * | conv gradWeight          | Σ over tiles of F(3x3, 2x2) correlations of input and gradOutput tiles |
 * | convTranspose gradWeight | the same for its flipped convolution, flipped and transposed back  |
 *
 * (d: dilation, p: padding before; the padding after follows from the output size.) The
 * weight gradient sums thousands of tiles, so it uses the smaller F(3x3, 2x2) (transforms of
 * 0 and ±1 only: F(3x3, 4x4) was 10x less exact there) and sums its blocks of 128 tiles in
 * float64 (GRAD_BLOCK_TILES). A call whose operands hold a NaN or an infinity runs the 'wasm' algorithm's direct sum
 * instead: a Winograd tile mixes its 6x6 inputs, so one such value would reach outputs that
 * PyTorch (and the reference) keep finite. Padding
 * modes other than zeros pad the input explicitly first (./padded-input.ts). The weights are
 * read in place with strides (flipped and transposed ones too) and transformed once per call
 * (0.03 ms for c3x3's 64x64 filters: caching the transformed weights between calls would save
 * less than copying them back in costs). The data are checked after the run, from the sums of
 * squares the packing returns: only a call that then takes the direct sum pays twice.
 *
 * Accuracy (float32 transforms and products), against the float64 reference: the 61 stride-1
 * kernel-3 PyTorch goldens (outputs, gradInputs and gradWeights, both builds) within 27% of
 * the 1e-4 + 1e-4 |ref| tolerance (largest relative error 8.4e-5 where |ref| > 0.01); the
 * weight gradient of c3x3 (uniform data, gradWeight up to 84) within 22% of it, as close as
 * 'wasm'; with weights at PyTorch's default scale (outputs of order 1) the largest absolute
 * error is 6e-6 at 64 channels, 1.6e-5 at 256 and 3.4e-5 at 2048 (2-D; 1-D, F(6, 3), 6.6e-6 at
 * 1024 channels).
 * The error scales with the output's magnitude (with unit-variance weights 2-D would reach
 * the tolerance at about 64 channels), so each call estimates it from the data and runs the
 * direct sum where the estimate exceeds a third of the tolerance (ERROR_BUDGET below).
 */
import { type ConvGeometry, UnsupportedError } from '@convkit/tensor';
import { foldPaddedGradient, paddedGeometry, padInput } from './padded-input';
import { splitRange } from './split-range';
import {
  convBackwardInputWasm,
  convBackwardWeightWasm,
  convTransposeBackwardInputWasm,
  convTransposeBackwardWeightWasm,
  convTransposeWasm,
  convWasm,
} from './wasm-conv-kernels';
import { mapFreshFloats, planHeap, readFloats, viewFloats, writeFloats } from './wasm-heap';
import { type WasmCall, type WasmKernels, wasmKernels, wasmTeam } from './wasm-runtime';
import { winogradBlockTiles } from './winograd-block-tiles';

/** The raw exports of assembly/winograd-f4x3.ts. */
interface WinogradExports {
  winogradSumSquares(x: number, count: number): number;
  winogradWeightGradWorkBytes(dims: number, cinG: number, coutG: number, blockTiles: number): number;
  winogradWeightGradAccumulate(
    dims: number,
    xPlanes: number,
    inChannels: number,
    planeH: number,
    planeW: number,
    gyPlanes: number,
    outChannels: number,
    gyPlaneH: number,
    gyPlaneW: number,
    dH: number,
    dW: number,
    tilesH: number,
    tilesW: number,
    batch: number,
    sampleXBytes: number,
    sampleGyBytes: number,
    groups: number,
    cinG: number,
    coutG: number,
    blockTiles: number,
    m64: number,
    overwrite: number,
    work: number,
    tileFirst: number,
    tileEnd: number,
  ): void;
  winogradWeightGradOutput(
    dims: number,
    m64: number,
    groups: number,
    coutG: number,
    cinG: number,
    gw: number,
  ): void;
  winogradWeightBytes(dims: number, groups: number, coutG: number, cinG: number): number;
  winogradWorkBytes(dims: number, cinG: number, coutG: number, blockTiles: number): number;
  winogradTransformWeights(
    dims: number,
    w: number,
    base: number,
    sG: number,
    sCo: number,
    sCi: number,
    sKh: number,
    sKw: number,
    groups: number,
    coutG: number,
    cinG: number,
    u: number,
    scratch: number,
  ): void;
  winogradPackInput(
    x: number,
    channels: number,
    inH: number,
    inW: number,
    padH: number,
    padW: number,
    dH: number,
    dW: number,
    planes: number,
    planeH: number,
    planeW: number,
  ): number;
  winogradConv(
    dims: number,
    planes: number,
    inChannels: number,
    planeH: number,
    planeW: number,
    u: number,
    bias: number,
    hasBias: number,
    y: number,
    outH: number,
    outW: number,
    dH: number,
    dW: number,
    tilesH: number,
    tilesW: number,
    batch: number,
    sampleInBytes: number,
    sampleOutBytes: number,
    groups: number,
    cinG: number,
    coutG: number,
    blockTiles: number,
    work: number,
    tileFirst: number,
    tileEnd: number,
  ): void;
}

/** Output tile edge of F(4x4, 3x3) (2-D). */
const TILE_2D = 4;
/** Output tile width of F(6, 3) (1-D). */
const TILE_1D = 6;
/**
 * Bytes of packed input planes per run: samples smaller than this are packed and tiled
 * together (up to this many bytes of planes), larger ones one at a time, so the planes stay
 * in cache between packing and the input transform.
 */
const CHUNK_BYTES = 2 << 20;

/**
 * Blocks of tiles a team thread gets at least (smaller blocks when a call has fewer): enough
 * that a thread that starts late or runs slower leaves less to wait for.
 */
const TEAM_BLOCKS = 2;
/** Byte offsets the kernel's tile table holds are i32: a chunk's outputs stay below this. */
const I32_OFFSETS = 2 ** 30;

/**
 * One stride-1 kernel-3 convolution as the kernels see it: channels-first input and output,
 * the weight read through strides (element (group, co, ci, kh, kw) at base + group * sG +
 * co * sCo + ci * sCi + kh * sKh + kw * sKw; co and ci within the group), padding before
 * (any integer; negative crops) and dilation.
 */
interface WinogradProblem {
  op: string;
  dims: 1 | 2;
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  inputSpatial: readonly number[];
  outputSpatial: readonly number[];
  padBefore: readonly number[];
  dilation: readonly number[];
  weight: Float32Array;
  weightStrides: { base: number; group: number; co: number; ci: number; kh: number; kw: number };
  bias: Float32Array | null;
}

function kernelsFor(op: string): { kernels: WasmKernels; exports: WinogradExports } {
  const kernels = wasmKernels();
  if (kernels === null) {
    throw new UnsupportedError(
      `${op}: algorithm 'winograd' is not loaded: this engine has no WebAssembly SIMD, or (on a browser's main thread) await initWasm() first`,
    );
  }
  return { kernels, exports: kernels.exports as unknown as WinogradExports };
}

/** [H, W] of 1-D and 2-D sizes (1-D: one row). */
function rows(values: readonly number[], fill: number): [number, number] {
  return values.length === 2 ? [values[0]!, values[1]!] : [fill, values[0]!];
}

/**
 * The float32 rounding error of the transforms, measured: max |error| ≈ ERROR_2D (1-D:
 * ERROR_1D) * s * depth^(1/3), with depth = C_in/g * taps and s = sqrt(depth) * rms(input) *
 * rms(weight), the typical size of one output (fitted on unit-scale and PyTorch-scale data, 16
 * to 4096 channels: c3x3-like C64 with uniform data in ±1 1.5e-4, with PyTorch's weight scale
 * 6.4e-6). A call whose estimate exceeds ERROR_BUDGET, a third of the 1e-4 absolute tolerance,
 * runs the 'wasm' direct sum instead: Winograd then keeps the contract for any data.
 */
const ERROR_2D = 2.4e-6;
const ERROR_1D = 1.5e-6;
const ERROR_BUDGET = 3e-5;

/**
 * Runs one problem on the WebAssembly kernels; input [N, C_in, ...in] -> output [N, C_out,
 * ...out]. Null when the input or the weight holds a NaN or an infinity (a tile's transform
 * would spread it over the tile's neighbourhood) or when their scale puts the estimated
 * rounding error of the transforms over ERROR_BUDGET: the caller then runs the direct sum.
 */
function runWinograd(problem: WinogradProblem, input: Float32Array, out?: Float32Array): Float32Array | null {
  const { kernels, exports } = kernelsFor(problem.op);
  const { dims, batch, inChannels, outChannels, groups } = problem;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const [inH, inW] = rows(problem.inputSpatial, 1);
  const [outH, outW] = rows(problem.outputSpatial, 1);
  const [padH, padW] = rows(problem.padBefore, 0);
  const [dH, dW] = rows(problem.dilation, 1);
  const inVolume = inH * inW;
  const outVolume = outH * outW;
  // Phase 0 has the most outputs; every phase uses its tile grid.
  const tile = dims === 2 ? TILE_2D : TILE_1D;
  const tilesH = dims === 2 ? Math.ceil(Math.ceil(outH / dH) / tile) : 1;
  const tilesW = Math.ceil(Math.ceil(outW / dW) / tile);
  const planeH = dims === 2 ? tilesH * tile + 2 : 1;
  // Each tile row is read as two vectors (8 floats) from tile * tw.
  const planeW = tilesW * tile + 4;
  const points = dims === 2 ? 36 : 8;
  // Samples packed and run together: as many as keep their planes within CHUNK_BYTES (small
  // samples then share blocks of tiles, and one block streams the weights for all of them).
  const samplePlanes = dH * dW * inChannels * planeH * planeW * 4;
  const sampleIn = inChannels * inVolume * 4;
  const sampleOut = outChannels * outVolume * 4;
  const chunk = Math.max(
    1,
    Math.min(batch, Math.floor(CHUNK_BYTES / samplePlanes), Math.floor(I32_OFFSETS / sampleOut)),
  );
  const totalTiles = chunk * dH * dW * tilesH * tilesW;
  const perTile = points * (cinG + coutG) * 4;
  const weightBytes = exports.winogradWeightBytes(dims, groups, coutG, cinG);
  // A team (a CPU context's threads on this memory) takes blocks of tiles, each thread with
  // its own scratch: the same bits as one thread. It needs at least TEAM_BLOCKS blocks a thread.
  const team = wasmTeam();
  const fewest = team === null ? 1 : TEAM_BLOCKS * team.threads;
  const blockTiles = Math.min(
    winogradBlockTiles(dims, totalTiles, perTile, weightBytes, groups),
    Math.max(8, Math.ceil(totalTiles / fewest / 8) * 8),
  );
  const threads = team === null ? 1 : Math.min(team.threads, Math.ceil(totalTiles / blockTiles));
  // Regions share memory where their lives do not overlap: a chunk's input is dead once it is
  // packed (its output takes the region), the weights once they are transformed (the planes
  // take theirs). Fewer bytes for the caches to hold: after an idle moment, a call's first
  // touches of memory are what makes it slow (c3x3 after 30 ms asleep, min of 25, three runs
  // interleaved: 2.55-2.66 ms with separate regions, 2.39-2.52 shared; the same when warm).
  const workBytes = Math.ceil(exports.winogradWorkBytes(dims, cinG, coutG, blockTiles) / 64) * 64;
  const regions = planHeap(problem.op, kernels, {
    xy: chunk * Math.max(sampleIn, sampleOut),
    wPlanes: Math.max(chunk * samplePlanes, problem.weight.length * 4),
    u: weightBytes,
    bias: outChannels * 4,
    work: workBytes * threads,
  });
  const heap = { ...regions, x: regions.xy, y: regions.xy, w: regions.wPlanes, planes: regions.wPlanes };
  writeFloats(kernels, heap.w, problem.weight);
  const weightSquares = exports.winogradSumSquares(heap.w, problem.weight.length);
  if (!Number.isFinite(weightSquares)) return null;
  if (problem.bias !== null) writeFloats(kernels, heap.bias, problem.bias);
  const s = problem.weightStrides;
  exports.winogradTransformWeights(
    dims,
    heap.w,
    s.base,
    s.group,
    s.co,
    s.ci,
    s.kh,
    s.kw,
    groups,
    coutG,
    cinG,
    heap.u,
    heap.work,
  );
  // The input's sum of squares comes from the packing (it reads every input the convolution
  // uses), so the data are checked after the run: only a call that then runs the direct sum
  // pays for the transforms twice.
  let inputSquares = 0;
  const sampleOutFloats = outChannels * outVolume;
  // The result is a fresh array (the one allocation a call must make); with one chunk it is
  // sliced from WebAssembly memory, which V8 allocates without zeroing it first (c3x3, min of
  // 100 interleaved runs, load 3: 1.95 -> 1.93 ms median, 1.81 -> 1.76 min).
  // A caller's `out` takes every chunk's output in place of a fresh array.
  let output: Float32Array | null =
    out ?? (chunk >= batch ? null : new Float32Array(batch * sampleOutFloats));
  for (let n0 = 0; n0 < batch; n0 += chunk) {
    const samples = Math.min(chunk, batch - n0);
    // Each chunk's input goes in just before it is packed, while it is still in cache.
    writeFloats(
      kernels,
      heap.x,
      input.subarray(n0 * inChannels * inVolume, (n0 + samples) * inChannels * inVolume),
    );
    for (let i = 0; i < samples; i++) {
      inputSquares += exports.winogradPackInput(
        heap.x + i * sampleIn,
        inChannels,
        inH,
        inW,
        padH,
        padW,
        dH,
        dW,
        heap.planes + i * samplePlanes,
        planeH,
        planeW,
      );
    }
    const convArgs = [
      dims,
      heap.planes,
      inChannels,
      planeH,
      planeW,
      heap.u,
      heap.bias,
      problem.bias !== null ? 1 : 0,
      heap.y,
      outH,
      outW,
      dH,
      dW,
      tilesH,
      tilesW,
      samples,
      samplePlanes,
      sampleOut,
      groups,
      cinG,
      coutG,
      blockTiles,
    ] as const;
    const tiles = samples * dH * dW * tilesH * tilesW;
    if (team === null || threads < 2) exports.winogradConv(...convArgs, heap.work, 0, tiles);
    else {
      // Chunks of one block each; the caller maps in a fresh result's pages first.
      const fresh = out === undefined;
      output ??= new Float32Array(batch * sampleOutFloats);
      const target = output.subarray(n0 * sampleOutFloats, (n0 + samples) * sampleOutFloats);
      const chunks: WasmCall[][] = [];
      for (let t0 = 0; t0 < tiles; t0 += blockTiles)
        chunks.push([['winogradConv', ...convArgs, { inThread: 0 }, t0, Math.min(tiles, t0 + blockTiles)]]);
      team.run(
        chunks,
        { base: heap.work, stride: workBytes },
        fresh ? () => mapFreshFloats(target) : undefined,
      );
    }
    // ... and its output comes out while it is.
    const result = viewFloats(kernels, heap.y, samples * sampleOutFloats);
    if (output === null) output = result.slice();
    else output.set(result, n0 * sampleOutFloats);
  }
  if (!Number.isFinite(inputSquares)) return null;
  const depth = cinG * (dims === 2 ? 9 : 3);
  const scale =
    Math.sqrt(depth) *
    Math.sqrt(inputSquares / input.length) *
    Math.sqrt(weightSquares / problem.weight.length);
  if ((dims === 2 ? ERROR_2D : ERROR_1D) * scale * Math.cbrt(depth) > ERROR_BUDGET) return null;
  return output ?? new Float32Array(0);
}

/** Weight strides of [C_out, C_in/g, ...k] read as it is (flip false) or flipped in space and transposed over channels. */
function weightStrides(
  dims: 1 | 2,
  rowsPerGroup: number,
  columnsPerGroup: number,
  flipTranspose: boolean,
): WinogradProblem['weightStrides'] {
  const taps = dims === 2 ? 9 : 3;
  const group = rowsPerGroup * columnsPerGroup * taps;
  if (!flipTranspose) return { base: 0, group, co: columnsPerGroup * taps, ci: taps, kh: 3, kw: 1 };
  return { base: taps - 1, group, co: taps, ci: columnsPerGroup * taps, kh: -3, kw: -1 };
}

/** The fields every problem of `geometry` shares. */
function problemOf(
  geometry: ConvGeometry,
): Pick<WinogradProblem, 'op' | 'dims' | 'batch' | 'groups' | 'dilation'> {
  if (geometry.dims === 3)
    throw new UnsupportedError(`${geometry.op}: algorithm 'winograd' runs 1-D and 2-D only`);
  return {
    op: geometry.op,
    dims: geometry.dims,
    batch: geometry.batch,
    groups: geometry.groups,
    dilation: geometry.dilation,
  };
}

/** Padding before of the adjoint (flipped) convolution: 2d - p per dim. */
const flippedPadding = (geometry: ConvGeometry) =>
  geometry.padBefore.map((p, d) => 2 * geometry.dilation[d]! - p);

function convZeros(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  g: ConvGeometry,
  out?: Float32Array,
) {
  return runWinograd(
    {
      ...problemOf(g),
      inChannels: g.inChannels,
      outChannels: g.outChannels,
      inputSpatial: g.inputSpatial,
      outputSpatial: g.outputSpatial,
      padBefore: g.padBefore,
      weight,
      weightStrides: weightStrides(g.dims as 1 | 2, g.outChannelsPerGroup, g.inChannelsPerGroup, false),
      bias,
    },
    input,
    out,
  );
}

export function convWinograd(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
  into?: Float32Array,
): Float32Array {
  // A null result (the error bound refused the data) may have written into `into`: the
  // fallback overwrites all of it.
  const out =
    geometry.paddingMode !== 'zeros'
      ? convZeros(padInput(input, geometry), weight, bias, paddedGeometry(geometry), into)
      : convZeros(input, weight, bias, geometry, into);
  return out ?? convWasm(input, weight, bias, geometry, into);
}

function backwardInputZeros(
  gradOutput: Float32Array,
  weight: Float32Array,
  g: ConvGeometry,
  out?: Float32Array,
) {
  return runWinograd(
    {
      ...problemOf(g),
      inChannels: g.outChannels,
      outChannels: g.inChannels,
      inputSpatial: g.outputSpatial,
      outputSpatial: g.inputSpatial,
      padBefore: flippedPadding(g),
      weight,
      weightStrides: weightStrides(g.dims as 1 | 2, g.outChannelsPerGroup, g.inChannelsPerGroup, true),
      bias: null,
    },
    gradOutput,
    out,
  );
}

export function convBackwardInputWinograd(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
  out?: Float32Array,
): Float32Array {
  if (geometry.paddingMode !== 'zeros') {
    // The padded gradient is larger than `out`: it is folded into a fresh array, which the op copies.
    const padded = backwardInputZeros(gradOutput, weight, paddedGeometry(geometry));
    return padded === null
      ? convBackwardInputWasm(gradOutput, weight, geometry, out)
      : foldPaddedGradient(padded, geometry);
  }
  return (
    backwardInputZeros(gradOutput, weight, geometry, out) ??
    convBackwardInputWasm(gradOutput, weight, geometry, out)
  );
}

export function convTransposeWinograd(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
): Float32Array {
  const out = runWinograd(
    {
      ...problemOf(geometry),
      inChannels: geometry.inChannels,
      outChannels: geometry.outChannels,
      inputSpatial: geometry.inputSpatial,
      outputSpatial: geometry.outputSpatial,
      padBefore: flippedPadding(geometry),
      weight,
      // weight [C_in, C_out/g, ...k]: rows are input channels.
      weightStrides: weightStrides(
        geometry.dims as 1 | 2,
        geometry.inChannelsPerGroup,
        geometry.outChannelsPerGroup,
        true,
      ),
      bias,
    },
    input,
  );
  return out ?? convTransposeWasm(input, weight, bias, geometry);
}

export function convTransposeBackwardInputWinograd(
  gradOutput: Float32Array,
  weight: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const out = runWinograd(
    {
      ...problemOf(geometry),
      inChannels: geometry.outChannels,
      outChannels: geometry.inChannels,
      inputSpatial: geometry.outputSpatial,
      outputSpatial: geometry.inputSpatial,
      padBefore: geometry.padBefore,
      weight,
      weightStrides: weightStrides(
        geometry.dims as 1 | 2,
        geometry.inChannelsPerGroup,
        geometry.outChannelsPerGroup,
        false,
      ),
      bias: null,
    },
    gradOutput,
  );
  return out ?? convTransposeBackwardInputWasm(gradOutput, weight, geometry);
}

/**
 * `bytes` rounded up to an odd number of 64-byte lines, as `spread` in the kernel: the stride
 * between the weight gradient's float64 sums of consecutive transform points.
 */
function spreadLines(bytes: number): number {
  const lines = Math.ceil(bytes / 64);
  return (lines % 2 === 1 ? lines : lines + 1) * 64;
}

/**
 * Tiles per weight-gradient block: the depth of its float32 GEMMs, whose block sums are then
 * added in float64. The float32 error of a block grows with its depth, and the transform
 * points' sums cancel in the output transform, so the depth is bounded for accuracy, not by
 * cache size: with blocks sized to 2 MiB of transforms, few channels made them deep (819
 * tiles at C16) and N4 C16 112x112 with uniform data ended at 1.1-1.2x the 1e-4 tolerance
 * (c3x3, 240 tiles: 0.65-0.78x at N8 C32). 128 tiles keep them within half of it and cost
 * nothing measurable (c3x3 gradWeight transforms and GEMMs 2.15-2.18 ms at 120 tiles, 2.21-2.28
 * at 240; min of 30 on the shared 2-core Xeon).
 */
const GRAD_BLOCK_TILES = 128;

/**
 * The weight gradient's bound on a run's packed planes when a team runs it (CHUNK_BYTES
 * otherwise): each run costs the threads a start and an uneven finish of their two ranges
 * (about 0.25 ms a run on the 2-core VM), which the cache gain of small runs does not pay back
 * with two threads. [128, 64, 14, 14] from [128, 32, 14, 14], weight only: 10.4-11.7 ms in
 * six runs, 9.1-9.8 ms in one (one thread: 13.5-14.2 ms); both gradients 20-25 -> 17-22 ms
 * (medians of 15-21, one process, several runs). The forward's runs keep CHUNK_BYTES: larger
 * ones measured within the noise there, and a run's input and output regions grow with it.
 */
const TEAM_GRAD_CHUNK_BYTES = 16 << 20;

/**
 * The weight gradient [C_out, C_in/g, ...k] of a stride-1 kernel-3 convolution (the fields of
 * a WinogradProblem without the weight) from its input and gradOutput, by F(3x3, 2x2) summed
 * over tiles, blocks of tiles summed in float64 (assembly/winograd-f4x3.ts). Null when either
 * holds a NaN or an infinity.
 */
function runWeightGradient(
  problem: Omit<WinogradProblem, 'weight' | 'weightStrides' | 'bias'>,
  gradOutput: Float32Array,
  input: Float32Array,
): Float32Array | null {
  const { kernels, exports } = kernelsFor(problem.op);
  const { dims, batch, inChannels, outChannels, groups } = problem;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const [inH, inW] = rows(problem.inputSpatial, 1);
  const [outH, outW] = rows(problem.outputSpatial, 1);
  const [padH, padW] = rows(problem.padBefore, 0);
  const [dH, dW] = rows(problem.dilation, 1);
  const inVolume = inH * inW;
  const outVolume = outH * outW;
  // gradOutput tiles of 2 (per dim), read with the 4-wide input tiles they correlate with.
  const tilesH = dims === 2 ? Math.ceil(Math.ceil(outH / dH) / 2) : 1;
  const tilesW = Math.ceil(Math.ceil(outW / dW) / 2);
  const planeH = dims === 2 ? tilesH * 2 + 2 : 1;
  const planeW = tilesW * 2 + 2;
  const gyPlaneH = dims === 2 ? tilesH * 2 : 1;
  const gyPlaneW = tilesW * 2;
  const points = dims === 2 ? 16 : 4;
  const taps = dims === 2 ? 9 : 3;
  const sampleXPlanes = dH * dW * inChannels * planeH * planeW * 4;
  const sampleGyPlanes = dH * dW * outChannels * gyPlaneH * gyPlaneW * 4;
  const team = wasmTeam();
  const chunk = Math.max(
    1,
    Math.min(
      batch,
      Math.floor(
        (team !== null && team.threads > 1 ? TEAM_GRAD_CHUNK_BYTES : CHUNK_BYTES) /
          (sampleXPlanes + sampleGyPlanes),
      ),
      Math.floor(I32_OFFSETS / sampleGyPlanes),
    ),
  );
  const totalTiles = chunk * dH * dW * tilesH * tilesW;
  const blockTiles = Math.min(GRAD_BLOCK_TILES, totalTiles);
  // A team (a CPU context's threads on this memory) sums ranges of whole blocks, one range a
  // thread, each into its own float64 sums, added in range order after: the same blocks as
  // one thread, the same bits run to run (the float64 sums of blocks are added in another
  // order than one thread's, which can move an output by one float32 rounding).
  const ranges = team === null ? 1 : Math.min(team.threads, Math.ceil(totalTiles / blockTiles));
  const workBytes = spreadLines(exports.winogradWeightGradWorkBytes(dims, cinG, coutG, blockTiles));
  const m64Bytes = groups * points * spreadLines(coutG * cinG * 8);
  const sampleX = inChannels * inVolume * 4;
  const sampleGy = outChannels * outVolume * 4;
  // Undilated, with a whole number of 2x2 tiles: the gradOutput is its own packed planes.
  const gyInPlace = dH === 1 && dW === 1 && gyPlaneH === outH && gyPlaneW === outW;
  // A chunk at a time in and packed; its input is dead once packed, so it shares its region
  // with the transforms' scratch (used only after the packing), as runWinograd shares regions.
  const regions = planHeap(problem.op, kernels, {
    xWork: Math.max(chunk * sampleX, ranges > 1 ? 0 : workBytes),
    gy: chunk * sampleGy,
    planes: chunk * sampleXPlanes,
    gyPlanes: gyInPlace ? 0 : chunk * sampleGyPlanes,
    m64: m64Bytes * ranges,
    gw: outChannels * cinG * taps * 4,
    teamWork: ranges > 1 ? workBytes * ranges : 0,
  });
  const heap = { ...regions, x: regions.xWork, work: regions.xWork };
  // Sums of squares of the packed values, only to refuse non-finite data (after the run).
  let squares = 0;
  for (let n0 = 0; n0 < batch; n0 += chunk) {
    const samples = Math.min(chunk, batch - n0);
    writeFloats(kernels, heap.x, input.subarray((n0 * sampleX) / 4, ((n0 + samples) * sampleX) / 4));
    writeFloats(kernels, heap.gy, gradOutput.subarray((n0 * sampleGy) / 4, ((n0 + samples) * sampleGy) / 4));
    for (let i = 0; i < samples; i++) {
      squares += exports.winogradPackInput(
        heap.x + i * sampleX,
        inChannels,
        inH,
        inW,
        padH,
        padW,
        dH,
        dW,
        heap.planes + i * sampleXPlanes,
        planeH,
        planeW,
      );
      if (gyInPlace) continue;
      squares += exports.winogradPackInput(
        heap.gy + i * sampleGy,
        outChannels,
        outH,
        outW,
        0,
        0,
        dH,
        dW,
        heap.gyPlanes + i * sampleGyPlanes,
        gyPlaneH,
        gyPlaneW,
      );
    }
    if (gyInPlace) squares += exports.winogradSumSquares(heap.gy, (samples * sampleGy) / 4);
    const accumulateArgs = [
      dims,
      heap.planes,
      inChannels,
      planeH,
      planeW,
      gyInPlace ? heap.gy : heap.gyPlanes,
      outChannels,
      gyPlaneH,
      gyPlaneW,
      dH,
      dW,
      tilesH,
      tilesW,
      samples,
      sampleXPlanes,
      sampleGyPlanes,
      groups,
      cinG,
      coutG,
      blockTiles,
    ] as const;
    const tiles = samples * dH * dW * tilesH * tilesW;
    const overwrite = n0 === 0 ? 1 : 0;
    if (team === null || ranges < 2)
      exports.winogradWeightGradAccumulate(...accumulateArgs, heap.m64, overwrite, heap.work, 0, tiles);
    else {
      const blocks = Math.ceil(tiles / blockTiles);
      team.run(
        splitRange(blocks, ranges, 1).map(([b0, b1], r): WasmCall[] => [
          [
            'winogradWeightGradAccumulate',
            ...accumulateArgs,
            heap.m64 + r * m64Bytes,
            overwrite,
            { inThread: 0 },
            b0 * blockTiles,
            Math.min(tiles, b1 * blockTiles),
          ],
        ]),
        { base: heap.teamWork, stride: workBytes },
      );
    }
  }
  if (!Number.isFinite(squares)) return null;
  if (ranges > 1) {
    // The ranges' sums, added in range order into the first.
    const sums = new Float64Array(kernels.memory.buffer, heap.m64, (m64Bytes / 8) * ranges);
    const length = m64Bytes / 8;
    for (let r = 1; r < ranges; r++) for (let i = 0; i < length; i++) sums[i] += sums[r * length + i]!;
  }
  exports.winogradWeightGradOutput(dims, heap.m64, groups, coutG, cinG, heap.gw);
  return readFloats(kernels, heap.gw, outChannels * cinG * taps);
}

function weightGradientOf(gradOutput: Float32Array, input: Float32Array, g: ConvGeometry) {
  return runWeightGradient(
    {
      ...problemOf(g),
      inChannels: g.inChannels,
      outChannels: g.outChannels,
      inputSpatial: g.inputSpatial,
      outputSpatial: g.outputSpatial,
      padBefore: g.padBefore,
    },
    gradOutput,
    input,
  );
}

export function convBackwardWeightWinograd(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const out =
    geometry.paddingMode !== 'zeros'
      ? weightGradientOf(gradOutput, padInput(input, geometry), paddedGeometry(geometry))
      : weightGradientOf(gradOutput, input, geometry);
  return out ?? convBackwardWeightWasm(gradOutput, input, geometry);
}

/**
 * The transposed convolution's weight gradient [C_in, C_out/g, ...k]: its forward is the
 * convolution of the input with the flipped, channel-transposed weight, so this is that
 * convolution's weight gradient, flipped and transposed back.
 */
export function convTransposeBackwardWeightWinograd(
  gradOutput: Float32Array,
  input: Float32Array,
  geometry: ConvGeometry,
): Float32Array {
  const adjoint = runWeightGradient(
    {
      ...problemOf(geometry),
      inChannels: geometry.inChannels,
      outChannels: geometry.outChannels,
      inputSpatial: geometry.inputSpatial,
      outputSpatial: geometry.outputSpatial,
      padBefore: flippedPadding(geometry),
    },
    gradOutput,
    input,
  );
  if (adjoint === null) return convTransposeBackwardWeightWasm(gradOutput, input, geometry);
  const taps = geometry.kernelVolume;
  const cinG = geometry.inChannelsPerGroup;
  const coutG = geometry.outChannelsPerGroup;
  const out = new Float32Array(adjoint.length);
  for (let g = 0; g < geometry.groups; g++) {
    for (let co = 0; co < coutG; co++) {
      for (let ci = 0; ci < cinG; ci++) {
        const from = ((g * coutG + co) * cinG + ci) * taps;
        const to = ((g * cinG + ci) * coutG + co) * taps;
        for (let t = 0; t < taps; t++) out[to + t] = adjoint[from + taps - 1 - t]!;
      }
    }
  }
  return out;
}
export { biasGradientWinograd } from './winograd-bias-gradient';
