/**
 * The layer ops' (batch norm, max pooling) pieces: a call runs over its activation in chunks
 * whose streams (the arrays it copies into WebAssembly memory, and the result it copies out
 * of there) fill at most LAYER_CHUNK_BYTES there, one chunk after another in the same place.
 * WebAssembly memory never shrinks, so an op that copied a whole [128, 32, 28, 28] activation
 * and its gradient in at once kept 25 MB that no later call needed; in chunks it keeps a
 * quarter of a MiB, and each chunk is still in the core's cache when the kernel reads it and
 * when its result is copied out. That is faster, although a two-pass op (statistics, then the
 * map) copies its input in again for the second pass when it took more than one chunk. On
 * [128, 32, 28, 28], the 4th best of 25 in one process on the 2-core Xeon (AVX-512), whole ->
 * 1 MiB -> 256 KiB chunks: batch-norm forward 3.23 -> 3.05 -> 2.69 ms, backward 4.91 -> 4.78
 * -> 4.14, max pooling 2.59 -> 2.06 -> 1.90, its backward 2.40 -> 1.75 -> 1.52
 * (4 MiB chunks, larger than the core's L2, were slower than one piece).
 *
 * A chunk is whole samples of [batch, channels, inner] when one sample fits, else a run of
 * one sample's channels (a single plane when even one channel does not fit): the kernels'
 * order over (n, c) is unchanged, so per-channel sums that accumulate across chunks add the
 * same values in the same order, and the results are the bits of one call over everything.
 */

/** What the streams of one chunk may fill in WebAssembly memory. */
export const LAYER_CHUNK_BYTES = 256 * 1024;

let chunkBytes = LAYER_CHUNK_BYTES;

/** Tests: a smaller budget, so small tensors run in many chunks (null restores the default). */
export function setLayerChunkBytesForTest(bytes: number | null): void {
  chunkBytes = bytes ?? LAYER_CHUNK_BYTES;
}

export interface LayerChunk {
  /** The chunk's first element in the [batch, channels, inner] array, and its element count. */
  offset: number;
  length: number;
  /** Samples in the chunk (1 when it is a run of channels), and its first channel and channel count. */
  batch: number;
  channel: number;
  channels: number;
}

/**
 * The chunks of a [batch, channels, inner] array whose streams take `bytesPerElement` bytes of
 * WebAssembly memory per element (4 per float copied in or out), in the kernels' order.
 */
export function layerChunks(
  batch: number,
  channels: number,
  inner: number,
  bytesPerElement: number,
): LayerChunk[] {
  const sample = channels * inner;
  if (batch === 0 || sample === 0) return [];
  const fit = Math.floor(chunkBytes / bytesPerElement);
  const chunks: LayerChunk[] = [];
  if (sample <= fit) {
    const perChunk = Math.min(batch, Math.floor(fit / sample));
    for (let n = 0; n < batch; n += perChunk) {
      const samples = Math.min(perChunk, batch - n);
      chunks.push({ offset: n * sample, length: samples * sample, batch: samples, channel: 0, channels });
    }
    return chunks;
  }
  const perChunk = Math.max(1, Math.floor(fit / inner));
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c += perChunk) {
      const count = Math.min(perChunk, channels - c);
      chunks.push({
        offset: n * sample + c * inner,
        length: count * inner,
        batch: 1,
        channel: c,
        channels: count,
      });
    }
  }
  return chunks;
}

/** The longest chunk's element count (what a stream's region must hold). */
export function longestChunk(chunks: readonly LayerChunk[]): number {
  let longest = 0;
  for (const chunk of chunks) longest = Math.max(longest, chunk.length);
  return longest;
}
