/**
 * Index kernels: embedding lookup (rows of a table by integer ids) and its scatter-add
 * adjoint, and the pick of one entry per row (the negative log-likelihood's gather) with its
 * scatter. Ids arrive as float32 values holding integers, checked by the caller.
 */
import { shapeSize, Tensor } from '@convkit/tensor';

/** table [V, D] and ids [...] -> [..., D]. */
export function embeddingLookup(table: Tensor, ids: Tensor): Tensor {
  const t = table.contiguous().data;
  const id = ids.contiguous().data;
  const D = table.shape[1]!;
  const y = new Float32Array(id.length * D);
  for (let i = 0; i < id.length; i++) y.set(t.subarray(id[i]! * D, id[i]! * D + D), i * D);
  return new Tensor(y, [...ids.shape, D]);
}

/** The gradient of the table: rows of gy added at their ids. */
export function embeddingBackward(gradOutput: Tensor, ids: Tensor, tableShape: readonly number[]): Tensor {
  const g = gradOutput.contiguous().data;
  const id = ids.contiguous().data;
  const D = tableShape[1]!;
  const gt = new Float32Array(shapeSize(tableShape));
  for (let i = 0; i < id.length; i++) {
    const row = id[i]! * D;
    for (let j = 0; j < D; j++) gt[row + j] += g[i * D + j]!;
  }
  return new Tensor(gt, tableShape);
}
