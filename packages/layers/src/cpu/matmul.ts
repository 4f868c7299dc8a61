/**
 * Matrix products on the CPU through kernels-cpu's cache-blocked `gemm`: 2-D a @ b with
 * optional transposes, and the batched form over a leading dim.
 */
import { gemm } from '@convkit/kernels-cpu';
import { Tensor } from '@convkit/tensor';

/** op(a) @ op(b) for 2-D tensors, op = transpose when the flag is set. */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const ac = a.contiguous();
  const bc = b.contiguous();
  const [ar, acols] = ac.shape as [number, number];
  const [br, bcols] = bc.shape as [number, number];
  const m = transA ? acols : ar;
  const k = transA ? ar : acols;
  const n = transB ? br : bcols;
  const out = new Float32Array(m * n);
  gemm(m, n, k, ac.data, ac.offset, acols, bc.data, bc.offset, bcols, out, 0, n, { transA, transB });
  return new Tensor(out, [m, n]);
}

/** Batched op(a[i]) @ op(b[i]) over a leading batch dim ([B, m, k] x [B, k, n]). */
export function batchedMatmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const batch = a.shape[0]!;
  const parts: Float32Array[] = [];
  let shape: readonly number[] = [];
  for (let i = 0; i < batch; i++) {
    const y = matmul(a.slice(0, i, i + 1).squeeze(0), b.slice(0, i, i + 1).squeeze(0), transA, transB);
    parts.push(y.data);
    shape = y.shape;
  }
  const size = shape[0]! * shape[1]!;
  const out = new Float32Array(batch * size);
  for (let i = 0; i < batch; i++) out.set(parts[i]!, i * size);
  return new Tensor(out, [batch, ...shape]);
}
