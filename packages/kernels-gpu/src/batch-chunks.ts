/**
 * batchChunks: how a forward op whose tensors are too large to bind whole runs in chunks of
 * samples. Every sample of an activation is contiguous in both layouts (N is the outer dim),
 * so a chunk of samples is a byte range of each tensor; a range is bound at an offset that
 * must be a multiple of the device's `minStorageBufferOffsetAlignment`, and must not exceed
 * `maxStorageBufferBindingSize`. Chunk starts are therefore multiples of the smallest sample
 * count whose bytes are aligned for every tensor. Pure, so it is tested without a GPU.
 */
import { ResourceError } from '@convkit/tensor';

/** [first sample, sample count] of each chunk, in order. */
export type BatchChunk = readonly [number, number];

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The chunks of `batch` samples, given the bytes one sample takes in each tensor the op binds
 * per sample. One chunk when everything fits; a ResourceError naming the op when not even one
 * aligned step of samples fits a binding.
 */
export function batchChunks(
  op: string,
  batch: number,
  sampleBytes: readonly (readonly [string, number])[],
  bindingLimit: number,
  alignment: number,
): BatchChunk[] {
  const largest = Math.max(...sampleBytes.map(([, bytes]) => bytes));
  if (batch === 0 || largest * batch <= bindingLimit) return [[0, batch]];
  // The smallest sample count whose byte size is a multiple of the alignment for every tensor.
  let step = 1;
  for (const [, bytes] of sampleBytes) {
    const need = alignment / gcd(alignment, bytes % alignment || alignment);
    step = (step * need) / gcd(step, need);
  }
  const fitting = Math.floor(bindingLimit / largest);
  const perChunk = Math.floor(fitting / step) * step;
  if (perChunk === 0) {
    const [name, bytes] = sampleBytes.find(([, b]) => b === largest)!;
    const need =
      step > 1 && bytes <= bindingLimit
        ? `chunks must hold a multiple of ${step} samples (binding offsets aligned to ${alignment} bytes), ${step * bytes} bytes of the ${name}`
        : `one sample of the ${name} takes ${bytes} bytes`;
    throw new ResourceError(
      `${op}: ${need}, above this GPU's storage binding limit of ${bindingLimit} bytes; use smaller inputs or the CPU kernels`,
    );
  }
  const chunks: BatchChunk[] = [];
  for (let start = 0; start < batch; start += perChunk)
    chunks.push([start, Math.min(perChunk, batch - start)]);
  return chunks;
}
