/**
 * sampleChunks: the chunks of samples a forward op runs in (one chunk when its tensors can be
 * bound whole; see ../batch-chunks), each with the geometry of its chunk (the same problem
 * with `batch` samples: every program reads the batch from the geometry, nothing else changes).
 */
import type { ConvGeometry } from '@convkit/tensor';
import { type BatchChunk, batchChunks } from '../batch-chunks';
import type { GpuContext } from '../gpu-context';

export interface SampleChunk {
  readonly start: number;
  readonly count: number;
  readonly geometry: ConvGeometry;
}

export function sampleChunks(
  ctx: GpuContext,
  op: string,
  geometry: ConvGeometry,
  sampleBytes: readonly (readonly [string, number])[],
): SampleChunk[] {
  const chunks: BatchChunk[] = batchChunks(
    op,
    geometry.batch,
    sampleBytes,
    ctx.limits.maxStorageBufferBindingSize,
    ctx.limits.minStorageBufferOffsetAlignment,
  );
  return chunks.map(([start, count]) => ({
    start,
    count,
    geometry: chunks.length === 1 ? geometry : Object.freeze({ ...geometry, batch: count }),
  }));
}
