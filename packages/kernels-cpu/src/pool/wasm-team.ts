/**
 * A CPU context's team: its threads (the caller and the pool's workers) each with an instance
 * of the WebAssembly kernels on one shared memory, the context's own. A call the team takes
 * runs the module's op on the caller inside `withKernels` (its operands are copied into the
 * shared memory once, by the caller), and the kernel drivers that can split their main loop
 * (Winograd: blocks of tiles, ranges of blocks for the weight gradient; the implicit and
 * packed GEMMs: samples, else bands of output rows or ranges of positions) hand it to the team
 * as chunks of export calls (`run`), which every thread claims one at a time from a shared
 * word (the caller from the front, the workers from the back), each with its own scratch and
 * writing its own part of the output. Nothing is copied to a worker and nothing is done twice:
 * the transforms, padding and packing that every op-level piece repeated are done once, the
 * chunks write the result in place, and the bits are those of one thread (each output is the
 * same sum, whichever thread and chunk computes it; the Winograd weight gradient's float64
 * block sums are added per range, then across ranges).
 *
 * A worker gets the work through its mailbox (./team-mailbox.ts: no message) and its doorbell.
 * The caller blocks while it waits for the workers that started, so the team runs only where
 * the caller may block (Node, a Web Worker); a page's main thread keeps the op-level pieces. A
 * stalled worker (one that claimed work and stopped, or gets no processor time, may still write
 * the memory) ends the team for the context: its later calls go back to the op-level pieces.
 */
import { type ConvGeometry, UnsupportedError } from '@convkit/tensor';
import {
  createSharedKernels,
  runWasmCalls,
  type WasmCall,
  type WasmKernels,
  type WasmTeam,
  withKernels,
} from '../wasm/wasm-runtime';
import { callAlgorithm } from './call-cost';
import { WorkerError } from './pool-errors';
import { claimWord, DONE, EMPTY, FAILED, MAX_CHUNKS, pullChunks, RUNNING, TeamMailbox } from './team-mailbox';
import type { TeamMember, WorkerPool } from './worker-pool';

/** What a call plan asks of the team (PlanContext.team). */
export interface TeamPlan {
  /** Whether a call of this geometry, `algorithm` option and pass runs on the team. */
  takes(geometry: ConvGeometry, algorithm: unknown, pass: 'forward' | 'backward'): boolean;
  /** Runs `fn` (the module's op `op`, named in the team's errors) with the team's kernels and parts. */
  runOp<R>(op: string, fn: () => R): R;
}

/**
 * The team's chunk counter: an Int32 at this byte offset of the shared memory, below
 * HEAP_BASE (the kernels' working sets start at HEAP_BASE; nothing else lives below it).
 */
const COUNTER_AT = 0;
/** Polling a worker's mailbox before sleeping on it (ms): the threads' last chunks end close together. */
const SPIN_MS = 0.1;
/** The wait slice (ms) on a worker still running, between checks of the stall bound. */
const SLICE_MS = 20;
/**
 * A worker is given up (stopped and replaced) when still running this long after the caller's
 * own work ended: the longer of this many ms and STALL_FACTOR times the caller's own work.
 */
export const TEAM_STALL_MIN_MS = 10_000;
const STALL_FACTOR = 100;

/** The team of a context (see the module comment). */
export class PoolTeam implements WasmTeam, TeamPlan {
  private broken = false;
  /** For the tests: calls whose work a worker never started, calls a worker helped with; the stall bound. */
  takenBack = 0;
  workerParts = 0;
  stallMinMs = TEAM_STALL_MIN_MS;

  private constructor(
    /** The context's threads, the caller's included. */
    private readonly contextThreads: number,
    readonly kernels: WasmKernels,
    private readonly pool: WorkerPool,
  ) {}

  /**
   * The team's threads: the caller and the pool's team members, its workers running or
   * starting (one that has not started claims no chunk: the caller takes its mailbox's work
   * back and runs it). Slots whose workers could not start have no member (see WorkerPool):
   * with none left, the team takes no call.
   */
  get threads(): number {
    return Math.min(this.contextThreads, 1 + this.pool.teamMembers().length);
  }

  /** A team of `threads` threads on the memory of `kernels` (null: no shared memory here). */
  static create(threads: number, kernels: WasmKernels | null, pool: WorkerPool | null): PoolTeam | null {
    return kernels === null || pool === null ? null : new PoolTeam(threads, kernels, pool);
  }

  /** The op running on the team (for its errors). */
  private op = 'conv';

  runOp<R>(op: string, fn: () => R): R {
    this.op = op;
    return withKernels(this.kernels, this, fn);
  }

  /**
   * Runs a call the team does not split (a small one) on the caller alone, on the team's
   * memory too: a context's calls then fill one WebAssembly memory, not this one and the
   * module's (memory never shrinks). A retired team's memory may still be written by the
   * worker that stalled: then the call runs on the module's memory.
   */
  runAlone<R>(fn: () => R): R {
    return this.broken ? fn() : withKernels(this.kernels, null, fn);
  }

  /**
   * Posts the work to the workers' mailboxes and pulls chunks with them (after `callerFirst`),
   * then waits for the workers that started. Throws the first error: the caller's, a
   * worker's, or a WorkerError for a worker that stalled (it is stopped and replaced, and the
   * team retires: that worker may still have been writing the memory).
   */
  run(chunks: WasmCall[][], threadScratch: { base: number; stride: number }, callerFirst?: () => void): void {
    if (chunks.length > MAX_CHUNKS) {
      callerFirst?.();
      for (const chunk of chunks) runWasmCalls(this.kernels, chunk, threadScratch.base);
      return;
    }
    const words = new Int32Array(this.kernels.memory.buffer, 0, 1);
    Atomics.store(words, COUNTER_AT >> 2, claimWord(chunks.length));
    const work = { chunks, counterAt: COUNTER_AT };
    const members = TeamMailbox.fits(work) ? this.pool.teamMembers().slice(0, this.threads - 1) : [];
    const posted: TeamMember[] = [];
    members.forEach((member, i) => {
      if (member.mailbox.state !== EMPTY) return;
      member.mailbox.post({ ...work, scratch: threadScratch.base + (i + 1) * threadScratch.stride });
      member.call();
      posted.push(member);
    });
    let error: { error: unknown } | null = null;
    const ownStart = performance.now();
    try {
      callerFirst?.();
      pullChunks(words, COUNTER_AT, false, (chunk) =>
        runWasmCalls(this.kernels, chunks[chunk]!, threadScratch.base),
      );
    } catch (thrown) {
      error = { error: thrown };
      // No chunk is started after an error: the workers stop pulling too.
      Atomics.store(words, COUNTER_AT >> 2, 0);
    }
    const ownEnd = performance.now();
    const stallMs = Math.max(this.stallMinMs, STALL_FACTOR * (ownEnd - ownStart));
    for (const member of posted) {
      const { mailbox } = member;
      if (mailbox.takeBack()) {
        this.takenBack++;
        mailbox.clear();
        continue;
      }
      const spinUntil = performance.now() + SPIN_MS;
      while (mailbox.state === RUNNING && performance.now() < spinUntil) {}
      let state = mailbox.state;
      while (state === RUNNING) {
        if (performance.now() - ownEnd > stallMs) break;
        state = mailbox.wait(SLICE_MS);
      }
      if (state === DONE) {
        this.workerParts++;
        mailbox.clear();
      } else if (state === FAILED) {
        error ??= { error: mailbox.error() };
        mailbox.clear();
      } else {
        // Stalled: the worker stopped (a crash) or gets no processor time. Its mailbox stays
        // as it is (its replacement gets a new one); the team retires.
        this.broken = true;
        member.stop();
        error ??= {
          error: new WorkerError(
            `${this.op}: a pool worker did not finish its part of the call within ${Math.round(stallMs)} ms (it stopped, or got no processor time); the call was cancelled and the worker replaced`,
          ),
        };
      }
    }
    if (error) throw error.error;
  }

  /**
   * Whether a call runs on the team: its algorithm (the `algorithm` option, or the one 'auto'
   * picks for the pass) has kernels that split themselves. 'winograd' (every pass, 1-D and
   * 2-D: the forward product, and the input and weight gradients) and 'wasm' for non-transposed
   * convolution (the implicit and packed forward products, and the input gradient as the
   * implicit product of the adjoint; its other kernels run on the caller alone).
   */
  takes(geometry: ConvGeometry, algorithm: unknown, pass: 'forward' | 'backward'): boolean {
    if (this.broken || this.threads < 2) return false;
    const name = callAlgorithm(geometry, algorithm, pass);
    return (name === 'wasm' && !geometry.transposed) || (name === 'winograd' && geometry.dims <= 2);
  }
}

/** The shared kernels of a new team, or null (no build loaded, or no shared memory here). */
export function createTeamKernels(
  build: Parameters<typeof createSharedKernels>[0] | null,
): WasmKernels | null {
  if (build === null) return null;
  try {
    return createSharedKernels(build);
  } catch (error) {
    if (error instanceof UnsupportedError) return null;
    throw error;
  }
}
