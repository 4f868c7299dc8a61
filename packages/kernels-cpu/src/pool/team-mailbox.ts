/**
 * A team worker's mailbox: one SharedArrayBuffer per worker, made once (when the worker
 * starts), through which the caller hands it a team call's work (../wasm/wasm-runtime.ts
 * WasmTeam) with no message: the part's export calls encoded as numbers, a state word the two
 * sides swap, and an error slot. A posted message costs about 0.2 ms on the 2-core VM (a fresh
 * shared buffer of claim words, the structured clone, the receiving side's event loop); a
 * mailbox write and a notify on the worker's doorbell cost microseconds.
 *
 * States (word STATE): EMPTY -> POSTED (caller) -> RUNNING (worker, by compare-and-swap) ->
 * DONE or FAILED (worker, notified); or POSTED -> TAKEN (caller, by compare-and-swap: the
 * worker had not started it, so the caller runs it). Word AWAKE is 1 while the worker is in
 * its doorbell loop (it looks at the mailbox whenever the doorbell rings), 0 once it went back
 * to its event loop (then only a message wakes it).
 */
import type { WasmCall } from '../wasm/wasm-runtime';
import { reviveError, type SerializedError } from './pool-errors';

export const EMPTY = 0;
export const POSTED = 1;
export const RUNNING = 2;
export const TAKEN = 3;
export const DONE = 4;
export const FAILED = 5;

const STATE = 0;
const AWAKE = 1;
/** Int32 words: the state, the awake flag, the error's length, then the error's UTF-16 units. */
const HEADER_WORDS = 4;
const ERROR_UNITS = 256;
const CALLS_AT = HEADER_WORDS * 4 + ERROR_UNITS * 2;
/**
 * Floats of encoded calls a mailbox holds (1 MiB: a 128-sample batch in six runs of samples,
 * 32 groups each, takes about 60,000). Work that does not fit runs on the caller alone.
 */
const CALL_VALUES = 1 << 17;

/** The export names a part may call: its code in the mailbox is the index here. */
export const TEAM_EXPORTS = [
  'winogradConv',
  'winogradWeightGradAccumulate',
  'implicitPad',
  'implicitProduct',
  'loweredProduct',
] as const;

/**
 * A team call's work: chunks, each a list of export calls, that the members claim one at a
 * time from a shared word (an Int32 at byte `counterAt` of the shared memory) until none is
 * left, so a member that starts late or runs slower takes fewer. The caller claims from the
 * front, the workers from the back: each thread's chunks are neighbours, so the threads do not
 * write the same cache lines at their blocks' edges at the same time, and each reuses the input
 * rows its previous chunk read (claimed alternately, c3x3's blocks ran 1.5x slower on both
 * threads).
 */
export interface TeamWork {
  chunks: readonly (readonly WasmCall[])[];
  counterAt: number;
  /** Where the member's scratch region starts (its `{ inThread }` arguments are offsets from it). */
  scratch: number;
}

/** The most chunks a team call may have (the claim word holds both ends in 16 bits each). */
export const MAX_CHUNKS = 0xffff;

/** The claim word of `count` chunks, none claimed: front 0, back `count`. */
export function claimWord(count: number): number {
  return count << 16;
}

/**
 * Claims and runs chunks (from the front, or `fromBack`) until none is left; `words` is the
 * shared memory's Int32 view, the claim word at byte `counterAt`.
 */
export function pullChunks(
  words: Int32Array,
  counterAt: number,
  fromBack: boolean,
  run: (chunk: number) => void,
): void {
  const at = counterAt >> 2;
  for (;;) {
    const word = Atomics.load(words, at);
    const front = word & 0xffff;
    const back = word >>> 16;
    if (front >= back) return;
    const claimed = fromBack ? front | ((back - 1) << 16) : front + 1 + (back << 16);
    if (Atomics.compareExchange(words, at, word, claimed) !== word) continue;
    run(fromBack ? back - 1 : front);
  }
}

/** A mailbox over its shared buffer (either side makes one from the buffer). */
export class TeamMailbox {
  readonly words: Int32Array;
  private readonly units: Uint16Array;
  private readonly values: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(CALLS_AT + CALL_VALUES * 8)) {
    this.words = new Int32Array(buffer, 0, HEADER_WORDS);
    this.units = new Uint16Array(buffer, HEADER_WORDS * 4, ERROR_UNITS);
    this.values = new Float64Array(buffer, CALLS_AT, CALL_VALUES);
  }

  /** Whether `work` fits a mailbox and names only team exports. */
  static fits(work: Omit<TeamWork, 'scratch'>): boolean {
    if (work.chunks.length > MAX_CHUNKS) return false;
    let values = 3 + work.chunks.length;
    for (const chunk of work.chunks) {
      values += 1;
      for (const [name, ...args] of chunk) {
        if (!(TEAM_EXPORTS as readonly string[]).includes(name) || args.length > 31) return false;
        values += 3 + args.length;
      }
    }
    return values <= CALL_VALUES;
  }

  get state(): number {
    return Atomics.load(this.words, STATE);
  }

  /**
   * Caller: writes the work and posts it (the mailbox must be EMPTY; `fits` must hold).
   * Layout: counterAt, the chunk count, the scratch base, each chunk's start; then per chunk
   * its calls (export code, argument count, a bit mask of the `{ inThread }` arguments, the
   * arguments) and -1.
   */
  post(work: TeamWork): void {
    const v = this.values;
    v[0] = work.counterAt;
    v[1] = work.chunks.length;
    v[2] = work.scratch;
    let at = 3 + work.chunks.length;
    work.chunks.forEach((chunk, c) => {
      v[3 + c] = at;
      for (const [name, ...args] of chunk) {
        v[at++] = (TEAM_EXPORTS as readonly string[]).indexOf(name);
        v[at++] = args.length;
        const maskAt = at++;
        let mask = 0;
        args.forEach((arg, i) => {
          if (typeof arg === 'number') v[at++] = arg;
          else {
            mask |= 1 << i;
            v[at++] = arg.inThread;
          }
        });
        v[maskAt] = mask;
      }
      v[at++] = -1;
    });
    Atomics.store(this.words, STATE, POSTED);
  }

  /** Caller: takes back a part no worker has started (true: the caller runs it now). */
  takeBack(): boolean {
    return Atomics.compareExchange(this.words, STATE, POSTED, TAKEN) === POSTED;
  }

  /** Caller: waits up to `ms` for a RUNNING part to end; returns the state then. */
  wait(ms: number): number {
    Atomics.wait(this.words, STATE, RUNNING, ms);
    return this.state;
  }

  /** Caller: the error of a FAILED part, revived as its convkit class. */
  error(): Error {
    const length = Atomics.load(this.words, 2);
    const text = String.fromCharCode(...this.units.subarray(0, length));
    const cut = text.indexOf('\n');
    return reviveError({ kind: text.slice(0, cut), message: text.slice(cut + 1) });
  }

  /** Caller: ready for the next part. */
  clear(): void {
    Atomics.store(this.words, STATE, EMPTY);
  }

  /** Whether the worker is in its doorbell loop (see the module comment). */
  get awake(): boolean {
    return Atomics.load(this.words, AWAKE) === 1;
  }

  /** Worker: sets the awake flag. */
  setAwake(on: boolean): void {
    Atomics.store(this.words, AWAKE, on ? 1 : 0);
  }

  /**
   * Worker: runs a posted part if there is one (claimed by compare-and-swap), with `run`
   * making each call; marks it DONE, or FAILED with the error in the slot, and notifies.
   * Returns whether it ran one.
   */
  serve(
    counter: () => Int32Array,
    run: (name: string, args: number[]) => void,
    serialize: (error: unknown) => SerializedError,
  ): boolean {
    if (Atomics.compareExchange(this.words, STATE, POSTED, RUNNING) !== POSTED) return false;
    const v = this.values;
    try {
      const scratch = v[2]!;
      pullChunks(counter(), v[0]!, true, (chunk) => {
        for (let at = v[3 + chunk]!; v[at]! >= 0; ) {
          const name = TEAM_EXPORTS[v[at++]!]!;
          const count = v[at++]!;
          const mask = v[at++]!;
          const args: number[] = [];
          for (let i = 0; i < count; i++) args.push(v[at++]! + ((mask >> i) & 1 ? scratch : 0));
          run(name, args);
        }
      });
      Atomics.store(this.words, STATE, DONE);
    } catch (error) {
      const { kind, message } = serialize(error);
      const text = `${kind}\n${message}`.slice(0, ERROR_UNITS);
      for (let i = 0; i < text.length; i++) this.units[i] = text.charCodeAt(i);
      Atomics.store(this.words, 2, text.length);
      Atomics.store(this.words, STATE, FAILED);
    }
    Atomics.notify(this.words, STATE);
    return true;
  }
}
