/**
 * Engine: what the harness needs from anything it measures (a convkit algorithm, a peer
 * library on one backend at one thread count). An engine prepares a problem once (weights
 * converted, sessions built, layouts changed: all untimed), then runs it any number of times;
 * each run reports the milliseconds of its timed region, measured where the work happens
 * (a worker engine times inside its worker). Adding an engine (kernels-gpu, a new peer) is
 * one more factory in ./engines/index.ts; the harness does not change.
 */
import type { Problem } from './problem';

export interface EngineInfo {
  /** Stable id used by --engines and in the JSON: 'convkit-reference', 'ort-node-2t'. */
  id: string;
  /** Human name for tables: 'onnxruntime-node (2 threads)'. */
  label: string;
  /** The npm package measured and its version. */
  library: string;
  version: string;
  /** Backend or execution provider: 'reference', 'wasm', 'cpu (native)'. */
  backend: string;
  threads: number;
  /** convkit's own engines; the others are the peers convkit is compared against. */
  convkit: boolean;
  /** The engine whose output is the truth every other engine is checked against. */
  oracle?: boolean;
}

/** One run of a prepared problem. */
export interface RunResult {
  /** Milliseconds of the timed region: from inputs already in the engine's memory and layout to the output in JS memory. */
  ms: number;
  /** With `keepOutput`: the output(s) flattened row-major in convkit's layout (NC[D]HW, PyTorch weight layout), concatenated. */
  output?: Float32Array;
}

export interface PreparedRun {
  /** Runs once. Converting the output for `keepOutput` happens after the timed region. */
  run(options?: { keepOutput?: boolean }): Promise<RunResult>;
  /** Frees sessions, tensors and buffers. */
  dispose(): Promise<void> | void;
  /** Facts worth printing next to the result (layout conversions, fallbacks). */
  notes?: readonly string[];
}

/** A config an engine cannot run, and why (shown as 'unsupported: <reason>'). */
export interface Unsupported {
  unsupported: string;
}

export interface Engine {
  info: EngineInfo;
  /** Loads the library. A throw marks every config of this engine unsupported, with the message. */
  init(): Promise<void>;
  /** Builds what `problem` needs, or says why it cannot. Untimed. */
  prepare(problem: Problem): Promise<PreparedRun | Unsupported>;
  /** Releases the library (worker threads, wasm instances). */
  close(): Promise<void>;
}

export function unsupported(reason: string): Unsupported {
  return { unsupported: reason };
}

export function isUnsupported(value: PreparedRun | Unsupported): value is Unsupported {
  return typeof (value as Unsupported).unsupported === 'string';
}

/** Concatenates outputs (backward: gradInput then gradWeight) into one flat array. */
export function concatOutputs(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Wall-clock milliseconds of `work`, awaited. */
export async function timeRun<T>(work: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}
