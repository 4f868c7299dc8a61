/**
 * wasmGemm: the packed 4x8 WebAssembly GEMM (assembly/gemm-4x8.ts) on Float32Arrays, with the
 * row-major BLAS contract of the TypeScript `gemm`: C = op(A) * op(B) (+ C when beta = 1).
 * Used by the tests (against gemmReference) and by kernels that form their own operands.
 */
import { ArgumentError } from '@convkit/tensor';
import { planHeap, viewFloats, writeFloats } from './wasm-heap';
import type { WasmKernels } from './wasm-runtime';

export interface WasmGemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** 0 (overwrite C) or 1 (add to C). */
  beta?: 0 | 1;
}

/** C[m x n] (ldc = n) = op(A)[m x k] * op(B)[k x n] (+ C); A, B, C contiguous row-major. */
export function wasmGemm(
  kernels: WasmKernels,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  options: WasmGemmOptions = {},
): void {
  if (a.length < m * k || b.length < k * n || c.length < m * n) {
    throw new ArgumentError(`wasmGemm: buffers too short for m=${m}, n=${n}, k=${k}`);
  }
  const workBytes = (kernels.exports.GEMM_WORK_BYTES.value as number) >>> 0;
  const heap = planHeap('wasmGemm', kernels, { a: m * k * 4, b: k * n * 4, c: m * n * 4, work: workBytes });
  writeFloats(kernels, heap.a, a.subarray(0, m * k));
  writeFloats(kernels, heap.b, b.subarray(0, k * n));
  const beta = options.beta ?? 0;
  if (beta === 1) writeFloats(kernels, heap.c, c.subarray(0, m * n));
  const [rsa, csa] = options.transA ? [1, m] : [k, 1];
  const [rsb, csb] = options.transB ? [1, k] : [n, 1];
  kernels.exports.sgemm(m, n, k, heap.a, rsa, csa, heap.b, rsb, csb, heap.c, n, beta, heap.work);
  c.set(viewFloats(kernels, heap.c, m * n));
}
