// What the pool worker's build (dist/cpu-worker.js) has in place of ./generated/kernels-wasm.ts
// (tsup.config.ts swaps the module): no binaries. A worker instantiates the compiled modules
// its caller posts it (WebAssembly.Module objects), so a bundler that copies the worker file
// (Vite, webpack) does not ship the kernels' base64 twice to the browser.

/** Marks the build without binaries. */
export const WASM_SOURCE_HASH = 'none';
export const SIMD_WASM_BASE64 = '';
export const RELAXED_SIMD_WASM_BASE64 = '';
