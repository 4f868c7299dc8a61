/**
 * WorkerPool: the workers of a CPU context and the FIFO queue of the pieces they run. A piece
 * goes to the next free worker; a worker that stops while it runs one (a crash, terminate())
 * rejects that piece and is replaced, so the pool goes on; an AbortSignal takes a queued piece
 * out of the queue, or stops the worker running it. A piece the caller ran itself instead
 * (its worker had not started it), or one its worker has marked done in shared memory, is
 * detached: it settles at once, leaves the queue if it was still there, its worker takes the
 * next task, and its late reply is ignored.
 *
 * A worker that stops by itself before it has started (its script did not load: a bundle
 * without cpu-worker.js, a wrong URL, a CSP that forbids workers) is a start failure, not a
 * crash: its slot tries once more (START_RETRIES), then stays empty rather than respawn in a
 * loop, and the pool reports it (onStartFailure). A piece handed to such a worker never ran:
 * it goes back to the front of the queue. A pool whose every slot gave up refuses pieces (a
 * WorkerError), and fails those still queued, rather than leave them waiting.
 */

import type { CompiledKernels, WasmBuild, WasmMemory } from '../wasm/wasm-runtime';
import { AbortError, reviveError, WorkerError } from './pool-errors';
import type { PoolTask } from './pool-task';
import { TeamMailbox } from './team-mailbox';
import { spawnWorker, type WorkerHandle } from './worker-handle';
import type { WorkerReply } from './worker-messages';

/** A worker as a member of the context's team (WorkerPool.teamMembers). */
export interface TeamMember {
  mailbox: TeamMailbox;
  /** Has the worker look at its mailbox now. */
  call(): void;
  /** Stops the worker (a stalled part); the pool replaces it. */
  stop(): void;
}

/** A piece handed to the pool: `done` settles when a worker has run it (or failed to). */
export interface PoolJob {
  done: Promise<void>;
  /** Settles `done` now: the caller ran the piece itself, or saw it done (see the module comment). */
  detach(): void;
  /** The error `done` rejected with (its worker stopped, its signal aborted...), null while none. */
  failure(): { error: unknown } | null;
  /**
   * Gives the piece up: out of the queue if no worker has it yet, else its worker is stopped
   * (and replaced), which rejects `done`.
   */
  abandon(): void;
}

interface Queued {
  id: number;
  task: PoolTask;
  resolve(): void;
  reject(error: unknown): void;
  signal?: AbortSignal | undefined;
  worker?: PoolWorker;
  /** The caller ran the piece itself; a worker may still be busy with its (skipped) task. */
  detached?: boolean;
  failed?: { error: unknown };
}

interface PoolWorker {
  handle: WorkerHandle;
  /** The worker has started (it answered the init message); until then a stop is a start failure. */
  started: boolean;
  /** The workers of this slot that failed to start in a row before this one. */
  startFailures: number;
  /** The worker's team mailbox (when the pool has a shared memory). */
  mailbox: TeamMailbox | null;
  busy: Queued | null;
  /** Settles when the worker has loaded the pool's build (or stopped first). */
  ready: Promise<void>;
}

/**
 * How many times a slot whose worker failed to start spawns another before it gives up: a
 * start failure (the script is missing, or refused) is most often permanent, and each try
 * costs a thread's start-up.
 */
export const START_RETRIES = 1;

/** What the pool reports once slots gave up (see WorkerPool.onStartFailure). */
export interface StartFailure {
  /** The worker script that failed to load. */
  url: string;
  /** Why its last worker stopped (the platform's error). */
  reason: string;
  /** Slots given up so far, of `size` at the start. */
  failed: number;
  /** Workers running (started) now. */
  running: number;
  size: number;
}

/** The pool: workers, a FIFO queue of pieces, replacement of workers that stop. */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private disposed = false;
  private readonly slots: number;
  /** Slots given up after start failures. */
  private failedSlots = 0;
  /** Why the last worker that failed to start stopped. */
  private startFailureReason = '';
  /** For the tests: workers spawned so far (replacements and retries included). */
  spawned = 0;
  /**
   * Called when a slot gives up on starting a worker (see the module comment) and no other
   * slot is still starting one, so that `failed` and `running` are the outcome.
   */
  onStartFailure: ((failure: StartFailure) => void) | null = null;

  /** `size` workers, each of which loads `build` (the caller's WebAssembly build) as it starts. */
  constructor(
    size: number,
    private readonly build: WasmBuild | null,
    /** The context's shared WebAssembly memory, which every worker instantiates the build on too. */
    private readonly shared: WasmMemory | null = null,
    /** The build's compiled modules, which the workers instantiate (their own file has no binaries). */
    private readonly compiled: CompiledKernels | null = null,
  ) {
    this.slots = size;
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(0));
  }

  private spawn(startFailures: number): PoolWorker {
    let ready!: () => void;
    const slot: PoolWorker = {
      handle: undefined as unknown as WorkerHandle,
      started: false,
      startFailures,
      mailbox: this.shared !== null ? new TeamMailbox() : null,
      busy: null,
      ready: new Promise<void>((resolve) => {
        ready = resolve;
      }),
    };
    this.spawned++;
    slot.handle = spawnWorker({
      message: (reply) => this.onReply(slot, reply),
      ready: () => {
        slot.started = true;
        ready();
      },
      exit: (reason, terminated) => {
        ready();
        this.onExit(slot, reason, terminated);
      },
    });
    slot.handle.init(this.build, this.compiled, this.shared, slot.mailbox?.buffer ?? null);
    return slot;
  }

  /**
   * Settles when every slot's worker has started and loaded the build, or the slot has given
   * up (a worker that stops first is waited for through its replacement, or its retry), or
   * after `timeoutMs`, whichever is first.
   */
  async ready(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expired = false;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve();
      }, timeoutMs);
    });
    for (;;) {
      const starting = this.workers.filter((w) => !w.started);
      if (starting.length === 0 || expired || this.disposed) break;
      await Promise.race([Promise.all(starting.map((w) => w.ready)), timeout]);
    }
    clearTimeout(timer);
  }

  private onReply(worker: PoolWorker, reply: WorkerReply): void {
    const job = worker.busy;
    if (!job || job.id !== reply.id) return;
    worker.busy = null;
    if ('error' in reply) job.reject(reviveError(reply.error));
    else job.resolve();
    this.pump();
  }

  private onExit(worker: PoolWorker, reason: string, terminated: boolean): void {
    let job = worker.busy;
    worker.busy = null;
    const index = this.workers.indexOf(worker);
    // Stopped by itself before it started: its script did not load (or it died loading).
    const startFailed = !worker.started && !terminated && !this.disposed && index >= 0;
    let gaveUp = false;
    if (startFailed) this.startFailureReason = reason;
    if (index >= 0 && !this.disposed) {
      // A replacement keeps the slot's count of failed starts until one starts.
      const failures = worker.started ? 0 : worker.startFailures + (startFailed ? 1 : 0);
      if (failures <= START_RETRIES) this.workers[index] = this.spawn(failures);
      else {
        this.workers.splice(index, 1);
        this.failedSlots++;
        gaveUp = true;
      }
    }
    // A piece handed to a worker that never started never ran: it goes back to the front of
    // the queue (unless the caller took it back meanwhile: then it is settled already).
    if (job && startFailed) {
      delete job.worker;
      if (!job.detached) this.queue.unshift(job);
      job = null;
    }
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
    if (gaveUp) {
      // No worker left to run them: the queued pieces fail rather than wait forever.
      if (this.workers.length === 0)
        for (const queued of this.queue.splice(0)) queued.reject(this.noWorkerError(queued.task.op, reason));
      if (this.workers.every((w) => w.started))
        this.onStartFailure?.({
          url: worker.handle.url,
          reason,
          failed: this.failedSlots,
          running: this.workers.length,
          size: this.slots,
        });
    }
    this.pump();
  }

  private noWorkerError(op: string, reason: string): WorkerError {
    return new WorkerError(
      `${op}: no pool worker is running: they could not start (${reason}); the call was not run`,
    );
  }

  /** Runs one piece on the next free worker. */
  run(task: PoolTask, signal?: AbortSignal): PoolJob {
    const settled = (done: Promise<void>, error: unknown): PoolJob => ({
      done,
      detach: () => {},
      failure: () => ({ error }),
      abandon: () => {},
    });
    const refuse = (error: Error) => settled(Promise.reject(error), error);
    if (this.disposed) return refuse(new AbortError(`${task.op}: the CPU context was disposed`));
    if (signal?.aborted) return refuse(new AbortError(`${task.op}: the call was aborted`));
    if (this.workers.length === 0) {
      // Every slot gave up (see the module comment). The caller may take the piece back and
      // never await it: that rejection is not an unhandled one.
      const refused = refuse(this.noWorkerError(task.op, this.startFailureReason));
      refused.done.catch(() => {});
      return refused;
    }
    let job!: Queued;
    const done = new Promise<void>((resolve, reject) => {
      // The listener goes when the piece settles: a signal that outlives many calls (one per
      // page or session) must not keep every finished call's tensors alive.
      const onAbort = () => this.abort(job);
      job = {
        id: this.nextId++,
        task,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          if (!job.detached && !job.failed) job.failed = { error };
          reject(error);
        },
        signal,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    this.queue.push(job);
    this.pump();
    return {
      done,
      detach: () => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) this.queue.splice(queued, 1);
        job.detached = true;
        job.resolve();
      },
      failure: () => job.failed ?? null,
      abandon: () => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) {
          this.queue.splice(queued, 1);
          job.reject(new AbortError(`${task.op}: the call gave the piece up`));
        } else if (job.worker?.busy === job) job.worker.handle.terminate();
      },
    };
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
      // A worker whose piece is detached is free: it skips that piece, or has marked it done
      // and only its reply is on the way; the next task waits behind it in its port.
      if (worker.busy && !worker.busy.detached) continue;
      const job = this.queue.shift()!;
      worker.busy = job;
      job.worker = worker;
      worker.handle.post(job.id, job.task);
    }
  }

  /**
   * Wakes the idle workers ahead of a task: the caller stages a call's inputs (a copy of up to
   * megabytes) before it posts the pieces, and a worker asleep takes a while to be scheduled
   * once messaged; woken first, it is up (polling its port, in Node) when its piece comes.
   */
  wake(): void {
    if (this.disposed) return;
    for (const worker of this.workers) if (!worker.busy || worker.busy.detached) worker.handle.wake();
  }

  /**
   * The workers as team members (./wasm-team.ts): each one's mailbox, a way to have it look
   * at the mailbox (the doorbell, plus a message when it is back in its event loop), and a way
   * to stop it (it is replaced). Empty without a shared memory, or once disposed.
   */
  teamMembers(): TeamMember[] {
    if (this.disposed) return [];
    return this.workers.flatMap((worker) =>
      worker.mailbox === null
        ? []
        : [
            {
              mailbox: worker.mailbox,
              call: () => {
                if (worker.mailbox!.awake) worker.handle.ring();
                else worker.handle.wake();
              },
              stop: () => worker.handle.terminate(),
            },
          ],
    );
  }

  /**
   * The workers, running or starting (a replacement, a retry): slots that gave up on starting
   * one are not counted. The context's threads are these and the caller.
   */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Stops a worker running a piece: through its handle (the pool learns of it at once), or
   * `silently`, as a crash would (the pool learns of it only from the worker's exit event).
   */
  terminateBusyWorker(silently = false): boolean {
    const busy = this.workers.find((w) => w.busy && !w.busy.detached);
    if (silently) busy?.handle.killForTest();
    else busy?.handle.terminate();
    return busy !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    for (const job of this.queue.splice(0))
      job.reject(new AbortError(`${job.task.op}: the CPU context was disposed`));
    for (const worker of this.workers) worker.handle.terminate();
  }
}
