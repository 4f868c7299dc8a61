/**
 * Laying out one kernel call's working set in WebAssembly memory: `planHeap` places named
 * regions (sizes in bytes) one after another from HEAP_BASE, each 64-byte aligned (a cache
 * line: vector loads never split one), grows the memory once for the whole call (with a cache
 * line of slack after the last region), and returns their byte offsets. Views are made after the grow, so none is detached mid-call.
 */
import { reserveHeap, type WasmKernels } from './wasm-runtime';

const ALIGN = 64;

export function planHeap<Name extends string>(
  op: string,
  kernels: WasmKernels,
  regions: Record<Name, number>,
): Record<Name, number> {
  const offsets = {} as Record<Name, number>;
  let cursor = 0;
  for (const name of Object.keys(regions) as Name[]) {
    offsets[name] = cursor;
    cursor += Math.ceil(regions[name] / ALIGN) * ALIGN;
  }
  // One more cache line after the last region: a kernel's vector load that runs past the end
  // of a region (masked lanes, a row's tail) then reads memory that exists, never past the
  // end of the WebAssembly memory (a trap) when the plan happens to end on a page boundary.
  const base = reserveHeap(op, kernels, cursor + ALIGN);
  for (const name of Object.keys(offsets) as Name[]) offsets[name] += base;
  return offsets;
}

/** Copies `data` into memory at byte offset `at`. */
export function writeFloats(kernels: WasmKernels, at: number, data: Float32Array): void {
  new Float32Array(kernels.memory.buffer, at, data.length).set(data);
}

/**
 * A fresh copy of `length` floats at byte offset `at`. The typed-array copy constructor, not
 * `slice()`: V8 allocates the copy without zero-filling it first (an 800 KB result: 0.03 ms
 * against 0.05; 3.2 MB: 0.22 against 0.33, on the bench machine). With `into` (a caller's
 * buffer of `length` floats, outside WebAssembly memory) the floats are copied there
 * instead, and `into` is returned: no allocation.
 */
export function readFloats(
  kernels: WasmKernels,
  at: number,
  length: number,
  into?: Float32Array,
): Float32Array {
  const view = new Float32Array(kernels.memory.buffer, at, length);
  if (into === undefined) return new Float32Array(view);
  into.set(view);
  return into;
}

/** A view (not a copy) of `length` floats at byte offset `at`; valid until memory grows. */
export function viewFloats(kernels: WasmKernels, at: number, length: number): Float32Array {
  return new Float32Array(kernels.memory.buffer, at, length);
}

/** Floats of a 4 KiB page. */
const PAGE_FLOATS = 1024;

/**
 * Maps in the pages of `fresh`, a new zero-filled array (a fresh array's pages are mapped on
 * first touch, about 2.5 us a page on the 2-core VM), by writing a zero to each page. Written,
 * not read and written back: a read maps the shared zero page first, and replacing it on the
 * write makes the kernel flush the other threads' TLBs (an interrupt to each other core; on
 * the VM, with a worker running, 16 us a page instead of 2.5). A team's caller does this to
 * its result while the other threads compute, rather than in the copy after.
 */
export function mapFreshFloats(fresh: Float32Array): void {
  for (let i = 0; i < fresh.length; i += PAGE_FLOATS) fresh[i] = 0;
}
