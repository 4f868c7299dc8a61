/**
 * layerGemm: the matrix product the layers' dense ops (Linear, matmul) run on, C[m x n] =
 * op(A)[m x k] * op(B)[k x n] on contiguous row-major Float32Arrays, op(X) = X or X^T.
 * Through the packed 4x8 WebAssembly GEMM (assembly/gemm-4x8.ts, via wasmGemm) when the
 * kernels are loaded; the transposes are strides of its packers, so no operand is copied
 * into another layout. Without WebAssembly, the TypeScript `gemm`. Before this a Linear ran
 * as a channels-last 1x1 convolution, whose layout conversions copy x, y and the gradients:
 * on 128 x 3136 -> 128 (the Fashion-MNIST hidden layer) the forward product went 3.5 -> 2.4
 * ms and the backward pass 8.1 -> 5.1 ms (min of 20, shared and loaded 2-core Xeon).
 */
import {
  ArgumentError,
  checkAllocationBytes,
  describeValue,
  optionBoolean,
  readOptions,
} from '@convkit/tensor';
import { arraysOverlap } from '../check-out-tensor';
import { gemm } from '../gemm';
import { wasmGemm } from './wasm-gemm';
import { wasmKernels } from './wasm-runtime';

export interface LayerGemmOptions {
  /** A holds op(A)^T: a k x m matrix (default false). */
  transA?: boolean;
  /** B holds op(B)^T: an n x k matrix (default false). */
  transB?: boolean;
  /**
   * Write C here (m * n floats, sharing no memory with a or b; its old values are never read)
   * and return it, instead of a fresh array: for callers that recycle their result buffers.
   */
  into?: Float32Array;
}

const OP = 'layerGemm';

/** Returns C (m x n, row-major) = op(A) op(B): a fresh array, or `options.into`. */
export function layerGemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  options?: LayerGemmOptions,
): Float32Array {
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new ArgumentError(`${OP}: ${name} must be a non-negative integer, got ${describeValue(v)}`);
    }
  }
  const opts = readOptions(OP, options, ['transA', 'transB', 'into']);
  const transA = optionBoolean(OP, 'transA', opts.transA, false);
  const transB = optionBoolean(OP, 'transB', opts.transB, false);
  for (const [name, v, size] of [
    ['a', a, m * k],
    ['b', b, k * n],
  ] as const) {
    if (!(v instanceof Float32Array) || v.length !== size) {
      throw new ArgumentError(
        `${OP}: ${name} must be a Float32Array of ${name === 'a' ? 'm * k' : 'k * n'} = ${size} values, got ${describeValue(v)}`,
      );
    }
  }
  const into = opts.into;
  if (into !== undefined) {
    if (!(into instanceof Float32Array) || into.length !== m * n) {
      throw new ArgumentError(
        `${OP}: options.into must be a Float32Array of m * n = ${m * n} values, got ${describeValue(into)}`,
      );
    }
    for (const [name, v] of [
      ['a', a],
      ['b', b],
    ] as const) {
      if (arraysOverlap(into, v)) {
        throw new ArgumentError(
          `${OP}: options.into must not share memory with ${name}, got a Float32Array that overlaps ${name}; pass a separate buffer`,
        );
      }
    }
  }
  const c = into ?? new Float32Array(checkAllocationBytes(OP, 'the product', m * n));
  if (m === 0 || n === 0 || k === 0) return into === undefined ? c : c.fill(0);
  const kernels = wasmKernels();
  if (kernels !== null) {
    wasmGemm(kernels, m, n, k, a, b, c, { transA, transB });
  } else {
    gemm(m, n, k, a, 0, transA ? m : k, b, 0, transB ? k : n, c, 0, n, { transA, transB });
  }
  return c;
}
