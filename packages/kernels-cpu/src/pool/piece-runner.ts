/**
 * PieceRunner: runs the pieces of a split call on the caller and a pool's workers, awaited
 * (`run`, the asynchronous API) or blocking (`runSync`, the synchronous API of a context).
 *
 * Either way the caller copies the other pieces' inputs into shared memory it keeps between
 * calls (an arena, ./staging-arenas.ts; inputs already over a SharedArrayBuffer are read in
 * place), posts them to the workers, runs the first piece itself meanwhile, runs any piece no
 * worker has started yet (each piece has a claim word that whoever starts it swaps), and waits
 * for the rest on their claim words, which a worker marks done (or failed, with its error) and
 * notifies. The awaited form then waits for the replies of pieces not done yet; the blocking
 * form keeps waiting on the claim words (Atomics.wait, in slices: between slices it checks
 * whether the pool has seen the worker stop, and gives the piece up after a bound), so it needs
 * no reply at all, and late replies settle nothing. The caller writes its part of the result
 * into the (ordinary) result tensor, a worker into the arena, from where the caller copies it.
 *
 * A context whose workers were late backs off to running whole calls' pieces on the caller for
 * a few calls (the same pieces, so the same bits).
 */
import type { Tensor } from '@convkit/tensor';
import { wasmInfo } from '../wasm/wasm-runtime';
import { AbortError, WorkerError } from './pool-errors';
import {
  CLAIMED_BY_CALLER,
  CLAIMED_BY_WORKER,
  claimWords,
  DONE_BY_WORKER,
  FAILED_BY_WORKER,
  type PoolPiece,
  type PoolTask,
  readTaskError,
  runPiece,
} from './pool-task';
import { copyInto, fromShared, type SharedTensor, touchPages } from './shared-tensor';
import { type StagingArena, type StagingArenas, stagingSize } from './staging-arenas';
import { isNode } from './worker-handle';
import type { PoolJob, WorkerPool } from './worker-pool';

/** How long the awaited form waits on a worker's piece after its own: half its own piece's time, within these (ms). */
const WAIT_MIN_MS = 0.2;
const WAIT_MAX_MS = 20;
/**
 * Both forms poll a worker's claim word this long (ms) before they sleep on it (Atomics.wait,
 * which the worker notifies): long enough for a piece that is about to finish, short because on
 * a loaded machine the worker may be running on the caller's own core, which polling holds.
 */
const SPIN_MS = 0.1;
/**
 * The most calls a context runs on the caller alone after finding its workers late. Few: the
 * workers are not tried meanwhile (and sleep, so the next try finds them slower to wake), and
 * a loaded machine gives the second core back now and then (at 32, 66 of 70 calls of a traced
 * c3x3 loop on the loaded machine ran on one thread after its first late calls).
 */
const BACKOFF_MAX_CALLS = 4;
/** The blocking form's wait slice (ms): how often it checks whether the pool saw a worker stop. */
const SYNC_SLICE_MS = 20;
/**
 * The blocking form gives a worker's piece up (stops and replaces the worker, and throws a
 * WorkerError) when it is not done this long after the caller's own piece: the longer of this
 * many ms and SYNC_STALL_FACTOR times the caller's own piece. A worker that stops by itself
 * (a crash) reports it only in a message, which a blocked caller cannot receive.
 */
export const SYNC_STALL_MIN_MS = 10_000;
const SYNC_STALL_FACTOR = 100;

/** Polls a claim word while a worker holds it (claimed, not yet done or failed), until `deadline`. */
function spinWhileClaimed(claims: Int32Array, index: number, deadline: number): void {
  while (Atomics.load(claims, index) === CLAIMED_BY_WORKER && performance.now() < deadline) {}
}

/**
 * While its workers still run their pieces, the caller maps in the memory their results will
 * be copied into (fresh arrays, whose pages fault on first touch): time it would otherwise
 * spend in the copy after the wait. Never more work than the copy would do anyway.
 */
function prefaultCopyBacks(d: Dispatch, claims: Int32Array, pieces: number[]): void {
  for (const i of pieces)
    if (Atomics.load(claims, i) === CLAIMED_BY_WORKER) for (const { to } of d.copyBacks[i]!) touchPages(to);
}

/** One call's pieces handed out: the arena, the claim words, the workers' jobs, what to copy back. */
interface Dispatch {
  arena: StagingArena;
  claims: Int32Array;
  jobs: PoolJob[];
  copyBacks: { from: SharedTensor; to: Tensor }[][];
  /** The caller's pieces read strided inputs from their staged copies (no copy by the op). */
  local(piece: PoolPiece): PoolPiece;
}

/**
 * A worker's task for `piece`: its inputs staged in `arena` (unless already shared), its
 * results written into regions of the arena, which `copyBack` lists for the caller to copy
 * into the piece's outputs once the worker is done.
 */
function describePiece(
  piece: PoolPiece,
  arena: StagingArena,
  copyBack: { from: SharedTensor; to: Tensor }[],
  claim: PoolTask['claim'],
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
    build: wasmInfo().build,
    args: piece.args.map((t) => arena.stage(t)),
    options: piece.options,
    tensorOptions,
    outputs,
    claim,
  };
}

/** Runs split calls' pieces on the caller and a pool (see the module comment). */
export class PieceRunner {
  /** Taking back unstarted pieces, waiting on claim words and backing off; tests turn it off. */
  adaptive = true;
  private backoff = 0;
  private strikes = 0;
  /** For the tests: pieces the caller took back, calls split, calls backed off, the blocking form's stall bound. */
  stolenPieces = 0;
  splitCalls = 0;
  backedOffCalls = 0;
  stallMinMs = SYNC_STALL_MIN_MS;
  /** For the tests: called by the blocking form once it has handed the pieces to the pool. */
  afterSyncDispatch: (() => void) | null = null;

  constructor(
    private readonly pool: WorkerPool | null,
    private readonly arenas: StagingArenas,
    /** Whether the context was disposed (a call settling after that rejects). */
    private readonly disposed: () => boolean,
  ) {}

  setAdaptive(on: boolean): void {
    this.adaptive = on;
    this.backoff = 0;
    this.strikes = 0;
  }

  /** Whether to run the whole call on the caller (recent calls found the workers late). */
  private backingOff(): boolean {
    if (!this.adaptive || this.backoff === 0) return false;
    this.backoff--;
    this.backedOffCalls++;
    return true;
  }

  /**
   * A worker that did not start its piece while the caller ran its own, or finished it more
   * than half the caller's time after the caller: the machine does not give the workers their
   * cores now (other work). Back off for 1, 2, then 4 calls.
   */
  private noteLateness(byWorker: boolean[], ownStart: number, ownEnd: number): void {
    if (!this.adaptive) return;
    const late = byWorker.includes(false) || performance.now() - ownEnd > (ownEnd - ownStart) / 2 + 0.2;
    if (late) {
      this.backoff = Math.min(BACKOFF_MAX_CALLS, 1 << this.strikes);
      this.strikes = Math.min(this.strikes + 1, 2);
    } else this.strikes = 0;
  }

  /** Stages pieces 2.. in an arena and hands them to the pool. */
  private dispatch(pool: WorkerPool, pieces: PoolPiece[], signal: AbortSignal | undefined): Dispatch {
    // Idle workers first: they wake while the caller stages their inputs.
    pool.wake();
    const remote = pieces.slice(1);
    const own = pieces[0]!;
    // The caller's own strided inputs (a band of rows) go to the arena too: the op would copy
    // them into a fresh array, whose pages cost more to map than the copy.
    const ownStrided = own.args.filter((t) => !t.isContiguous);
    let floats = stagingSize([
      ...ownStrided,
      ...remote.flatMap((p) => [...p.args, ...Object.values(p.tensorOptions)]),
    ]);
    for (const p of remote) for (const t of Object.values(p.outputs)) floats += t.size;
    const arena = this.arenas.acquire(floats);
    const claims = claimWords(remote.length);
    const copyBacks: { from: SharedTensor; to: Tensor }[][] = remote.map(() => []);
    let jobs: PoolJob[];
    try {
      jobs = remote.map((p, i) => {
        const claim = { buffer: claims.buffer as SharedArrayBuffer, index: i };
        return pool.run(describePiece(p, arena, copyBacks[i]!, claim), signal);
      });
    } catch (error) {
      this.arenas.release(arena);
      throw error;
    }
    const local = (p: PoolPiece): PoolPiece => ({
      ...p,
      args: p.args.map((t) => (t.isContiguous ? t : fromShared(arena.stage(t)))),
    });
    return { arena, claims, jobs, copyBacks, local };
  }

  /**
   * Runs the caller's piece, then every remote piece no worker has started yet (or, after an
   * error, gives those up). Returns who runs each remote piece (true: its worker).
   */
  private runOwn(
    pieces: PoolPiece[],
    d: Dispatch,
  ): { byWorker: boolean[]; ownError: { error: unknown } | null; ownStart: number; ownEnd: number } {
    const remote = pieces.slice(1);
    const byWorker: boolean[] = [];
    const takeBack = (i: number) => {
      const taken = Atomics.compareExchange(d.claims, i, 0, CLAIMED_BY_CALLER) === 0;
      if (taken) d.jobs[i]!.detach();
      byWorker[i] = !taken;
      return taken;
    };
    let ownError: { error: unknown } | null = null;
    const ownStart = performance.now();
    let ownEnd = ownStart;
    try {
      runPiece(d.local(pieces[0]!));
      ownEnd = performance.now();
      for (let i = 0; i < remote.length; i++) {
        if (!this.adaptive) byWorker[i] = true;
        else if (takeBack(i)) {
          this.stolenPieces++;
          runPiece(d.local(remote[i]!));
        }
      }
    } catch (error) {
      ownError = { error };
      // Pieces no worker has started are given up: none will start them now.
      for (let i = 0; i < remote.length; i++) if (byWorker[i] === undefined) takeBack(i);
    }
    return { byWorker, ownError, ownStart, ownEnd };
  }

  /**
   * Runs a split call, awaited: settles with the first error in piece order; an abort or
   * dispose that comes before the call settles rejects it. The arena goes back only once no
   * worker reads it.
   */
  async run(pieces: PoolPiece[], signal: AbortSignal | undefined): Promise<void> {
    const pool = this.pool;
    if (pool === null || pieces.length < 2) {
      for (const p of pieces) runPiece(p);
      return;
    }
    this.splitCalls++;
    const op = pieces[0]!.op;
    const checkSettled = () => {
      if (signal?.aborted) throw new AbortError(`${op}: the call was aborted`);
      if (this.disposed()) throw new AbortError(`${op}: the CPU context was disposed`);
    };
    if (this.backingOff()) {
      for (const p of pieces) runPiece(p);
      await null;
      checkSettled();
      return;
    }
    const d = this.dispatch(pool, pieces, signal);
    const { claims, jobs } = d;
    const remote = pieces.length - 1;
    const { byWorker, ownError, ownStart, ownEnd } = this.runOwn(pieces, d);
    // Pieces a worker runs: wait a little on their claim words, which the worker sets and
    // notifies when done (Node: Atomics.wait, a futex, woken at once; a page's main thread may
    // not wait, so it spins), before sleeping on the reply message (a thread asleep in the
    // event loop waits for the scheduler, which on a loaded machine takes milliseconds).
    // Pieces a worker has marked done need no reply.
    let waiting = byWorker.flatMap((worker, i) => (worker ? [i] : []));
    if (ownError === null) prefaultCopyBacks(d, claims, waiting);
    if (waiting.length > 0 && ownError === null && this.adaptive) {
      const until =
        performance.now() + Math.min(WAIT_MAX_MS, Math.max(WAIT_MIN_MS, (performance.now() - ownStart) / 2));
      if (isNode) {
        for (const i of waiting) {
          spinWhileClaimed(claims, i, Math.min(until, performance.now() + SPIN_MS));
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
      for (let i = 0; i < remote; i++) if (byWorker[i] && !waiting.includes(i)) jobs[i]!.detach();
    }
    const done = byWorker.flatMap((worker, i) => (worker && !waiting.includes(i) ? [i] : []));
    // Even a call whose pieces are all done here settles after the caller's tick, so that an
    // abort or dispose issued right after the call (before it settled) rejects it.
    const settled = await Promise.allSettled(waiting.map((i) => jobs[i]!.done));
    if (ownError === null) this.noteLateness(byWorker, ownStart, ownEnd);
    try {
      if (ownError) throw ownError.error;
      for (const result of settled) if (result.status === 'rejected') throw result.reason;
      checkSettled();
      for (const i of [...done, ...waiting])
        for (const { from, to } of d.copyBacks[i]!) copyInto(fromShared(from), to);
    } finally {
      this.arenas.release(d.arena);
    }
  }

  /**
   * Runs a split call, blocking (the caller must be allowed to: Node, or any worker). Throws
   * the first error in piece order: the caller's, a worker's (from its error slot), or a
   * WorkerError for a worker that stopped or stalled while it ran its piece (see
   * SYNC_STALL_MIN_MS); that worker is replaced. The arena goes back only when every worker
   * that ran a piece of it has marked it done or failed.
   */
  runSync(pieces: PoolPiece[]): void {
    const pool = this.pool;
    if (pool === null || pieces.length < 2) {
      for (const p of pieces) runPiece(p);
      return;
    }
    this.splitCalls++;
    if (this.backingOff()) {
      for (const p of pieces) runPiece(p);
      return;
    }
    const d = this.dispatch(pool, pieces, undefined);
    const { claims, jobs } = d;
    // Nobody awaits the jobs: their settling (late replies, a worker's exit) is handled here.
    for (const job of jobs) job.done.catch(() => {});
    this.afterSyncDispatch?.();
    const { byWorker, ownError, ownStart, ownEnd } = this.runOwn(pieces, d);
    const op = pieces[0]!.op;
    const errors: unknown[] = [];
    let arenaFree = true;
    if (ownError === null)
      prefaultCopyBacks(
        d,
        claims,
        byWorker.flatMap((worker, i) => (worker ? [i] : [])),
      );
    const stallMs = Math.max(this.stallMinMs, SYNC_STALL_FACTOR * (ownEnd - ownStart));
    for (let i = 0; i < byWorker.length; i++) {
      if (!byWorker[i]) continue;
      const job = jobs[i]!;
      spinWhileClaimed(claims, i, performance.now() + SPIN_MS);
      for (;;) {
        const state = Atomics.load(claims, i);
        if (state === DONE_BY_WORKER) {
          job.detach();
          break;
        }
        if (state === FAILED_BY_WORKER) {
          job.detach();
          errors[i] = readTaskError(claims, i);
          break;
        }
        const failure = job.failure();
        if (failure) {
          // The pool saw the worker stop (and replaced it); a stopping thread may still write.
          errors[i] = failure.error;
          arenaFree = false;
          break;
        }
        if (performance.now() - ownEnd > stallMs) {
          job.abandon();
          errors[i] = new WorkerError(
            `${op}: a pool worker did not finish its part of the call within ${Math.round(stallMs)} ms (it stopped, or got no processor time); the call was cancelled and the worker replaced`,
          );
          arenaFree = false;
          break;
        }
        Atomics.wait(claims, i, state, SYNC_SLICE_MS);
      }
    }
    try {
      if (ownError) throw ownError.error;
      for (const error of errors) if (error !== undefined) throw error;
      if (this.disposed()) throw new AbortError(`${op}: the CPU context was disposed`);
      this.noteLateness(byWorker, ownStart, ownEnd);
      for (let i = 0; i < byWorker.length; i++)
        if (byWorker[i]) for (const { from, to } of d.copyBacks[i]!) copyInto(fromShared(from), to);
    } finally {
      if (arenaFree) this.arenas.release(d.arena);
    }
  }
}
