/**
 * createCpuContext: the CPU ops on a pool of workers, asynchronous, with the same names,
 * options, semantics and errors as the synchronous ops (which stay the single-thread API).
 *
 *   const cpu = await createCpuContext({ threads: 'auto' });
 *   const y = await cpu.conv(x, w, { padding: 1 });   // a Tensor, as conv(x, w, ...) returns
 *   cpu.dispose();
 *
 * How a call is shared out: arguments are checked on the caller exactly as the synchronous op
 * checks them (the shared resolve*Call functions); inputs and the output go to
 * SharedArrayBuffer memory once, so workers read and write them without copies; the call is
 * split into independent pieces (`planPieces`): samples of the batch, else bands of output
 * rows (a band is the convolution of an input slice with its own zero padding, convRowBand in
 * @convkit/tensor), else output-channel blocks (transposed convolution), and each worker runs
 * the ordinary synchronous op, with whichever algorithm 'auto' picks for its piece, on its
 * part. Each worker has its own WebAssembly instance and memory: every kernel copies its
 * operands into its own memory anyway, so sharing the tensors (not one WebAssembly.Memory)
 * is what saves the copies. Pieces of a gradient that overlap (weight and bias gradients; the
 * input gradient's halo rows between bands) are summed on the caller in piece order.
 *
 * Determinism: forward results and the input gradient of batch splits are the same bits for
 * any thread count when the same algorithm runs each piece (each element is the same sum);
 * bands can change which algorithm or tile a row falls in, and partial gradient sums are added
 * in a different order than one thread's, so those agree within the 1e-4 tolerance, and repeat
 * the same bits run to run for a given thread count.
 *
 * Small calls (below INLINE_MACS multiply-adds) run on the caller: posting to a worker costs
 * more than the work. A worker that stops during a call (crash, terminate) rejects that call
 * with a WorkerError and is replaced; an AbortSignal (`options.signal`) cancels a call
 * (AbortError), terminating and replacing the workers running it. Browsers need a
 * cross-origin isolated page for SharedArrayBuffer; without one the context warns once and
 * runs every call on the caller.
 */
import {
  ArgumentError,
  type ConvGeometry,
  checkGradOutput,
  convRowBands,
  describeValue,
  opNameForWeight,
  readOptions,
  resolveConvCall,
  resolveConvTransposeCall,
  resolveDeformConvCall,
  type Tensor,
} from '@convkit/tensor';
import { conv } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import type {
  ConvGradients,
  ConvOptions,
  ConvTransposeOptions,
  DeformConvGradients,
  DeformConvOptions,
} from '../options';
import { AbortError, reviveError, WorkerError } from './pool-errors';
import type { PoolOp, PoolTask } from './pool-task';
import { addInto, describeShared, sharedZeros, toShared } from './shared-tensor';
import { isNode, spawnWorker, type WorkerHandle, type WorkerReply } from './worker-handle';

/** Calls of fewer multiply-adds run on the caller (a 1x1 conv on [1, 8, 8, 8] is 512). */
export const INLINE_MACS = 1 << 20;

export interface CpuContextOptions {
  /** Worker count: a positive integer (at most the core count) or 'auto' (every core). */
  threads?: number | 'auto';
}

/** Per-call options of the pooled ops: the op's own options plus an AbortSignal. */
export interface PoolCallOptions {
  signal?: AbortSignal;
}

export interface CpuContext {
  /** The number of workers (0: every call runs on the caller). */
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

interface Queued {
  id: number;
  task: PoolTask;
  resolve(): void;
  reject(error: unknown): void;
  signal?: AbortSignal | undefined;
  worker?: PoolWorker;
}

interface PoolWorker {
  handle: WorkerHandle;
  busy: Queued | null;
}

/** The pool: workers, a FIFO queue of pieces, replacement of workers that stop. */
class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private disposed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  private spawn(): PoolWorker {
    const slot: PoolWorker = { handle: undefined as unknown as WorkerHandle, busy: null };
    slot.handle = spawnWorker({
      message: (reply) => this.onReply(slot, reply),
      exit: (reason) => this.onExit(slot, reason),
    });
    return slot;
  }

  private onReply(worker: PoolWorker, reply: WorkerReply): void {
    const job = worker.busy;
    if (!job || job.id !== reply.id) return;
    worker.busy = null;
    if ('error' in reply) job.reject(reviveError(reply.error));
    else job.resolve();
    this.pump();
  }

  private onExit(worker: PoolWorker, reason: string): void {
    const job = worker.busy;
    worker.busy = null;
    const index = this.workers.indexOf(worker);
    if (index >= 0 && !this.disposed) this.workers[index] = this.spawn();
    if (job) {
      job.reject(
        this.disposed
          ? new AbortError(`${job.task.op}: the CPU context was disposed`)
          : job.signal?.aborted
            ? new AbortError(`${job.task.op}: the call was aborted`)
            : new WorkerError(
                `${job.task.op}: a pool worker stopped while it ran part of the call (${reason}); the call was cancelled and the worker replaced`,
              ),
      );
    }
    this.pump();
  }

  /** Runs one piece on the next free worker. */
  run(task: PoolTask, signal?: AbortSignal): Promise<void> {
    if (this.disposed) return Promise.reject(new AbortError(`${task.op}: the CPU context was disposed`));
    if (signal?.aborted) return Promise.reject(new AbortError(`${task.op}: the call was aborted`));
    return new Promise<void>((resolve, reject) => {
      // The listener goes when the piece settles: a signal that outlives many calls (one per
      // page or session) must not keep every finished call's tensors alive.
      const onAbort = () => this.abort(job);
      const job: Queued = {
        id: this.nextId++,
        task,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        signal,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  private abort(job: Queued): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.reject(new AbortError(`${job.task.op}: the call was aborted`));
      return;
    }
    // Running: stop its worker (onExit rejects the job with an AbortError and replaces it).
    job.worker?.handle.terminate();
  }

  private pump(): void {
    for (const worker of this.workers) {
      if (this.queue.length === 0) return;
      if (worker.busy) continue;
      const job = this.queue.shift()!;
      worker.busy = job;
      job.worker = worker;
      worker.handle.post(job.id, job.task);
    }
  }

  /** The worker list, for tests that terminate one mid-call. */
  get size(): number {
    return this.workers.length;
  }

  terminateBusyWorker(): boolean {
    const busy = this.workers.find((w) => w.busy);
    busy?.handle.terminate();
    return busy !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    for (const job of this.queue.splice(0))
      job.reject(new AbortError(`${job.task.op}: the CPU context was disposed`));
    for (const worker of this.workers) worker.handle.terminate();
  }
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

function task(
  op: PoolOp,
  args: Tensor[],
  options: Record<string, unknown>,
  tensorOptions: Record<string, Tensor | null>,
  outputs: Record<string, Tensor>,
): PoolTask {
  const shared: Record<string, ReturnType<typeof describeShared> | null> = {};
  for (const [name, t] of Object.entries(tensorOptions)) shared[name] = t ? describeShared(t) : null;
  const out: Record<string, ReturnType<typeof describeShared>> = {};
  for (const [name, t] of Object.entries(outputs)) out[name] = describeShared(t);
  return { op, args: args.map(describeShared), options, tensorOptions: shared, outputs: out };
}

/** Near-equal chunks [start, end) of `count` items for `parts` workers. */
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
  const pool = threads > 0 ? new WorkerPool(threads) : null;
  const parts = Math.max(1, threads);

  const runAll = async (tasks: PoolTask[], signal: AbortSignal | undefined) => {
    await Promise.all(tasks.map((t) => pool!.run(t, signal)));
  };
  const small = (geometry: ConvGeometry) =>
    pool === null || geometry.batch * geometry.macsPerSample < INLINE_MACS;

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
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (small(g)) return conv(call.input, call.weight, plain);
    const x = toShared(call.input);
    const w = toShared(call.weight);
    const bias = call.bias ? toShared(call.bias) : null;
    const out = sharedZeros(g.outputShape);
    const rest = { ...plain };
    delete rest.bias;
    const tasks: PoolTask[] = [];
    const splitDim = g.layout === 'channels-last' ? 1 : 2;
    const bands = g.batch < parts ? convRowBands(g, parts) : [];
    if (g.batch >= parts || bands.length < 2) {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        tasks.push(task('conv', [x.slice(0, n0, n1), w], rest, { bias }, { output: out.slice(0, n0, n1) }));
      }
    } else {
      for (const band of bands) {
        const padding = paddingPairs(g);
        padding[0] = [band.padBefore, band.padAfter];
        tasks.push(
          task(
            'conv',
            [x.slice(splitDim, band.inputStart, band.inputEnd), w],
            { ...rest, padding },
            { bias },
            { output: out.slice(splitDim, band.rowStart, band.rowEnd) },
          ),
        );
      }
    }
    await runAll(tasks, signal);
    return out;
  }

  async function convBackwardPooled(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options?: ConvOptions & PoolCallOptions,
  ): Promise<ConvGradients> {
    const op = 'convBackward';
    const { plain, signal } = splitOptions(options);
    const call = resolveConvCall(op, input, weight, plain);
    const g = call.geometry;
    const gy = checkGradOutput(op, gradOutput, g.outputShape, `conv${g.dims}d`);
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (small(g)) return convBackward(gy, call.input, call.weight, plain);
    const x = toShared(call.input);
    const w = toShared(call.weight);
    const y = toShared(gy);
    const rest = { ...plain };
    delete rest.bias;
    const gradInput = sharedZeros(g.inputShape);
    const gradWeight = sharedZeros(g.weightShape);
    const gradBias = sharedZeros([g.outChannels]);
    const splitDim = g.layout === 'channels-last' ? 1 : 2;
    const bands = g.batch < parts ? convRowBands(g, parts) : [];
    const tasks: PoolTask[] = [];
    const weightParts: Tensor[] = [];
    const biasParts: Tensor[] = [];
    const inputParts: { part: Tensor; target: Tensor }[] = [];
    if (g.batch >= parts || bands.length < 2) {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        const gw = sharedZeros(g.weightShape);
        const gb = sharedZeros([g.outChannels]);
        weightParts.push(gw);
        biasParts.push(gb);
        tasks.push(
          task(
            'convBackward',
            [y.slice(0, n0, n1), x.slice(0, n0, n1), w],
            rest,
            { bias: null },
            {
              gradInput: gradInput.slice(0, n0, n1),
              gradWeight: gw,
              gradBias: gb,
            },
          ),
        );
      }
    } else {
      for (const band of bands) {
        const padding = paddingPairs(g);
        padding[0] = [band.padBefore, band.padAfter];
        const xBand = x.slice(splitDim, band.inputStart, band.inputEnd);
        const gi = sharedZeros(xBand.shape);
        const gw = sharedZeros(g.weightShape);
        const gb = sharedZeros([g.outChannels]);
        inputParts.push({ part: gi, target: gradInput.slice(splitDim, band.inputStart, band.inputEnd) });
        weightParts.push(gw);
        biasParts.push(gb);
        tasks.push(
          task(
            'convBackward',
            [y.slice(splitDim, band.rowStart, band.rowEnd), xBand, w],
            { ...rest, padding },
            { bias: null },
            { gradInput: gi, gradWeight: gw, gradBias: gb },
          ),
        );
      }
    }
    await runAll(tasks, signal);
    for (const { part, target } of inputParts) addInto(part, target);
    sumInto(gradWeight, weightParts);
    sumInto(gradBias, biasParts);
    return { gradInput, gradWeight, gradBias };
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
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (small(g)) return convTranspose(call.input, call.weight, plain);
    const x = toShared(call.input);
    const w = toShared(call.weight);
    const bias = call.bias ? toShared(call.bias) : null;
    const out = sharedZeros(g.outputShape);
    const rest = { ...plain };
    delete rest.bias;
    const tasks: PoolTask[] = [];
    const channelDim = g.layout === 'channels-last' ? g.dims + 1 : 1;
    if (g.batch < parts && g.groups === 1 && g.outChannels >= 2 * parts) {
      // One sample: blocks of output channels (weight [C_in, C_out, ...k] sliced on dim 1).
      for (const [c0, c1] of chunks(g.outChannels, parts)) {
        tasks.push(
          task(
            'convTranspose',
            [x, w.slice(1, c0, c1)],
            rest,
            { bias: bias ? bias.slice(0, c0, c1) : null },
            {
              output: out.slice(channelDim, c0, c1),
            },
          ),
        );
      }
    } else {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        tasks.push(
          task('convTranspose', [x.slice(0, n0, n1), w], rest, { bias }, { output: out.slice(0, n0, n1) }),
        );
      }
    }
    await runAll(tasks, signal);
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
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (small(g)) return convTransposeBackward(gy, call.input, call.weight, plain);
    return batchBackward(
      'convTransposeBackward',
      g,
      [toShared(gy), toShared(call.input), toShared(call.weight)],
      plain,
      signal,
    );
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
    const gradInput = sharedZeros(g.inputShape);
    const gradWeight = sharedZeros(g.weightShape);
    const gradBias = sharedZeros([g.outChannels]);
    const gradOffset = extra.offset ? sharedZeros(extra.offset.shape) : null;
    const gradMask = extra.mask ? sharedZeros(extra.mask.shape) : null;
    const weightParts: Tensor[] = [];
    const biasParts: Tensor[] = [];
    const tasks: PoolTask[] = [];
    for (const [n0, n1] of chunks(g.batch, parts)) {
      const gw = sharedZeros(g.weightShape);
      const gb = sharedZeros([g.outChannels]);
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
      tasks.push(task(op, sliced, rest, tensorOptions, outputs));
    }
    await runAll(tasks, signal);
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
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (small(g)) return deformConv(call.input, call.weight, call.offset, plain);
    const x = toShared(call.input);
    const w = toShared(call.weight);
    const off = toShared(call.offset);
    const mask = call.mask ? toShared(call.mask) : null;
    const bias = call.bias ? toShared(call.bias) : null;
    const out = sharedZeros(g.outputShape);
    const rest = { ...plain };
    delete rest.bias;
    delete rest.mask;
    const tasks: PoolTask[] = [];
    if (g.batch < parts && g.groups === 1 && g.outChannels >= 2 * parts) {
      // One sample: blocks of output channels (weight [C_out, ...] sliced on dim 0).
      for (const [c0, c1] of chunks(g.outChannels, parts)) {
        tasks.push(
          task(
            'deformConv',
            [x, w.slice(0, c0, c1), off],
            rest,
            { bias: bias ? bias.slice(0, c0, c1) : null, mask },
            { output: out.slice(1, c0, c1) },
          ),
        );
      }
    } else {
      for (const [n0, n1] of chunks(g.batch, parts)) {
        tasks.push(
          task(
            'deformConv',
            [x.slice(0, n0, n1), w, off.slice(0, n0, n1)],
            rest,
            { bias, mask: mask ? mask.slice(0, n0, n1) : null },
            { output: out.slice(0, n0, n1) },
          ),
        );
      }
    }
    await runAll(tasks, signal);
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
    if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
    if (small(g)) return deformConvBackward(gy, call.input, call.weight, call.offset, plain);
    const off = toShared(call.offset);
    return batchBackward(
      'deformConvBackward',
      g,
      [toShared(gy), toShared(call.input), toShared(call.weight), off],
      plain,
      signal,
      { offset: off, mask: call.mask ? toShared(call.mask) : null },
    );
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
    dispose: () => pool?.dispose(),
    // For the fault tests: stop a worker that is running part of a call.
    ...({ terminateBusyWorkerForTest: () => pool?.terminateBusyWorker() ?? false } as object),
  } as CpuContext;
}
