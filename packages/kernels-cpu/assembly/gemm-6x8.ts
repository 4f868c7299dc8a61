/** Kept while in-flight kernels still import the old name; the GEMM lives in ./gemm-4x8. */
// @ts-nocheck: AssemblyScript source.
export * from './gemm-4x8';
