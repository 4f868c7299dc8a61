/**
 * Recycled memory for the CPU backend's gradients. A fresh Float32Array of activation size
 * costs its page faults on first write (about 3-5 ms for the 12.8 MB of a [128, 32, 28, 28]
 * gradient on the shared 2-core Xeon, as much as the ReLU backward that fills it), and a
 * training step makes the same gradients again every time. So the backward kernels of the
 * element-wise ops, batch norm and max pooling take their output from here
 * (`takeGradientBuffer`), and the autograd engine hands a gradient back through the backend's
 * `release` once it has been used and nothing else holds its memory (the engine checks the
 * other pending gradients and the ones the op returned). Only buffers this module handed out
 * are ever taken back, so a tensor a caller made is never recycled; a buffer is handed to one
 * taker at a time. The pool keeps at most MAX_POOLED_BYTES; beyond that the oldest buffers
 * are dropped to the garbage collector.
 */

/** What the pool may hold between uses (the backward gradients of a few large activations). */
export const MAX_POOLED_BYTES = 256 * 1024 * 1024;

/** Every buffer takeGradientBuffer handed out and not yet released (weakly: a lost one is collected). */
const issued = new WeakSet<ArrayBuffer>();
/** Released buffers, oldest first. */
const pooled: Float32Array[] = [];
let pooledBytes = 0;

/**
 * A Float32Array of `length` elements for a gradient: a recycled one or a fresh one. Its
 * contents are stale unless `zeroed` (then a recycled buffer is cleared; a fresh one is zeros).
 */
export function takeGradientBuffer(length: number, zeroed = false): Float32Array {
  for (let i = pooled.length - 1; i >= 0; i--) {
    const candidate = pooled[i]!;
    if (candidate.length === length) {
      pooled.splice(i, 1);
      pooledBytes -= candidate.byteLength;
      issued.add(candidate.buffer as ArrayBuffer);
      if (zeroed) candidate.fill(0);
      return candidate;
    }
  }
  const fresh = new Float32Array(length);
  issued.add(fresh.buffer as ArrayBuffer);
  return fresh;
}

/**
 * Gives a gradient's memory back: a no-op unless it is a whole buffer takeGradientBuffer
 * handed out. The caller promises nothing reads or writes it any more.
 */
export function releaseGradientBuffer(data: Float32Array): void {
  const buffer = data.buffer as ArrayBuffer;
  if (!issued.has(buffer) || data.byteOffset !== 0 || data.byteLength !== buffer.byteLength) return;
  issued.delete(buffer);
  pooled.push(data);
  pooledBytes += data.byteLength;
  while (pooledBytes > MAX_POOLED_BYTES && pooled.length > 0) {
    pooledBytes -= pooled.shift()!.byteLength;
  }
}

/** The bytes the pool holds now (tests). */
export function pooledGradientBytes(): number {
  return pooledBytes;
}
