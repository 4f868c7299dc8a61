/**
 * createCpuContext: the CPU ops on a pool of workers, asynchronous, with the same names,
 * options, semantics and errors as the synchronous ops (which stay the single-thread API).
 *
 *   const cpu = await createCpuContext({ threads: 'auto' });
 *   const y = await cpu.conv(x, w, { padding: 1 });   // a Tensor, as conv(x, w, ...) returns
 *   cpu.dispose();
 *
 * How a call is shared out: arguments are checked on the caller exactly as the synchronous op
 * checks them (the shared resolve*Call functions); the call is split into one piece per thread:
 * samples of the batch, else blocks of whole groups (grouped and depthwise convolution), else
 * blocks of output channels (dense channels-first convolution with enough channels; transposed
 * and deformable convolution), else bands of output rows (a band is the convolution of an
 * input slice with its own zero padding, convRowBand in @convkit/tensor). The caller is one of
 * the threads: `threads: 2` is the caller and one worker. It copies the other pieces' inputs
 * into shared memory it keeps between calls (an arena, ./staging-arenas.ts; inputs already over
 * a SharedArrayBuffer are read in place), posts them to the workers, runs the first piece
 * itself meanwhile, runs any piece no worker has started yet (each piece has a claim word that
 * whoever starts it swaps), and waits for the rest (Atomics.wait on the claim word, which the
 * worker marks done, then the reply). A context whose workers were late backs off to running
 * whole calls' pieces on the caller for a few calls. Every piece runs the ordinary synchronous
 * op, with whichever algorithm 'auto' picks for it; the caller writes its part of the result
 * into the (ordinary) result tensor, a worker into the arena, from where the caller copies it.
 * Each worker has its own WebAssembly instance and memory (every kernel copies its operands
 * into its own memory anyway) and runs the caller's build. Pieces of a gradient that overlap
 * (weight and bias gradients; the input gradient's halo rows between bands) are summed on the
 * caller in piece order.
 *
 * Determinism: forward results and the input gradient of batch splits are the same bits for
 * any thread count when the same algorithm runs each piece (each element is the same sum);
 * bands can change which algorithm or tile a row falls in, and partial gradient sums are added
 * in a different order than one thread's, so those agree within the 1e-4 tolerance, and repeat
 * the same bits run to run for a given thread count.
 *
 * Small calls (below INLINE_MACS multiply-adds), and calls that do not split, run on the
 * caller as the synchronous op: splitting costs more than it saves. A worker that stops while
 * it runs part of a call (crash, terminate) rejects that call with a WorkerError and is
 * replaced; an AbortSignal (`options.signal`) cancels a call (AbortError), terminating and
 * replacing the workers running it. Browsers need a cross-origin isolated page for
 * SharedArrayBuffer; without one the context warns once and runs every call on the caller.
 */
import {
  ArgumentError,
  type ConvGeometry,
  checkGradOutput,
  convRowBands,
  describeValue,
  opNameForWeight,
  optionBoolean,
  readOptions,
  resolveConvCall,
  resolveConvTransposeCall,
  resolveDeformConvCall,
  type Tensor,
  zeros,
} from '@convkit/tensor';
import { conv } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import type {
  ConvBackwardGradientOptions,
  ConvGradients,
  ConvOptions,
  ConvTransposeOptions,
  DeformConvGradients,
  DeformConvOptions,
  PartialConvGradients,
} from '../options';
import { initWasm, type WasmBuild, wasmInfo } from '../wasm/wasm-runtime';
import { AbortError } from './pool-errors';
import {
  CLAIMED_BY_CALLER,
  CLAIMED_BY_WORKER,
  DONE_BY_WORKER,
  type PoolOp,
  type PoolPiece,
  type PoolTask,
  runPiece,
} from './pool-task';
import { addInto, copyInto, fromShared, type SharedTensor, tightView } from './shared-tensor';
import { type StagingArena, StagingArenas, stagingSize } from './staging-arenas';
import { isNode } from './worker-handle';
import { type PoolJob, WorkerPool } from './worker-pool';

/**
 * Calls of fewer multiply-adds run on the caller (a 1x1 conv on [1, 8, 8, 8] is 512). About
 * 0.1-0.3 ms of one thread's work on dense convolutions, which a split cannot win back: each
 * piece repeats the kernel's fixed cost, and a worker's piece is copied in and out (measured
 * on the loaded 2-core machine, one thread against two, medians of 41: 2.4M multiply-adds
 * 0.15 against 0.70-0.98 ms, 9.4M 0.33 against 1.0-2.2 ms, 38M 0.74 against 1.6 ms).
 */
export const INLINE_MACS = 1 << 22;

/** How long the caller waits on a worker's piece after its own: half its own piece's time, within these (ms). */
const WAIT_MIN_MS = 0.2;
const WAIT_MAX_MS = 2;
/** The most calls a context runs on the caller alone after finding its workers late. */
const BACKOFF_MAX_CALLS = 32;

export interface CpuContextOptions {
  /** Threads, the caller's included: a positive integer (at most the core count) or 'auto' (every core). */
  threads?: number | 'auto';
}

/** Per-call options of the pooled ops: the op's own options plus an AbortSignal. */
export interface PoolCallOptions {
  signal?: AbortSignal;
}

export interface CpuContext {
  /** The threads a call is split among, the caller's included (0: every call runs on the caller). */
  readonly threads: number;
  conv(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  conv1d(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  conv2d(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  conv3d(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  convTranspose(
    input: Tensor,
    weight: Tensor,
    options?: ConvTransposeOptions & PoolCallOptions,
  ): Promise<Tensor>;
  /** `gradients: { inputGradient: false }` skips the input gradient (gradInput null), as the synchronous op. */
  convBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options: (ConvOptions & PoolCallOptions) | undefined,
    gradients: ConvBackwardGradientOptions,
  ): Promise<PartialConvGradients>;
  convBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvOptions & PoolCallOptions,
  ): Promise<ConvGradients>;
  convTransposeBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvTransposeOptions & PoolCallOptions,
  ): Promise<ConvGradients>;
  deformConv(
    input: Tensor,
    weight: Tensor,
    offset: Tensor,
    options?: DeformConvOptions & PoolCallOptions,
  ): Promise<Tensor>;
  deformConvBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    offset: Tensor,
    options?: DeformConvOptions & PoolCallOptions,
  ): Promise<DeformConvGradients>;
  /** Ends the workers; pending calls reject with an AbortError. */
  dispose(): void;
}

let warnedNotIsolated = false;

function coreCount(): number {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (isNode && process?.getBuiltinModule) {
    const os = process.getBuiltinModule('node:os') as {
      availableParallelism?: () => number;
      cpus: () => unknown[];
    };
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  const navigator = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, navigator?.hardwareConcurrency ?? 1);
}

/** Whether this engine can share memory with workers (browsers: only on cross-origin isolated pages). */
function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isNode || isolated === true;
}

function checkThreads(threads: unknown): number | 'auto' {
  if (threads === undefined || threads === 'auto') return 'auto';
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1) {
    throw new ArgumentError(
      `createCpuContext: threads must be a positive integer or 'auto', got ${describeValue(threads)}`,
    );
  }
  return threads;
}

/** The options object without the pool's own key, and with tensor-valued options split off. */
function splitOptions(options: object | undefined): {
  plain: Record<string, unknown>;
  signal: AbortSignal | undefined;
} {
  const { signal, ...rest } = (options ?? {}) as Record<string, unknown> & { signal?: AbortSignal };
  return { plain: rest, signal };
}

function paddingPairs(geometry: ConvGeometry): [number, number][] {
  return geometry.padBefore.map((before, d) => [before, geometry.padAfter[d]!] as [number, number]);
}

/** Sum of per-piece partials into `into` (fixed piece order: the same bits every run). */
function sumInto(into: Tensor, partials: Tensor[]): void {
  const target = into.data;
  for (const part of partials) {
    const data = part.data;
    for (let i = 0; i < target.length; i++) target[i] += data[i]!;
  }
}

/** A piece of a call (the tensors of its arguments made tight views, see tightView). */
function piece(
  op: PoolOp,
  args: Tensor[],
  options: Record<string, unknown>,
  tensorOptions: Record<string, Tensor | null>,
  outputs: Record<string, Tensor>,
): PoolPiece {
  const tight: Record<string, Tensor | null> = {};
  for (const [name, t] of Object.entries(tensorOptions)) tight[name] = t ? tightView(t) : null;
  return { op, args: args.map(tightView), options, tensorOptions: tight, outputs };
}

/**
 * A worker's task for `piece`: its inputs staged in `arena` (unless already shared), its
 * results written into regions of the arena, which `copyBack` lists for the caller to copy
 * into the piece's outputs once the worker is done.
 */
function describePiece(
  piece: PoolPiece,
  arena: StagingArena,
  build: WasmBuild | null,
  copyBack: { from: SharedTensor; to: Tensor }[],
): PoolTask {
  const tensorOptions: Record<string, SharedTensor | null> = {};
  for (const [name, t] of Object.entries(piece.tensorOptions))
    tensorOptions[name] = t ? arena.stage(t) : null;
  const outputs: Record<string, SharedTensor> = {};
  for (const [name, t] of Object.entries(piece.outputs)) {
    outputs[name] = arena.reserve(t.shape);
    copyBack.push({ from: outputs[name], to: t });
  }
  return {
    op: piece.op,
    build,
    args: piece.args.map((t) => arena.stage(t)),
    options: piece.options,
    tensorOptions,
    outputs,
    claim: null,
  };
}

/** Output-channel blocks start at multiples of this where they can (the GEMM's register tile). */
const CHANNEL_ALIGN = 8;

/**
 * Whether a one-sample dense convolution splits into blocks of output channels rather than
 * bands of rows. Bands of a channels-first tensor are strided (a copy of one run per channel
 * plane for every piece), channel blocks are contiguous; each block repeats the lowering of
 * the whole input, which costs little against its share of the product when there are enough
 * input channels (measured, one thread, half the work against the whole: pw1x1 0.63 of 1.24
 * ms by channels, 0.67 by rows; c3x3 1.25 of 2.5 by channels, 1.17-1.31 by rows; stem7x7,
 * three input channels, 4.37 of 7.81 by channels against 3.50 by rows). Channels-last tensors
 * keep bands, which are contiguous there.
 */
function prefersChannelBlocks(g: ConvGeometry, parts: number): boolean {
  return (
    g.layout !== 'channels-last' &&
    g.groups === 1 &&
    g.inChannels >= 16 &&
    g.outChannels >= 2 * CHANNEL_ALIGN * parts
  );
}

/** Chunks of `count` for `parts` threads whose boundaries are multiples of `align` where that leaves none empty. */
function alignedChunks(count: number, parts: number, align: number): [number, number][] {
  const plain = chunks(count, parts);
  const bounds = plain.map(([start]) => Math.round(start / align) * align);
  for (let i = 1; i < bounds.length; i++)
    if (bounds[i]! <= bounds[i - 1]! || bounds[i]! >= count) return plain;
  return bounds.map((start, i) => [start, i + 1 < bounds.length ? bounds[i + 1]! : count]);
}

/** Near-equal chunks [start, end) of `count` items for `parts` threads. */
function chunks(count: number, parts: number): [number, number][] {
  const n = Math.min(count, parts);
  return Array.from({ length: n }, (_, i) => [
    Math.round((i * count) / n),
    Math.round(((i + 1) * count) / n),
  ]);
}

/** Creates a pooled CPU context (see the module comment). */
export async function createCpuContext(options?: CpuContextOptions): Promise<CpuContext> {
  readOptions('createCpuContext', options, ['threads']);
  const requested = checkThreads(options?.threads);
  const cores = coreCount();
  let threads = requested === 'auto' ? cores : Math.min(requested, cores);
  if (!canShareMemory()) {
    if (!warnedNotIsolated) {
      warnedNotIsolated = true;
      console.warn(
        'convkit: createCpuContext runs single-threaded: this page is not cross-origin isolated, so it cannot share memory with workers. Serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
      );
    }
    threads = 0;
  }
  // The caller is one of the threads: it runs the first piece of every split call itself.
  const pool = threads > 1 ? new WorkerPool(threads - 1) : null;
  const parts = pool === null ? 1 : threads;
  const arenas = new StagingArenas(Math.max(2, threads));
  let disposed = false;
  // Taking back unstarted pieces, waiting on claim words and backing off (runPieces); tests
  // turn them off to act on a worker surely running a piece whose call waits for its reply.
  let adaptive = true;
  let backoff = 0;
  let strikes = 0;
  let stolenPieces = 0;
  let splitCalls = 0;
  // The caller's pieces run the kernels the workers run: a page's main thread loads the
  // WebAssembly kernels only asynchronously, so load them now if nothing is loaded yet.
  if (pool !== null && wasmInfo().build === null) await initWasm();

  /** Checks made after the arguments': an aborted signal, a disposed context. */
  const checkRunnable = (op: string, signal: AbortSignal | undefined) => {
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (disposed) throw new AbortError(`${op}: the CPU context was disposed`);
  };
  const small = (geometry: ConvGeometry) =>
    pool === null || geometry.batch * geometry.macsPerSample < INLINE_MACS;

  /**
   * Runs a split call: pieces 2.. go to the workers (their inputs staged in shared memory), the
   * caller runs the first meanwhile, then takes back every piece no worker has started yet (a
   * worker busy with another call, or not given a core by a loaded machine, would otherwise
   * make the call wait for it), and waits for the pieces the workers run. Settles with the
   * first error in piece order; an abort or dispose that comes before the call settles rejects
   * it. The arena goes back only once no worker reads it.
   */
  async function runPieces(pieces: PoolPiece[], signal: AbortSignal | undefined): Promise<void> {
    if (pool === null || pieces.length < 2) {
      for (const p of pieces) runPiece(p);
      return;
    }
    splitCalls++;
    const remote = pieces.slice(1);
    const own = pieces[0]!;
    const checkSettled = () => {
      if (signal?.aborted) throw new AbortError(`${own.op}: the call was aborted`);
      if (disposed) throw new AbortError(`${own.op}: the CPU context was disposed`);
    };
    if (adaptive && backoff > 0) {
      // Recent calls found the workers late: the caller runs every piece (the same pieces,
      // so the same bits), as one thread would, and tries the workers again later.
      backoff--;
      for (const p of pieces) runPiece(p);
      await null;
      checkSettled();
      return;
    }
    // The caller's own strided inputs (a band of rows) go to the arena too: the op would copy
    // them into a fresh array, whose pages cost more to map than the copy.
    const ownStrided = own.args.filter((t) => !t.isContiguous);
    let floats = stagingSize([
      ...ownStrided,
      ...remote.flatMap((p) => [...p.args, ...Object.values(p.tensorOptions)]),
    ]);
    for (const p of remote) for (const t of Object.values(p.outputs)) floats += t.size;
    const arena = arenas.acquire(floats);
    const claims = new Int32Array(new SharedArrayBuffer(4 * remote.length));
    const copyBacks: { from: SharedTensor; to: Tensor }[][] = remote.map(() => []);
    let jobs: PoolJob[];
    try {
      const build = wasmInfo().build;
      jobs = remote.map((p, i) => {
        const task = describePiece(p, arena, build, copyBacks[i]!);
        task.claim = { buffer: claims.buffer as SharedArrayBuffer, index: i };
        return pool.run(task, signal);
      });
    } catch (error) {
      arenas.release(arena);
      throw error;
    }
    // The caller's pieces read strided inputs from their staged copies (no copy by the op).
    const local = (p: PoolPiece): PoolPiece => ({
      ...p,
      args: p.args.map((t) => (t.isContiguous ? t : fromShared(arena.stage(t)))),
    });
    let ownError: { error: unknown } | null = null;
    // Who runs each remote piece: the worker, or the caller (taken back, or given up on error).
    const byWorker: boolean[] = [];
    const takeBack = (i: number) => {
      const taken = Atomics.compareExchange(claims, i, 0, CLAIMED_BY_CALLER) === 0;
      if (taken) jobs[i]!.detach();
      byWorker[i] = !taken;
      return taken;
    };
    const ownStart = performance.now();
    let ownEnd = ownStart;
    try {
      runPiece(local(own));
      ownEnd = performance.now();
      for (let i = 0; i < remote.length; i++) {
        if (!adaptive) byWorker[i] = true;
        else if (takeBack(i)) {
          stolenPieces++;
          runPiece(local(remote[i]!));
        }
      }
    } catch (error) {
      ownError = { error };
      // Pieces no worker has started are given up: none will start them now.
      for (let i = 0; i < remote.length; i++) if (byWorker[i] === undefined) takeBack(i);
    }
    // Pieces a worker runs: wait a little on their claim words, which the worker sets and
    // notifies when done (Node: Atomics.wait, a futex, woken at once; a page's main thread may
    // not wait, so it spins), before sleeping on the reply message (a thread asleep in the
    // event loop waits for the scheduler, which on a loaded machine takes milliseconds).
    // Pieces a worker has marked done need no reply.
    let waiting = remote.flatMap((_, i) => (byWorker[i] ? [i] : []));
    if (waiting.length > 0 && ownError === null && adaptive) {
      const until =
        performance.now() + Math.min(WAIT_MAX_MS, Math.max(WAIT_MIN_MS, (performance.now() - ownStart) / 2));
      if (isNode) {
        for (const i of waiting) {
          const left = until - performance.now();
          if (left <= 0) break;
          Atomics.wait(claims, i, CLAIMED_BY_WORKER, left);
        }
        waiting = waiting.filter((i) => Atomics.load(claims, i) !== DONE_BY_WORKER);
      } else {
        do {
          waiting = waiting.filter((i) => Atomics.load(claims, i) !== DONE_BY_WORKER);
        } while (waiting.length > 0 && performance.now() < until);
      }
      // A done piece's worker is free for the next task; its late reply settles nothing.
      for (let i = 0; i < remote.length; i++) if (byWorker[i] && !waiting.includes(i)) jobs[i]!.detach();
    }
    const done = remote.flatMap((_, i) => (byWorker[i] && !waiting.includes(i) ? [i] : []));
    // Even a call whose pieces are all done here settles after the caller's tick, so that an
    // abort or dispose issued right after the call (before it settled) rejects it.
    const settled = await Promise.allSettled(waiting.map((i) => jobs[i]!.done));
    if (adaptive && ownError === null) {
      // A worker that did not start its piece while the caller ran its own, or finished it
      // more than half the caller's time after the caller: the machine does not give the
      // workers their cores now (other work). Back off for 1, 2, 4, ... 32 calls.
      const late = byWorker.includes(false) || performance.now() - ownEnd > (ownEnd - ownStart) / 2 + 0.2;
      if (late) {
        backoff = Math.min(BACKOFF_MAX_CALLS, 1 << strikes);
        strikes = Math.min(strikes + 1, 5);
      } else strikes = 0;
    }
    try {
      if (ownError) throw ownError.error;
      for (const result of settled) if (result.status === 'rejected') throw result.reason;
      checkSettled();
      for (const i of [...done, ...waiting])
        for (const { from, to } of copyBacks[i]!) copyInto(fromShared(from), to);
    } finally {
      arenas.release(arena);
    }
  }

  async function runConv(
    op: string,
    input: Tensor,
    weight: Tensor,
    options: (ConvOptions & PoolCallOptions) | undefined,
    dims?: 1 | 2 | 3,
  ): Promise<Tensor> {
    const { plain, signal } = splitOptions(options);
    const call = resolveConvCall(op, input, weight, plain, dims);
    const g = call.geometry;
    checkRunnable(op, signal);
    if (small(g)) return conv(call.input, call.weight, plain);
    const x = call.input;
    const w = call.weight;
    const bias = call.bias ?? null;
    const rest = { ...plain };
    delete rest.bias;
    const channelDim = g.layout === 'channels-last' ? g.dims + 1 : 1;
    const rowDim = g.layout === 'channels-last' ? 1 : 2;
    const out = zeros(g.outputShape);
    const pieces: PoolPiece[] = [];
    const bands = g.batch < parts && g.groups < parts ? convRowBands(g, parts) : [];
    if (g.batch >= parts) {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        pieces.push(piece('conv', [x.slice(0, n0, n1), w], rest, { bias }, { output: out.slice(0, n0, n1) }));
      }
    } else if (g.groups >= parts) {
      // Blocks of whole groups: each piece reads only its groups' input channels and weights.
      const cin = g.inChannelsPerGroup;
      const cout = g.outChannelsPerGroup;
      for (const [g0, g1] of chunks(g.groups, parts)) {
        pieces.push(
          piece(
            'conv',
            [x.slice(channelDim, g0 * cin, g1 * cin), w.slice(0, g0 * cout, g1 * cout)],
            { ...rest, groups: g1 - g0 },
            { bias: bias ? bias.slice(0, g0 * cout, g1 * cout) : null },
            { output: out.slice(channelDim, g0 * cout, g1 * cout) },
          ),
        );
      }
    } else if (prefersChannelBlocks(g, parts)) {
      // Blocks of output channels: each piece reads the whole input (no copy for the caller, one
      // for a worker) and writes one contiguous block of the result.
      for (const [c0, c1] of alignedChunks(g.outChannels, parts, CHANNEL_ALIGN)) {
        pieces.push(
          piece(
            'conv',
            [x, w.slice(0, c0, c1)],
            rest,
            { bias: bias ? bias.slice(0, c0, c1) : null },
            { output: out.slice(channelDim, c0, c1) },
          ),
        );
      }
    } else if (bands.length >= 2) {
      for (const band of bands) {
        const padding = paddingPairs(g);
        padding[0] = [band.padBefore, band.padAfter];
        pieces.push(
          piece(
            'conv',
            [x.slice(rowDim, band.inputStart, band.inputEnd), w],
            { ...rest, padding },
            { bias },
            { output: out.slice(rowDim, band.rowStart, band.rowEnd) },
          ),
        );
      }
    } else {
      return conv(x, w, plain);
    }
    await runPieces(pieces, signal);
    return out;
  }

  async function convBackwardPooled(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvOptions & PoolCallOptions,
    gradients?: ConvBackwardGradientOptions,
  ): Promise<PartialConvGradients> {
    const op = 'convBackward';
    const { plain, signal } = splitOptions(options);
    const call = resolveConvCall(op, input, weight, plain);
    const wantInput = optionBoolean(
      op,
      'inputGradient',
      readOptions(op, gradients, ['inputGradient'], 'gradients').inputGradient,
      true,
    );
    const which = { inputGradient: wantInput };
    const g = call.geometry;
    const gy = checkGradOutput(op, gradOutput, g.outputShape, `conv${g.dims}d`);
    checkRunnable(op, signal);
    if (small(g)) return convBackward(gy, call.input, call.weight, plain, which);
    const x = call.input;
    const w = call.weight;
    const rest = { ...plain };
    delete rest.bias;
    const rowDim = g.layout === 'channels-last' ? 1 : 2;
    const bands = g.batch < parts ? convRowBands(g, parts) : [];
    if (g.batch < parts && bands.length < 2) return convBackward(gy, x, w, plain, which);
    // Without the input gradient each piece runs the weight-only op and nothing is staged for it.
    const pieceOp = wantInput ? 'convBackward' : 'convBackwardWeight';
    const gradInput = zeros(wantInput ? g.inputShape : [0]);
    const gradWeight = zeros(g.weightShape);
    const gradBias = zeros([g.outChannels]);
    const pieces: PoolPiece[] = [];
    const weightParts: Tensor[] = [];
    const biasParts: Tensor[] = [];
    const inputParts: { part: Tensor; target: Tensor }[] = [];
    if (g.batch >= parts) {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        const gw = zeros(g.weightShape);
        const gb = zeros([g.outChannels]);
        weightParts.push(gw);
        biasParts.push(gb);
        pieces.push(
          piece(
            pieceOp,
            [gy.slice(0, n0, n1), x.slice(0, n0, n1), w],
            rest,
            { bias: null },
            wantInput
              ? { gradInput: gradInput.slice(0, n0, n1), gradWeight: gw, gradBias: gb }
              : { gradWeight: gw, gradBias: gb },
          ),
        );
      }
    } else {
      for (const band of bands) {
        const padding = paddingPairs(g);
        padding[0] = [band.padBefore, band.padAfter];
        const xBand = x.slice(rowDim, band.inputStart, band.inputEnd);
        const gw = zeros(g.weightShape);
        const gb = zeros([g.outChannels]);
        const outputs: Record<string, Tensor> = { gradWeight: gw, gradBias: gb };
        if (wantInput) {
          const gi = zeros(xBand.shape);
          inputParts.push({ part: gi, target: gradInput.slice(rowDim, band.inputStart, band.inputEnd) });
          outputs.gradInput = gi;
        }
        weightParts.push(gw);
        biasParts.push(gb);
        pieces.push(
          piece(
            pieceOp,
            [gy.slice(rowDim, band.rowStart, band.rowEnd), xBand, w],
            { ...rest, padding },
            { bias: null },
            outputs,
          ),
        );
      }
    }
    await runPieces(pieces, signal);
    for (const { part, target } of inputParts) addInto(part, target);
    sumInto(gradWeight, weightParts);
    sumInto(gradBias, biasParts);
    return { gradInput: wantInput ? gradInput : null, gradWeight, gradBias };
  }

  async function convTransposePooled(
    input: Tensor,
    weight: Tensor,
    options?: ConvTransposeOptions & PoolCallOptions,
    dims?: 1 | 2 | 3,
  ): Promise<Tensor> {
    const op = opNameForWeight('convTranspose', weight);
    const { plain, signal } = splitOptions(options);
    const call = resolveConvTransposeCall(op, input, weight, plain, dims);
    const g = call.geometry;
    checkRunnable(op, signal);
    if (small(g)) return convTranspose(call.input, call.weight, plain);
    const x = call.input;
    const w = call.weight;
    const bias = call.bias ?? null;
    const rest = { ...plain };
    delete rest.bias;
    const channelDim = g.layout === 'channels-last' ? g.dims + 1 : 1;
    const out = zeros(g.outputShape);
    const pieces: PoolPiece[] = [];
    if (g.batch >= parts) {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        pieces.push(
          piece('convTranspose', [x.slice(0, n0, n1), w], rest, { bias }, { output: out.slice(0, n0, n1) }),
        );
      }
    } else if (g.groups >= parts) {
      // Blocks of whole groups (weight [C_in, C_out/groups, ...k]: its groups are blocks of dim 0).
      const cin = g.inChannelsPerGroup;
      const cout = g.outChannelsPerGroup;
      for (const [g0, g1] of chunks(g.groups, parts)) {
        pieces.push(
          piece(
            'convTranspose',
            [x.slice(channelDim, g0 * cin, g1 * cin), w.slice(0, g0 * cin, g1 * cin)],
            { ...rest, groups: g1 - g0 },
            { bias: bias ? bias.slice(0, g0 * cout, g1 * cout) : null },
            { output: out.slice(channelDim, g0 * cout, g1 * cout) },
          ),
        );
      }
    } else if (g.groups === 1 && g.outChannels >= 2 * parts) {
      // One sample: blocks of output channels (weight [C_in, C_out, ...k] sliced on dim 1).
      for (const [c0, c1] of chunks(g.outChannels, parts)) {
        pieces.push(
          piece(
            'convTranspose',
            [x, w.slice(1, c0, c1)],
            rest,
            { bias: bias ? bias.slice(0, c0, c1) : null },
            { output: out.slice(channelDim, c0, c1) },
          ),
        );
      }
    } else {
      return convTranspose(x, w, plain);
    }
    await runPieces(pieces, signal);
    return out;
  }

  async function convTransposeBackwardPooled(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvTransposeOptions & PoolCallOptions,
  ): Promise<ConvGradients> {
    const op = 'convTransposeBackward';
    const { plain, signal } = splitOptions(options);
    const call = resolveConvTransposeCall(op, input, weight, plain);
    const g = call.geometry;
    const gy = checkGradOutput(op, gradOutput, g.outputShape, `convTranspose${g.dims}d`);
    checkRunnable(op, signal);
    if (small(g) || g.batch < parts) return convTransposeBackward(gy, call.input, call.weight, plain);
    return batchBackward('convTransposeBackward', g, [gy, call.input, call.weight], plain, signal);
  }

  /** Backward passes split over samples: gradInput per slice, weight and bias gradients summed. */
  async function batchBackward(
    op: 'convTransposeBackward' | 'deformConvBackward',
    g: ConvGeometry,
    args: Tensor[],
    plain: Record<string, unknown>,
    signal: AbortSignal | undefined,
    extra: { offset?: Tensor; mask?: Tensor | null } = {},
  ): Promise<DeformConvGradients> {
    const rest = { ...plain };
    delete rest.bias;
    delete rest.mask;
    const gradInput = zeros(g.inputShape);
    const gradWeight = zeros(g.weightShape);
    const gradBias = zeros([g.outChannels]);
    const gradOffset = extra.offset ? zeros(extra.offset.shape) : null;
    const gradMask = extra.mask ? zeros(extra.mask.shape) : null;
    const weightParts: Tensor[] = [];
    const biasParts: Tensor[] = [];
    const pieces: PoolPiece[] = [];
    for (const [n0, n1] of chunks(g.batch, parts)) {
      const gw = zeros(g.weightShape);
      const gb = zeros([g.outChannels]);
      weightParts.push(gw);
      biasParts.push(gb);
      const sliced = args.map((t, i) => (i === 2 ? t : t.slice(0, n0, n1)));
      const outputs: Record<string, Tensor> = {
        gradInput: gradInput.slice(0, n0, n1),
        gradWeight: gw,
        gradBias: gb,
      };
      if (gradOffset) outputs.gradOffset = gradOffset.slice(0, n0, n1);
      if (gradMask) outputs.gradMask = gradMask.slice(0, n0, n1);
      const tensorOptions: Record<string, Tensor | null> = { bias: null };
      if (extra.mask !== undefined) tensorOptions.mask = extra.mask ? extra.mask.slice(0, n0, n1) : null;
      pieces.push(piece(op, sliced, rest, tensorOptions, outputs));
    }
    await runPieces(pieces, signal);
    sumInto(gradWeight, weightParts);
    sumInto(gradBias, biasParts);
    // The transposed convolution's gradients have no offset or mask keys (as its synchronous op).
    if (!gradOffset) return { gradInput, gradWeight, gradBias } as DeformConvGradients;
    return { gradInput, gradWeight, gradBias, gradOffset, gradMask };
  }

  async function deformConvPooled(
    input: Tensor,
    weight: Tensor,
    offset: Tensor,
    options?: DeformConvOptions & PoolCallOptions,
  ): Promise<Tensor> {
    const op = 'deformConv2d';
    const { plain, signal } = splitOptions(options);
    const call = resolveDeformConvCall(op, input, weight, offset, plain);
    const g = call.geometry;
    checkRunnable(op, signal);
    if (small(g)) return deformConv(call.input, call.weight, call.offset, plain);
    const x = call.input;
    const w = call.weight;
    const off = call.offset;
    const mask = call.mask ?? null;
    const bias = call.bias ?? null;
    const rest = { ...plain };
    delete rest.bias;
    delete rest.mask;
    const out = zeros(g.outputShape);
    const pieces: PoolPiece[] = [];
    if (g.batch < parts && g.groups === 1 && g.outChannels >= 2 * parts) {
      // One sample: blocks of output channels (weight [C_out, ...] sliced on dim 0).
      for (const [c0, c1] of chunks(g.outChannels, parts)) {
        pieces.push(
          piece(
            'deformConv',
            [x, w.slice(0, c0, c1), off],
            rest,
            { bias: bias ? bias.slice(0, c0, c1) : null, mask },
            { output: out.slice(1, c0, c1) },
          ),
        );
      }
    } else if (g.batch >= parts) {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        pieces.push(
          piece(
            'deformConv',
            [x.slice(0, n0, n1), w, off.slice(0, n0, n1)],
            rest,
            { bias, mask: mask ? mask.slice(0, n0, n1) : null },
            { output: out.slice(0, n0, n1) },
          ),
        );
      }
    } else {
      return deformConv(x, w, off, plain);
    }
    await runPieces(pieces, signal);
    return out;
  }

  async function deformConvBackwardPooled(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    offset: Tensor,
    options?: DeformConvOptions & PoolCallOptions,
  ): Promise<DeformConvGradients> {
    const op = 'deformConv2dBackward';
    const { plain, signal } = splitOptions(options);
    const call = resolveDeformConvCall(op, input, weight, offset, plain);
    const g = call.geometry;
    const gy = checkGradOutput(op, gradOutput, g.outputShape, 'deformConv2d');
    checkRunnable(op, signal);
    if (small(g) || g.batch < parts)
      return deformConvBackward(gy, call.input, call.weight, call.offset, plain);
    return batchBackward('deformConvBackward', g, [gy, call.input, call.weight, call.offset], plain, signal, {
      offset: call.offset,
      mask: call.mask ?? null,
    });
  }

  return {
    threads,
    conv: (input, weight, options) => runConv(opNameForWeight('conv', weight), input, weight, options),
    conv1d: (input, weight, options) => runConv('conv1d', input, weight, options, 1),
    conv2d: (input, weight, options) => runConv('conv2d', input, weight, options, 2),
    conv3d: (input, weight, options) => runConv('conv3d', input, weight, options, 3),
    convTranspose: (input, weight, options) => convTransposePooled(input, weight, options),
    convBackward: convBackwardPooled,
    convTransposeBackward: convTransposeBackwardPooled,
    deformConv: deformConvPooled,
    deformConvBackward: deformConvBackwardPooled,
    dispose: () => {
      disposed = true;
      pool?.dispose();
      arenas.clear();
    },
    // For the tests: stop a worker that is running part of a call; turn off taking back
    // pieces a worker has not started; count the pieces the caller took back, and the calls
    // that were split.
    ...({
      terminateBusyWorkerForTest: () => pool?.terminateBusyWorker() ?? false,
      setStealingForTest: (on: boolean) => {
        adaptive = on;
        backoff = 0;
        strikes = 0;
      },
      stolenPiecesForTest: () => stolenPieces,
      splitCallsForTest: () => splitCalls,
    } as object),
  } as CpuContext;
}
