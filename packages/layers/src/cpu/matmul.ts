/**
 * The matrix product on the CPU through kernels-cpu's `layerGemm` (the WebAssembly GEMM where
 * loaded): 2-D a @ b with optional transposes, the product in a recycled buffer.
 */
import { layerGemm } from '@convkit/kernels-cpu';
import { Tensor } from '@convkit/tensor';
import { flatValues } from './flat-values';
import { takeBuffer } from './recycled-buffers';

/** op(a) @ op(b) for 2-D tensors, op = transpose when the flag is set. */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const [ar, acols] = a.shape as [number, number];
  const [br, bcols] = b.shape as [number, number];
  const m = transA ? acols : ar;
  const k = transA ? ar : acols;
  const n = transB ? br : bcols;
  const product = layerGemm(m, n, k, flatValues(a), flatValues(b), {
    transA,
    transB,
    into: takeBuffer(m * n),
  });
  return new Tensor(product, [m, n]);
}
