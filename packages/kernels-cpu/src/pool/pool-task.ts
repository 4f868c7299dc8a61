/**
 * One piece of a pooled call: an op of this package, its tensor arguments and tensor-valued
 * options (bias, mask), its other options as they are, and for each result the view of the
 * call's result it is written into. The caller runs one piece itself (`runPiece`, on its own
 * tensors); each other piece crosses to a worker as a `PoolTask`, whose tensors are
 * shared-memory descriptors (its results: regions the caller copies into the call's result),
 * and the worker runs it with `runPoolTask`.
 */
import type { Tensor } from '@convkit/tensor';
import { conv, convInto } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import { initWasmSync, type WasmBuild, wasmInfo } from '../wasm/wasm-runtime';
import { reviveError, type SerializedError, serializeError } from './pool-errors';
import { copyInto, fromShared, type SharedTensor } from './shared-tensor';

export type PoolOp =
  | 'conv'
  | 'convTranspose'
  | 'deformConv'
  | 'convBackward'
  /** convBackward with `{ inputGradient: false }`: the weight and bias gradients only. */
  | 'convBackwardWeight'
  | 'convTransposeBackward'
  | 'deformConvBackward';

/** A piece on the caller's side: tensors in any memory. */
export interface PoolPiece {
  op: PoolOp;
  args: Tensor[];
  options: Record<string, unknown>;
  tensorOptions: Record<string, Tensor | null>;
  outputs: Record<string, Tensor>;
}

export interface PoolTask {
  op: PoolOp;
  /** The WebAssembly build the caller runs (null: none loaded): the worker runs the same one. */
  build: WasmBuild | null;
  /** Positional tensor arguments, in the op's order. */
  args: SharedTensor[];
  /** Options; tensor-valued ones (bias, mask) are descriptors under `tensorOptions`. */
  options: Record<string, unknown>;
  tensorOptions: Record<string, SharedTensor | null>;
  /** Result name ('output', 'gradInput', 'gradWeight', ...) -> the view it is written into. */
  outputs: Record<string, SharedTensor>;
  /**
   * The piece's claim word (Int32, 0: unclaimed) in the call's claim words (`claimWords`): the
   * worker runs the piece only if it swaps the 0 for 1 (`CLAIMED_BY_WORKER`), and stores (and
   * notifies) 3 (`DONE_BY_WORKER`) once its results are written, or 4 (`FAILED_BY_WORKER`) once
   * its error is written into the piece's error slot (so that a caller blocked on the word, which
   * gets no messages, can throw it); the caller takes pieces no worker has started by swapping
   * in 2 (`CLAIMED_BY_CALLER`), and then the worker leaves the piece alone.
   */
  claim: { buffer: SharedArrayBuffer; index: number } | null;
}

export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_CALLER = 2;
export const DONE_BY_WORKER = 3;
export const FAILED_BY_WORKER = 4;

/** Int32 words of a piece's error slot: a length word, then UTF-16 units of `kind\nmessage`, two a word. */
const ERROR_WORDS = 128;

/** The claim words of a call of `pieces` pieces: one word each, then one error slot each. */
export function claimWords(pieces: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * pieces * (1 + ERROR_WORDS)));
}

/** Writes a worker's error into the piece's slot (its message cut to the slot's size). */
function writeTaskError(words: Int32Array, index: number, error: SerializedError): void {
  const pieces = words.length / (1 + ERROR_WORDS);
  const start = pieces + index * ERROR_WORDS;
  const text = `${error.kind}\n${error.message}`.slice(0, 2 * (ERROR_WORDS - 1));
  const units = new Uint16Array(words.buffer, 4 * (start + 1), 2 * (ERROR_WORDS - 1));
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  words[start] = text.length;
}

/** The error a worker wrote for a piece marked `FAILED_BY_WORKER`, revived as its convkit class. */
export function readTaskError(words: Int32Array, index: number): Error {
  const pieces = words.length / (1 + ERROR_WORDS);
  const start = pieces + index * ERROR_WORDS;
  const units = new Uint16Array(words.buffer, 4 * (start + 1), Atomics.load(words, start));
  const text = String.fromCharCode(...units);
  const cut = text.indexOf('\n');
  return reviveError({ kind: text.slice(0, cut), message: text.slice(cut + 1) });
}

/** Runs the piece's op synchronously and writes its results into their views. */
export function runPiece(piece: PoolPiece): void {
  const options: Record<string, unknown> = { ...piece.options, ...piece.tensorOptions };
  const results = callOp(piece.op, piece.args, options, piece.outputs);
  for (const [name, target] of Object.entries(piece.outputs)) {
    const value = results[name];
    if (value && value !== target) copyInto(value, target);
  }
}

/**
 * What a worker does with a task: claims it (false: the caller took it, nothing to do), loads
 * the caller's WebAssembly build, runs the piece on shared views, and marks it done (or
 * failed, its error in the piece's error slot, and throws the error).
 */
export function runPoolTask(task: PoolTask): boolean {
  const words = task.claim ? new Int32Array(task.claim.buffer) : null;
  if (words && Atomics.compareExchange(words, task.claim!.index, 0, CLAIMED_BY_WORKER) !== 0) return false;
  const tensorOptions: Record<string, Tensor | null> = {};
  for (const [name, shared] of Object.entries(task.tensorOptions))
    tensorOptions[name] = shared ? fromShared(shared) : null;
  const outputs: Record<string, Tensor> = {};
  for (const [name, shared] of Object.entries(task.outputs)) outputs[name] = fromShared(shared);
  try {
    if (task.build !== null && wasmInfo().build !== task.build) initWasmSync({ build: task.build });
    runPiece({ op: task.op, args: task.args.map(fromShared), options: task.options, tensorOptions, outputs });
  } catch (error) {
    if (words) {
      writeTaskError(words, task.claim!.index, serializeError(error));
      Atomics.store(words, task.claim!.index, FAILED_BY_WORKER);
      Atomics.notify(words, task.claim!.index);
    }
    throw error;
  }
  if (words) {
    Atomics.store(words, task.claim!.index, DONE_BY_WORKER);
    Atomics.notify(words, task.claim!.index);
  }
  return true;
}

/**
 * Runs the piece's op. A contiguous view for the output of conv or the input gradient of
 * convBackward (a batch slice, a block of channels of one sample, a worker's region of the
 * arena) gets it written in place (convInto, inputGradientInto: the same bits, no fresh result
 * to copy); the other results come back fresh, for runPiece to copy into their views.
 */
function callOp(
  op: PoolOp,
  args: Tensor[],
  options: Record<string, unknown>,
  outputs: Record<string, Tensor>,
): Record<string, Tensor | null> {
  const [a, b, c, d] = args as [Tensor, Tensor, Tensor, Tensor];
  const output = outputs.output?.isContiguous ? outputs.output : undefined;
  const gradInput = outputs.gradInput?.isContiguous ? outputs.gradInput : undefined;
  switch (op) {
    case 'conv':
      return { output: output ? convInto(output, a, b, options) : conv(a, b, options) };
    case 'convTranspose':
      return { output: convTranspose(a, b, options) };
    case 'deformConv':
      return { output: deformConv(a, b, c, options) };
    case 'convBackward':
      return { ...convBackward(a, b, c, options, gradInput ? { inputGradientInto: gradInput } : {}) };
    case 'convBackwardWeight':
      return { ...convBackward(a, b, c, options, { inputGradient: false }) };
    case 'convTransposeBackward':
      return { ...convTransposeBackward(a, b, c, options) };
    case 'deformConvBackward':
      return { ...deformConvBackward(a, b, c, d, options) };
  }
}
