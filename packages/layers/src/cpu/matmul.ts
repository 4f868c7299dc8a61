/** The matrix product on the CPU through kernels-cpu's cache-blocked `gemm`: 2-D a @ b with optional transposes. */
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
