/**
 * The WebAssembly kernels of @convkit/kernels-cpu, compiled twice by scripts/build-wasm.mjs
 * (SIMD 128, and SIMD 128 + relaxed SIMD) and inlined into src/wasm/generated/. Every export
 * takes byte pointers into the imported memory and element counts; the TypeScript side
 * (src/wasm/) owns the memory layout and never lets a kernel allocate.
 */
// @ts-nocheck: AssemblyScript source.
export { GEMM_WORK_BYTES, sgemm } from './gemm-6x8';
export { columnCorrelation, foldedProduct, KTAB_ENTRY_BYTES, loweredProduct, PARAMS } from './im2col-gemm';
export { peakLoop } from './peak';
