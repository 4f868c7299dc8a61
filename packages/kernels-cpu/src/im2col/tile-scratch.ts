/**
 * tileScratch: the column tile buffers of the im2col kernels. Creating a typed array costs
 * microseconds (V8 allocates its backing store outside the heap), which measured more than the
 * whole lowering and GEMM of a small convolution (a 576-float tile: 7 us to allocate, 2.4 us
 * to fill, 2.2 us to multiply). So buffers up to KEPT_BYTES are created once per slot, on
 * first use (the package stays free of import-time work), and handed out again by every
 * later call; larger tiles, whose work dwarfs the allocation, are allocated per call and
 * dropped with it, so at most 2 x KEPT_BYTES stay alive between calls. The kernels are
 * synchronous and a kernel uses a slot only while it runs, so a slot is never shared by two
 * live tiles; a kernel that needs two tiles at once (deformable backward) takes both slots.
 * The contents are garbage: every user writes the whole tile before reading it.
 */

/** Largest buffer kept between calls, per slot: 1 MiB (262144 floats). */
const KEPT_BYTES = 1 << 20;
const KEPT_LENGTH = KEPT_BYTES / Float32Array.BYTES_PER_ELEMENT;

const kept: [Float32Array | null, Float32Array | null] = [null, null];

/** A buffer of at least `length` floats for slot 0 or 1, with unspecified contents. */
export function tileScratch(slot: 0 | 1, length: number): Float32Array {
  if (length > KEPT_LENGTH) return new Float32Array(length);
  kept[slot] ??= new Float32Array(KEPT_LENGTH);
  return kept[slot];
}
