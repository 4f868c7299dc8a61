/**
 * Recycled memory for the CPU backend's activations and gradients. A fresh Float32Array of
 * activation size costs its page faults on first write (about 3-5 ms for the 12.8 MB of a
 * [128, 32, 28, 28] tensor on the shared 2-core Xeon, as much as the ReLU that fills it), and
 * a training step makes the same sizes again every time. So the kernels of the element-wise
 * ops, batch norm and max pooling take their output from here (`takeBuffer`), and the autograd
 * engine hands memory back through the backend's `release` once it is provably unused: a
 * gradient after its op's backward when nothing pending shares it, and a value a Sequential
 * keeps to itself after its own backward (see autograd/private-values.ts). Only buffers this
 * module handed out are ever taken back, so a tensor a caller made is never recycled, and a
 * buffer goes to one taker at a time. A take is served by a pooled buffer of its length, else
 * by the smallest one up to MAX_SLACK times as long (handed out as a view of its start): the
 * shorter last batch of an epoch then runs in the buffers of the full ones instead of making
 * a second set beside them. A pooled buffer that MAX_IDLE_TAKES takes in a row have passed
 * over (a size the loop no longer makes) is left to the garbage collector, and the pool never
 * holds more than MAX_POOLED_BYTES (the oldest go first).
 */

/** What the pool may hold between uses (the values and gradients of a few large activations). */
export const MAX_POOLED_BYTES = 256 * 1024 * 1024;

/**
 * How many takes a pooled buffer may sit through unused. A training step of a small CNN
 * takes 10 to 20 buffers and reuses each within the step or the next one.
 */
export const MAX_IDLE_TAKES = 64;

/**
 * How much longer than a take a pooled buffer that serves it may be. Twice covers a last batch
 * of more than half a full one; a much shorter take gets a buffer of its own (a small one)
 * rather than holding a large one that a full-size take may need next.
 */
export const MAX_SLACK = 2;

/**
 * Every buffer takeBuffer handed out and not released since, with the length it was handed
 * out at (weakly: a lost one is collected).
 */
const issued = new WeakMap<ArrayBuffer, number>();
/** Released buffers (whole), oldest first, with the take count when each was released. */
const pool: Float32Array[] = [];
const releasedAt: number[] = [];
let poolBytes = 0;
let takes = 0;

function dropOldest(): void {
  poolBytes -= pool.shift()!.byteLength;
  releasedAt.shift();
}

/** The pooled buffer that serves a take of `length`: one of that length, else the shortest that fits. */
function bestFit(length: number): number {
  let best = -1;
  for (let i = pool.length - 1; i >= 0; i--) {
    const capacity = pool[i]!.length;
    if (capacity === length) return i;
    if (capacity > length && capacity <= MAX_SLACK * length && (best < 0 || capacity < pool[best]!.length))
      best = i;
  }
  return best;
}

/**
 * A Float32Array of `length` elements: a recycled one (or the start of one) or a fresh one.
 * Its contents are stale (the caller writes every element) unless `zeroed`: then a recycled
 * buffer is cleared.
 */
export function takeBuffer(length: number, zeroed = false): Float32Array {
  takes++;
  while (pool.length > 0 && takes - releasedAt[0]! > MAX_IDLE_TAKES) dropOldest();
  const i = bestFit(length);
  if (i >= 0) {
    const whole = pool[i]!;
    pool.splice(i, 1);
    releasedAt.splice(i, 1);
    poolBytes -= whole.byteLength;
    issued.set(whole.buffer as ArrayBuffer, length);
    const taken = whole.length === length ? whole : whole.subarray(0, length);
    if (zeroed) taken.fill(0);
    return taken;
  }
  const fresh = new Float32Array(length);
  issued.set(fresh.buffer as ArrayBuffer, length);
  return fresh;
}

/**
 * Gives memory back: a no-op unless `data` is what takeBuffer handed out (from the start of
 * its buffer, at the length it was handed out at) and not released since. The caller
 * promises nothing reads or writes it any more.
 */
export function releaseBuffer(data: Float32Array): void {
  const buffer = data.buffer as ArrayBuffer;
  if (issued.get(buffer) !== data.length || data.byteOffset !== 0) return;
  issued.delete(buffer);
  const whole = data.byteLength === buffer.byteLength ? data : new Float32Array(buffer);
  pool.push(whole);
  releasedAt.push(takes);
  poolBytes += whole.byteLength;
  while (poolBytes > MAX_POOLED_BYTES && pool.length > 0) dropOldest();
}

/**
 * An Int32Array of `length` elements over a buffer of the pool (max pooling's argmax: the
 * same bytes as the float values of its output, so the two share sizes), stale contents.
 */
export function takeIndices(length: number): Int32Array {
  const floats = takeBuffer(length);
  return new Int32Array(floats.buffer, 0, length);
}

/** Gives back an Int32Array takeIndices handed out (whole); a no-op for any other. */
export function releaseIndices(indices: Int32Array): void {
  releaseBuffer(new Float32Array(indices.buffer, indices.byteOffset, indices.length));
}

/** The bytes the pool holds now (tests). */
export function pooledBytes(): number {
  return poolBytes;
}
