/**
 * createCpuContext: the CPU ops on a pool of workers, with the same names, options, semantics
 * and errors as the module's synchronous ops (which stay the single-thread API), in two forms:
 * the context's own ops return Promises, and `ctx.sync` has the same ops blocking (for callers
 * whose interface is synchronous, such as the layers' Backend).
 *
 *   const cpu = await createCpuContext({ threads: 'auto' });
 *   const y = await cpu.conv(x, w, { padding: 1 });   // a Tensor, as conv(x, w, ...) returns
 *   const z = cpu.sync.conv(x, w, { padding: 1 });     // the same bits, blocking
 *   cpu.dispose();
 *
 * How a call is shared out. Where the caller may block (Node, a Web Worker), a dense
 * convolution whose kernel splits itself runs on the context's team (./wasm-team.ts): the
 * threads share one WebAssembly memory and the kernel's main loop is cut into chunks for all
 * of them, the result the same bits as one thread's (the Winograd weight gradient within the
 * tolerance). Other calls, and every call on a page's main thread, are op-level pieces:
 * ./call-plans.ts (arguments checked on the caller exactly as the synchronous op checks them,
 * then one piece per thread: samples, else groups, else output channels, else row bands), run
 * by ./piece-runner.ts (the caller is one of the threads: `threads: 2` is the caller and one
 * worker; it runs the first piece itself, takes back pieces no worker has started, and waits
 * for the rest), each worker on its own instance of the caller's build (compiled by the caller
 * and posted to it). Both forms of an op make the same plan, so they give the same bits.
 *
 * Determinism: forward results and the input gradient of batch splits are the same bits for
 * any thread count when the same algorithm runs each piece (each element is the same sum);
 * bands can change which algorithm or tile a row falls in, and partial gradient sums are added
 * in a different order than one thread's, so those agree within the 1e-4 tolerance, and repeat
 * the same bits run to run for a given thread count.
 *
 * Small calls (under SPLIT_MIN_MS of one thread's work, ./call-cost.ts), memory-bound
 * convolutions (too few multiply-adds per float they read and write, ./memory-bound.ts), and
 * calls that do not split, run on the caller as the synchronous op: splitting costs more than
 * it saves. A worker that stops while it runs part of a call (crash, terminate) rejects that
 * call with a WorkerError and is replaced; an AbortSignal (`options.signal`, asynchronous ops
 * only) cancels a call (AbortError), terminating and replacing the workers running it (a call
 * on the team checks it before it starts). Browsers need a cross-origin isolated page for
 * SharedArrayBuffer; without one the context warns once and runs every call on the caller. A
 * page's main thread may not block (Atomics.wait throws there): its `sync` ops run on the
 * caller alone (`sync.threads` 1). A worker whose script cannot be loaded (a bundle that did
 * not ship cpu-worker.js, a CSP that forbids workers) is retried once, then its slot stays
 * empty (./worker-pool.ts): the context warns once, naming the script and the fix, and its
 * calls are split among the threads left (`threads` says how many; 0 when only the caller is).
 */
import { ArgumentError, describeValue, opNameForWeight, readOptions, type Tensor } from '@convkit/tensor';
import type {
  ConvBackwardGradientOptions,
  ConvGradients,
  ConvOptions,
  ConvTransposeOptions,
  DeformConvGradients,
  DeformConvOptions,
  PartialConvGradients,
} from '../options';
import { compiledKernels, initWasm, wasmInfo } from '../wasm/wasm-runtime';
import { callMs, SPLIT_MIN_MS } from './call-cost';
import {
  type CallPlan,
  type PlanContext,
  planConv,
  planConvBackward,
  planConvTranspose,
  planConvTransposeBackward,
  planDeformConv,
  planDeformConvBackward,
} from './call-plans';
import { PieceRunner } from './piece-runner';
import { AbortError } from './pool-errors';
import { StagingArenas } from './staging-arenas';
import { createTeamKernels, PoolTeam } from './wasm-team';
import { isNode } from './worker-handle';
import { type StartFailure, WorkerPool } from './worker-pool';

/** How long createCpuContext waits for its workers to start (ms); calls find a late one starting. */
const WORKER_START_MS = 10_000;

export interface CpuContextOptions {
  /** Threads, the caller's included: a positive integer (at most the core count) or 'auto' (every core). */
  threads?: number | 'auto';
}

/** Per-call options of the pooled ops: the op's own options plus an AbortSignal. */
export interface PoolCallOptions {
  signal?: AbortSignal;
}

export interface CpuContext {
  /**
   * The threads a call is split among, the caller's included (0: every call runs on the caller,
   * because this page cannot share memory with workers or no worker could start). Fewer than
   * asked when some workers could not start (their script did not load: see the warning).
   */
  readonly threads: number;
  /**
   * Bytes of the context's own WebAssembly memory: the one its threads share, where its calls
   * run (0 without one: a page's main thread, one thread). It grows to the largest call's
   * working set and never shrinks; the module's memory (`wasmInfo().memoryBytes`) is apart.
   */
  readonly memoryBytes: number;
  conv(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  conv1d(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  conv2d(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  conv3d(input: Tensor, weight: Tensor, options?: ConvOptions & PoolCallOptions): Promise<Tensor>;
  /**
   * `conv` written into `out` (a contiguous float32 tensor of exactly the output's shape, not
   * overlapping the input, weight or bias), which it resolves to: the pieces write there.
   */
  convInto(
    out: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvOptions & PoolCallOptions,
  ): Promise<Tensor>;
  convTranspose(
    input: Tensor,
    weight: Tensor,
    options?: ConvTransposeOptions & PoolCallOptions,
  ): Promise<Tensor>;
  /**
   * `gradients: { inputGradient: false }` skips the input gradient (gradInput null), as the
   * synchronous op; `gradients.inputGradientInto` (a contiguous float32 tensor of the input's
   * shape, not overlapping gradOutput, input or weight) holds it: the pieces write it there.
   */
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
  /** The same ops, blocking (see CpuSyncOps). */
  readonly sync: CpuSyncOps;
  /** Ends the workers; pending calls reject with an AbortError. */
  dispose(): void;
}

/**
 * The context's ops, blocking: exactly the signatures, semantics, errors and results of the
 * module's synchronous ops (no `signal` option), run on the context's threads. The caller runs
 * its piece, then blocks (Atomics.wait) until the workers' pieces are done. The same bits as the
 * context's asynchronous op for the same call.
 */
export interface CpuSyncOps {
  /** Threads a synchronous call is split among: the context's threads where the caller may block (Node, any worker), else 1. */
  readonly threads: number;
  conv(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  conv1d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  conv2d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  conv3d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  /** `conv` written into `out`, which it returns (see CpuContext.convInto). */
  convInto(out: Tensor, input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  convTranspose(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor;
  /** `gradients` as CpuContext.convBackward's: `inputGradient: false`, `inputGradientInto`. */
  convBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options: ConvOptions | undefined,
    gradients: ConvBackwardGradientOptions,
  ): PartialConvGradients;
  convBackward(gradOutput: Tensor, input: Tensor, weight: Tensor, options?: ConvOptions): ConvGradients;
  convTransposeBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvTransposeOptions,
  ): ConvGradients;
  deformConv(input: Tensor, weight: Tensor, offset: Tensor, options?: DeformConvOptions): Tensor;
  deformConvBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    offset: Tensor,
    options?: DeformConvOptions,
  ): DeformConvGradients;
}

let warnedNotIsolated = false;
/** The worker scripts whose failure to start was reported (once each per process). */
const warnedWorkerUrls = new Set<string>();

/** The warning for workers that could not start (see WorkerPool.onStartFailure). */
function warnStartFailure(failure: StartFailure): void {
  if (warnedWorkerUrls.has(failure.url)) return;
  warnedWorkerUrls.add(failure.url);
  const asked = failure.size + 1;
  const outcome =
    failure.running === 0
      ? 'createCpuContext runs every call on the calling thread only'
      : `createCpuContext runs on ${failure.running + 1} threads instead of ${asked}`;
  const workers = failure.size === 1 ? 'its worker' : `${failure.failed} of its ${failure.size} workers`;
  console.warn(
    `convkit: ${outcome}: ${workers} could not start, the worker script ${failure.url} did not load (${failure.reason}). ` +
      "Ship cpu-worker.js (@convkit/kernels-cpu's dist/cpu-worker.js, bundled) beside the module that imports @convkit/kernels-cpu (in a bundled app, beside the bundle): " +
      "the bundler must emit it there (Vite and webpack 5 do, following new URL('./cpu-worker.js', import.meta.url); with esbuild, bundle dist/cpu-worker.js as a second entry point). " +
      'Under a Content-Security-Policy, worker-src must allow it.',
  );
}

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

/** The options object without the pool's own key. */
function splitOptions(options: object | undefined): {
  plain: Record<string, unknown>;
  signal: AbortSignal | undefined;
} {
  const { signal, ...rest } = (options ?? {}) as Record<string, unknown> & { signal?: AbortSignal };
  return { plain: rest, signal };
}

/**
 * Whether this thread may block in Atomics.wait: Node's threads and every worker may, a page's
 * main thread may not (Atomics.wait throws a TypeError there before it compares the value).
 */
function callerMayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
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
  // The caller's pieces run the kernels the workers run: a page's main thread loads the
  // WebAssembly kernels only asynchronously, so load them now if nothing is loaded yet.
  if (threads > 1 && wasmInfo().build === null) await initWasm();
  // The caller is one of the threads: it runs the first piece of every split call itself. The
  // workers start and load the caller's build before the context is handed out, so that its
  // first calls do not find them starting (and run every piece on the caller).
  // Where the caller may block (Node, a Web Worker), the threads also share one WebAssembly
  // memory: the team (./wasm-team.ts), which the kernels that split themselves run on. A
  // page's main thread keeps the op-level pieces.
  const mayBlock = threads > 1 && callerMayBlock();
  const teamKernels = mayBlock ? createTeamKernels(wasmInfo().build) : null;
  // The workers instantiate the caller's compiled modules (their own file carries no binaries).
  const build = wasmInfo().build;
  const compiled = threads > 1 && build !== null ? compiledKernels(build, teamKernels !== null) : null;
  const pool = threads > 1 ? new WorkerPool(threads - 1, build, teamKernels?.memory ?? null, compiled) : null;
  // Workers that could not start (their script did not load) are retried once, then their
  // slots stay empty: say so once, with the fix. ready() waits for that outcome, so a context
  // whose workers cannot start warns before it is handed out.
  if (pool !== null) pool.onStartFailure = warnStartFailure;
  await pool?.ready(WORKER_START_MS);
  // The threads a call is split among: the caller and the pool's workers left (0: the caller
  // alone, as on a page that is not cross-origin isolated).
  const liveThreads = () => (pool === null ? threads : pool.size > 0 ? 1 + pool.size : 0);
  const parts = () => (pool === null ? 1 : Math.max(1, liveThreads()));
  const syncParts = () => (pool !== null && mayBlock ? parts() : 1);
  let disposed = false;
  const arenas = new StagingArenas(Math.max(2, threads));
  const runner = new PieceRunner(pool, arenas, () => disposed);
  const team = PoolTeam.create(threads, teamKernels, pool);
  /** Tests of the op-level pieces turn the team off. */
  let teamOn = true;

  /** Tests of the op-level pieces split calls of at least this many multiply-adds instead. */
  let testMinMacs: number | null = null;
  const small: PlanContext['small'] = (geometry, algorithm, pass, deformable) =>
    testMinMacs !== null
      ? geometry.batch * geometry.macsPerSample < testMinMacs
      : callMs(geometry, algorithm, pass, deformable) < SPLIT_MIN_MS;
  /** The plan context of an asynchronous call: an aborted signal, a disposed context reject it. */
  const asyncPlan = (signal: AbortSignal | undefined): PlanContext => ({
    parts: parts(),
    team: teamOn ? team : null,
    small: (g, algorithm, pass, deformable) => parts() < 2 || small(g, algorithm, pass, deformable),
    ready: (op) => {
      if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
      if (disposed) throw new AbortError(`${op}: the CPU context was disposed`);
    },
  });
  const syncPlan: PlanContext = {
    get parts() {
      return syncParts();
    },
    get team() {
      return teamOn ? team : null;
    },
    small: (g, algorithm, pass, deformable) => syncParts() < 2 || small(g, algorithm, pass, deformable),
    ready: (op) => {
      if (disposed) throw new AbortError(`${op}: the CPU context was disposed`);
    },
  };
  /** A call run on the caller: on the team's memory where there is one (PoolTeam.runAlone). */
  const alone = <R>(fn: () => R): R => (teamOn && team !== null ? team.runAlone(fn) : fn());
  /** Runs an asynchronous call's plan; the options' signal cancels it. */
  const pooled = async <R>(
    options: object | undefined,
    make: (ctx: PlanContext, plain: Record<string, unknown>) => CallPlan<R>,
  ): Promise<R> => {
    const { plain, signal } = splitOptions(options);
    const plan = make(asyncPlan(signal), plain);
    if ('inline' in plan) return alone(plan.inline);
    await runner.run(plan.pieces, signal);
    return plan.finish();
  };
  const blocking = <R>(plan: CallPlan<R>): R => {
    if ('inline' in plan) return alone(plan.inline);
    runner.runSync(plan.pieces);
    return plan.finish();
  };
  type Raw = Record<string, unknown> | undefined;
  const opts = (options: unknown) => options as Raw;

  const sync: CpuSyncOps = {
    get threads() {
      return syncParts();
    },
    conv: (input, weight, options) =>
      blocking(planConv(syncPlan, opNameForWeight('conv', weight), input, weight, opts(options))),
    conv1d: (input, weight, options) =>
      blocking(planConv(syncPlan, 'conv1d', input, weight, opts(options), 1)),
    conv2d: (input, weight, options) =>
      blocking(planConv(syncPlan, 'conv2d', input, weight, opts(options), 2)),
    conv3d: (input, weight, options) =>
      blocking(planConv(syncPlan, 'conv3d', input, weight, opts(options), 3)),
    convInto: (out, input, weight, options) =>
      blocking(planConv(syncPlan, 'convInto', input, weight, opts(options), undefined, { value: out })),
    convTranspose: (input, weight, options) =>
      blocking(planConvTranspose(syncPlan, input, weight, opts(options))),
    convBackward: ((
      gradOutput: Tensor,
      input: Tensor,
      weight: Tensor,
      options?: ConvOptions,
      gradients?: ConvBackwardGradientOptions,
    ) =>
      blocking(
        planConvBackward(syncPlan, gradOutput, input, weight, opts(options), gradients),
      )) as CpuSyncOps['convBackward'],
    convTransposeBackward: (gradOutput, input, weight, options) =>
      blocking(planConvTransposeBackward(syncPlan, gradOutput, input, weight, opts(options))),
    deformConv: (input, weight, offset, options) =>
      blocking(planDeformConv(syncPlan, input, weight, offset, opts(options))),
    deformConvBackward: (gradOutput, input, weight, offset, options) =>
      blocking(planDeformConvBackward(syncPlan, gradOutput, input, weight, offset, opts(options))),
  };

  return {
    get threads() {
      return liveThreads();
    },
    get memoryBytes() {
      return teamKernels?.memory.buffer.byteLength ?? 0;
    },
    sync,
    conv: (input, weight, options) =>
      pooled(options, (ctx, plain) => planConv(ctx, opNameForWeight('conv', weight), input, weight, plain)),
    conv1d: (input, weight, options) =>
      pooled(options, (ctx, plain) => planConv(ctx, 'conv1d', input, weight, plain, 1)),
    conv2d: (input, weight, options) =>
      pooled(options, (ctx, plain) => planConv(ctx, 'conv2d', input, weight, plain, 2)),
    conv3d: (input, weight, options) =>
      pooled(options, (ctx, plain) => planConv(ctx, 'conv3d', input, weight, plain, 3)),
    convInto: (out, input, weight, options) =>
      pooled(options, (ctx, plain) =>
        planConv(ctx, 'convInto', input, weight, plain, undefined, { value: out }),
      ),
    convTranspose: (input, weight, options) =>
      pooled(options, (ctx, plain) => planConvTranspose(ctx, input, weight, plain)),
    convBackward: ((
      gradOutput: Tensor,
      input: Tensor,
      weight: Tensor,
      options?: ConvOptions & PoolCallOptions,
      gradients?: ConvBackwardGradientOptions,
    ) =>
      pooled(options, (ctx, plain) =>
        planConvBackward(ctx, gradOutput, input, weight, plain, gradients),
      )) as CpuContext['convBackward'],
    convTransposeBackward: (gradOutput, input, weight, options) =>
      pooled(options, (ctx, plain) => planConvTransposeBackward(ctx, gradOutput, input, weight, plain)),
    deformConv: (input, weight, offset, options) =>
      pooled(options, (ctx, plain) => planDeformConv(ctx, input, weight, offset, plain)),
    deformConvBackward: (gradOutput, input, weight, offset, options) =>
      pooled(options, (ctx, plain) => planDeformConvBackward(ctx, gradOutput, input, weight, offset, plain)),
    dispose: () => {
      disposed = true;
      pool?.dispose();
      arenas.clear();
    },
    // For the tests: stop a worker that is running part of a call (through the pool, or
    // silently, as a crash); count the workers spawned; turn off taking back pieces a worker
    // has not started; count the pieces the caller took back, and the calls that were split;
    // shorten the blocking form's stall bound; run something once the blocking form has
    // handed out its pieces.
    ...({
      terminateBusyWorkerForTest: (silently?: boolean) => pool?.terminateBusyWorker(silently) ?? false,
      spawnedWorkersForTest: () => pool?.spawned ?? 0,
      setStealingForTest: (on: boolean) => runner.setAdaptive(on),
      stolenPiecesForTest: () => runner.stolenPieces,
      teamForTest: () => team,
      setTeamForTest: (on: boolean) => {
        teamOn = on;
      },
      setSplitMinMacsForTest: (macs: number | null) => {
        testMinMacs = macs;
      },
      splitCallsForTest: () => runner.splitCalls,
      backedOffCallsForTest: () => runner.backedOffCalls,
      setSyncStallForTest: (ms: number) => {
        runner.stallMinMs = ms;
      },
      setAfterSyncDispatchForTest: (hook: (() => void) | null) => {
        runner.afterSyncDispatch = hook;
      },
    } as object),
  } as CpuContext;
}
