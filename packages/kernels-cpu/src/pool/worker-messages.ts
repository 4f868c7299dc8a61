/**
 * The messages between a pool's caller and its workers besides tasks: a wake-up ahead of a
 * task, the build to load as a worker starts (answered READY), and the replies to tasks. A
 * module of its own so that the worker's bundle takes no more of the caller's side than these.
 */
import type { CompiledKernels, WasmBuild, WasmMemory } from '../wasm/wasm-runtime';
import type { SerializedError } from './pool-errors';

/** The message that only wakes a worker (see WorkerHandle.wake). */
export const WAKE = { wake: true } as const;

/**
 * The message that loads a WebAssembly build in a worker before its first task; it answers
 * READY. A Node worker also gets its doorbell: one Int32 the caller increments (and notifies)
 * after each message it posts, which the worker, idle after a piece, sleeps on (Atomics.wait)
 * between looks at its port, so that the next message wakes it at once (see cpu-worker.ts).
 */
export interface InitMessage {
  init: WasmBuild | null;
  doorbell?: SharedArrayBuffer;
  /**
   * The context's shared WebAssembly memory: the worker instantiates the build on it too, and
   * runs the 'wasmCalls' pieces there (the kernels' own split of a call, see wasm-team.ts).
   */
  shared?: WasmMemory | null;
  /** The worker's team mailbox (team-mailbox.ts), with `shared`. */
  mailbox?: SharedArrayBuffer | null;
  /**
   * The caller's compiled modules of `init` (the worker's own build carries no binaries, see
   * ../wasm/no-kernel-binaries.ts).
   */
  compiled?: CompiledKernels | null;
}

/** A worker's answer to an InitMessage. */
export const READY = { ready: true } as const;

/** A worker's answer to a task. */
export type WorkerReply = { id: number; ok: true } | { id: number; error: SerializedError };
