/**
 * StagingArenas: the shared memory a pooled call copies its workers' inputs into, and its
 * workers write their results into, kept from call to call. A fresh SharedArrayBuffer per call
 * costs more than the copies (its pages are mapped and zeroed on first touch, by the threads
 * that should be computing, and freed by the garbage collector later: an 800 KB result
 * written into a fresh one took 0.33 ms against 0.10 ms for an ordinary array), so a context
 * keeps a few arenas and hands each call one that is large enough; calls that run at the same
 * time get different arenas.
 */
import { contiguousStrides, type Tensor } from '@convkit/tensor';
import { describeShared, packInto, type SharedTensor } from './shared-tensor';

/** Whether the tensor's floats already live in shared memory (workers read them in place). */
export function isShared(tensor: Tensor): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && tensor.data.buffer instanceof SharedArrayBuffer;
}

/** One call's staging memory: tensors copied in row-major, one after another. */
export class StagingArena {
  readonly floats: Float32Array;
  private used = 0;
  private readonly staged = new Map<Tensor, SharedTensor>();

  constructor(readonly buffer: SharedArrayBuffer) {
    this.floats = new Float32Array(buffer);
  }

  /** The shared descriptor of `tensor`: itself when already shared, else a copy in this arena (once per tensor). */
  stage(tensor: Tensor): SharedTensor {
    if (isShared(tensor)) return describeShared(tensor);
    const known = this.staged.get(tensor);
    if (known) return known;
    const at = this.used;
    if (at + tensor.size > this.floats.length) {
      throw new RangeError(
        `StagingArena: ${tensor.size} floats do not fit (${this.floats.length - at} left)`,
      );
    }
    packInto(tensor, this.floats, at);
    this.used += tensor.size;
    const shape = [...tensor.shape];
    const shared = { buffer: this.buffer, shape, strides: contiguousStrides(shape), offset: at };
    this.staged.set(tensor, shared);
    return shared;
  }

  /** A region of `shape` for a worker to write a result into (row-major; its old values stay). */
  reserve(shape: readonly number[]): SharedTensor {
    const size = shape.reduce((a, b) => a * b, 1);
    const at = this.used;
    if (at + size > this.floats.length) {
      throw new RangeError(`StagingArena: ${size} floats do not fit (${this.floats.length - at} left)`);
    }
    this.used += size;
    return { buffer: this.buffer, shape: [...shape], strides: contiguousStrides(shape), offset: at };
  }

  /** Forgets what was staged (the next call writes over it). */
  reset(): void {
    this.used = 0;
    this.staged.clear();
  }
}

/** The floats `tensors` need in an arena as inputs: each distinct non-shared tensor once. */
export function stagingSize(tensors: Iterable<Tensor | null | undefined>): number {
  const seen = new Set<Tensor>();
  let floats = 0;
  for (const t of tensors) {
    if (!t || seen.has(t) || isShared(t)) continue;
    seen.add(t);
    floats += t.size;
  }
  return floats;
}

/** A context's free arenas: at most `keep` of them are kept between calls. */
export class StagingArenas {
  private readonly free: StagingArena[] = [];

  constructor(private readonly keep: number) {}

  /** An arena of at least `floats` floats: the smallest free one that fits, else a new one (the free ones, all too small, are dropped). */
  acquire(floats: number): StagingArena {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.floats.length;
      if (length >= floats && (best < 0 || length < this.free[best]!.floats.length)) best = i;
    }
    if (best >= 0) return this.free.splice(best, 1)[0]!;
    // Every free arena is too small for this call: drop them rather than keep one arena per
    // call size. Calls that run one after the other (a training step's forward pieces, then
    // its larger backward ones) then keep a single arena, the largest, where they kept one of
    // each; calls that overlap still get an arena each.
    this.free.length = 0;
    // Room to grow a little, so a call slightly larger than the last reuses this arena.
    const size = Math.max(1024, Math.ceil((floats * 1.25) / 1024) * 1024);
    return new StagingArena(new SharedArrayBuffer(size * 4));
  }

  /** Gives an arena back once no worker reads it any more; the smallest go when too many are kept. */
  release(arena: StagingArena): void {
    arena.reset();
    this.free.push(arena);
    if (this.free.length > this.keep) {
      this.free.sort((a, b) => b.floats.length - a.floats.length);
      this.free.length = this.keep;
    }
  }

  /** Drops every kept arena. */
  clear(): void {
    this.free.length = 0;
  }
}
