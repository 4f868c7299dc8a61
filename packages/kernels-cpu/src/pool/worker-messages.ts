/**
 * The messages between a pool's caller and its workers besides tasks: a wake-up ahead of a
 * task, the build to load as a worker starts (answered READY), and the replies to tasks. A
 * module of its own so that the worker's bundle takes no more of the caller's side than these.
 */
import type { WasmBuild } from '../wasm/wasm-runtime';
import type { SerializedError } from './pool-errors';

/** The message that only wakes a worker (see WorkerHandle.wake). */
export const WAKE = { wake: true } as const;

/** The message that loads a WebAssembly build in a worker before its first task; it answers READY. */
export interface InitMessage {
  init: WasmBuild | null;
}

/** A worker's answer to an InitMessage. */
export const READY = { ready: true } as const;

/** A worker's answer to a task. */
export type WorkerReply = { id: number; ok: true } | { id: number; error: SerializedError };
