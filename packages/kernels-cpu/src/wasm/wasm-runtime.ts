/**
 * The WebAssembly runtime of the CPU package: which build runs, its one instance, and its
 * memory. Two builds of the same kernels ship inlined (./generated/kernels-wasm.ts): SIMD 128,
 * and SIMD 128 + relaxed SIMD (a fused multiply-add). At load the relaxed build is used when
 * `WebAssembly.validate` accepts it (Chrome >= 114, Firefox >= 146, Node >= 22; Node 20 with
 * --experimental-wasm-relaxed-simd), else the plain one, else none: then 'auto' runs the
 * TypeScript kernels. Nothing here changes an engine flag.
 *
 * The ops are synchronous. Where the engine compiles synchronously (Node, workers) the module
 * is compiled on first use; a browser's main thread refuses to compile a large module
 * synchronously, so pages call `await initWasm()` once (before that, 'auto' runs TypeScript).
 *
 * Memory: one `WebAssembly.Memory` per instance, reused by every call. A kernel call asks
 * `reserve(bytes)` for its whole working set (inputs, outputs, scratch), which grows the memory
 * to the call's high-water mark and never shrinks it, so repeated calls of one shape allocate
 * nothing and memory stays flat. The first 64 KiB are the kernels' own (parameter blocks).
 */
import { ArgumentError, checkAllocationBytes, ResourceError, UnsupportedError } from '@convkit/tensor';
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from './generated/kernels-wasm';

/*
 * The slice of the WebAssembly JS API this package uses, typed here so that the package needs
 * neither the DOM lib nor a global declaration that could clash with a user's.
 */
/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
/** A WasmGlobal (the kernels export their constants as i32 globals). */
export interface WasmGlobal {
  readonly value: unknown;
}
type WasmModule = object;
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
}
const webAssembly = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** The two builds: plain SIMD 128, and SIMD 128 with relaxed SIMD. */
export type WasmBuild = 'simd' | 'relaxed-simd';

/** The raw exports of the kernel module (pointers are byte offsets, counts are elements). */
export interface WasmExports {
  sgemm(
    m: number,
    n: number,
    k: number,
    a: number,
    rsa: number,
    csa: number,
    b: number,
    rsb: number,
    csb: number,
    c: number,
    ldc: number,
    accumulate: number,
    work: number,
  ): void;
  peakLoop(iterations: number, seed: number): number;
  readonly GEMM_WORK_BYTES: WasmGlobal;
  readonly [name: string]: unknown;
}

/** One instantiated build with its memory. */
export interface WasmKernels {
  readonly build: WasmBuild;
  readonly exports: WasmExports;
  readonly memory: WasmMemory;
}

/**
 * An argument of a kernel export call: a number, or `{ inThread: offset }`, a byte offset
 * inside the scratch region of the thread that makes the call (a team's chunks run on any
 * thread, each with its own scratch; see WasmTeam).
 */
export type WasmArg = number | { readonly inThread: number };
/** One call of a kernel export: its name, then its arguments. */
export type WasmCall = readonly [name: string, ...args: WasmArg[]];

/**
 * Threads that share one WebAssembly memory, each with its own instance of the kernels on it
 * (a CPU context's pool, ../pool/wasm-team.ts). `run(chunks, callerFirst)` runs every chunk
 * (its calls in order) exactly once, on whichever thread pulls it first, and returns when all
 * are done (or throws the first error); the caller runs `callerFirst` before it pulls any (work
 * only the caller can do, such as mapping in the pages of the result it will copy into). A
 * kernel driver that finds a team (`wasmTeam()`) cuts its main loop into chunks that write
 * disjoint outputs. Scratch is per thread: `threadScratch` is where thread 0's is (`base`) and
 * how far apart the threads' are (`stride`: `threads` of them from `base`); a call's
 * `{ inThread: offset }` argument is the offset in the scratch of the thread that runs it.
 */
export interface WasmTeam {
  readonly threads: number;
  run(chunks: WasmCall[][], threadScratch: { base: number; stride: number }, callerFirst?: () => void): void;
}

/** What `initWasm` and `wasmInfo` report. */
export interface WasmInfo {
  /** The build the ops run, or null when none is loaded (yet). */
  build: WasmBuild | null;
  /** Which builds this engine validates. */
  supported: { simd: boolean; relaxedSimd: boolean };
  /** Bytes of WebAssembly memory held now. */
  memoryBytes: number;
}

const PAGE_BYTES = 65536;
/** The kernels' own area: parameter blocks live below this offset. */
export const HEAP_BASE = PAGE_BYTES;
/** wasm32 addresses 4 GiB; one page less keeps every byte offset a valid u32 pointer. */
const MAX_PAGES = 65535;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A compiled build as a caller posts it to its pool's workers: the module, and its shared-memory form. */
export interface CompiledKernels {
  build: WasmBuild;
  module: WasmModule;
  shared: WasmModule | null;
}

/**
 * False in the pool worker's own build (dist/cpu-worker.js), which carries no binaries (see
 * no-kernel-binaries.ts): there the modules come from the caller (provideCompiledKernels).
 */
const HAS_BINARIES = SIMD_WASM_BASE64.length > 0;

let binaries: Record<WasmBuild, Uint8Array> | null = null;
function binary(build: WasmBuild): Uint8Array {
  if (!HAS_BINARIES) {
    throw new UnsupportedError(
      `convkit: this build of the pool worker carries no kernel binaries, and its caller sent no compiled '${build}' module`,
    );
  }
  binaries ??= {
    simd: decodeBase64(SIMD_WASM_BASE64),
    'relaxed-simd': decodeBase64(RELAXED_SIMD_WASM_BASE64),
  };
  return binaries[build];
}

/** Modules compiled here (to post to workers), or posted here by a caller (a worker). */
const modules: Partial<Record<WasmBuild, WasmModule>> = {};
const sharedModules: Partial<Record<WasmBuild, WasmModule>> = {};

/**
 * A worker: makes `compiled` (its caller's modules) the ones this thread instantiates, so it
 * compiles nothing itself and needs no binaries.
 */
export function provideCompiledKernels(compiled: CompiledKernels): void {
  modules[compiled.build] = compiled.module;
  if (compiled.shared !== null) sharedModules[compiled.build] = compiled.shared;
}

/**
 * A caller: the compiled modules of `build` to post to its workers (the shared-memory form
 * compiled too when `withShared`, for a team). Compiles what is not compiled yet, synchronously.
 */
export function compiledKernels(build: WasmBuild, withShared: boolean): CompiledKernels {
  const module = (modules[build] ??= compileSync(build));
  const shared = withShared ? sharedModule(build) : null;
  return { build, module, shared };
}

let supportCache: { simd: boolean; relaxedSimd: boolean } | null = null;
/**
 * Which builds this engine accepts (WebAssembly.validate on the builds themselves; in the pool
 * worker's build, which has none, the builds its caller sent).
 */
export function wasmSupport(): { simd: boolean; relaxedSimd: boolean } {
  if (!HAS_BINARIES)
    return { simd: modules.simd !== undefined, relaxedSimd: modules['relaxed-simd'] !== undefined };
  if (supportCache) return supportCache;
  const validate = (build: WasmBuild) => {
    try {
      return webAssembly?.validate(binary(build)) === true;
    } catch {
      return false;
    }
  };
  supportCache = { simd: validate('simd'), relaxedSimd: validate('relaxed-simd') };
  return supportCache;
}

/** The build 'auto' loads here: relaxed SIMD where validated, else SIMD, else null. */
export function preferredBuild(): WasmBuild | null {
  const support = wasmSupport();
  if (support.relaxedSimd) return 'relaxed-simd';
  if (support.simd) return 'simd';
  return null;
}

/*
 * The kernels import their memory ("env"."memory", no maximum: an import section of one
 * entry). A team shares one memory, which must be declared shared (with a maximum): the shared
 * form of a build is the same binary with that one import's limits rewritten, so no third and
 * fourth build ship. The kernels have no data segments, so each thread's instance starts on
 * the shared memory without writing to it.
 */
const PLAIN_MEMORY_IMPORT = [1, 3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0, 0];
/** Limits flag 3 (shared, with a maximum), minimum 0, maximum MAX_PAGES (LEB128). */
const SHARED_MEMORY_LIMITS = [3, 0, 0xff, 0xff, 0x03];

/** The shared-memory form of a build's binary (see above). */
export function sharedMemoryBinary(bytes: Uint8Array): Uint8Array {
  // Section 1 (types) comes first; the import section (id 2) follows it.
  let at = 8;
  const leb = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at++]!;
    const size = leb();
    const body = at;
    if (id === 2) {
      const same =
        size === PLAIN_MEMORY_IMPORT.length && PLAIN_MEMORY_IMPORT.every((b, i) => bytes[body + i] === b);
      if (!same) break;
      const section = [...PLAIN_MEMORY_IMPORT.slice(0, -3), 2, ...SHARED_MEMORY_LIMITS];
      const out = new Uint8Array(bytes.length + section.length - size);
      out.set(bytes.subarray(0, start));
      out.set([2, section.length, ...section], start);
      out.set(bytes.subarray(body + size), start + 2 + section.length);
      return out;
    }
    at = body + size;
  }
  throw new UnsupportedError('convkit: the kernel binary does not import one plain memory; rebuild it');
}

function api(): WebAssemblyApi {
  if (webAssembly === undefined) throw new UnsupportedError('convkit: this engine has no WebAssembly');
  return webAssembly;
}

function compileSync(build: WasmBuild): WasmModule {
  return (modules[build] ??= new (api().Module)(binary(build)));
}

/** The shared-memory form of `build`, compiled once. */
function sharedModule(build: WasmBuild): WasmModule {
  return (sharedModules[build] ??= new (api().Module)(sharedMemoryBinary(binary(build))));
}

function instantiate(module: WasmModule, build: WasmBuild): WasmKernels {
  const memory = new (api().Memory)({ initial: 2, maximum: MAX_PAGES });
  const instance = new (api().Instance)(module, { env: { memory } });
  return { build, exports: instance.exports as unknown as WasmExports, memory };
}

/**
 * A new instance of `build` on a new shared memory, for a team (a CPU context); null where the
 * engine has no shared WebAssembly memory (a page that is not cross-origin isolated).
 */
export function createSharedKernels(build: WasmBuild): WasmKernels | null {
  let memory: WasmMemory;
  try {
    memory = new (api().Memory)({ initial: 2, maximum: MAX_PAGES, shared: true });
  } catch {
    return null;
  }
  return instantiateShared(build, memory);
}

/** An instance of `build` on an existing shared memory (another thread's): a team member's. */
export function instantiateShared(build: WasmBuild, memory: WasmMemory): WasmKernels {
  const instance = new (api().Instance)(sharedModule(build), { env: { memory } });
  return { build, exports: instance.exports as unknown as WasmExports, memory };
}

/**
 * Makes each call, in order, on `kernels`; `{ inThread }` arguments are offsets from
 * `scratch` (the running thread's scratch region).
 */
export function runWasmCalls(kernels: WasmKernels, calls: readonly WasmCall[], scratch = 0): void {
  const exports = kernels.exports as unknown as Record<string, (...args: number[]) => unknown>;
  for (const [name, ...args] of calls) {
    const fn = exports[name];
    if (typeof fn !== 'function') throw new ArgumentError(`convkit: the kernels have no export '${name}'`);
    fn(...args.map((arg) => (typeof arg === 'number' ? arg : scratch + arg.inThread)));
  }
}

/** The kernels (and team) the ops run on inside `withKernels`: a CPU context's shared memory. */
let scoped: { kernels: WasmKernels; team: WasmTeam | null } | null = null;

/**
 * Runs `fn` with the ops' WebAssembly kernels replaced by `kernels` (a CPU context's instance
 * on its shared memory) and `team` available to the drivers that split their work
 * (`wasmTeam()`). Synchronous: nothing else runs on this thread meanwhile.
 */
export function withKernels<T>(kernels: WasmKernels, team: WasmTeam | null, fn: () => T): T {
  const previous = scoped;
  scoped = { kernels, team };
  try {
    return fn();
  } finally {
    scoped = previous;
  }
}

/** The team the running op may split its work over (inside withKernels), else null. */
export function wasmTeam(): WasmTeam | null {
  return scoped?.team ?? null;
}

function checkBuild(op: string, build: unknown): WasmBuild | null {
  if (build === undefined || build === 'auto') return preferredBuild();
  if (build !== 'simd' && build !== 'relaxed-simd') {
    throw new ArgumentError(`${op}: build must be 'auto', 'simd' or 'relaxed-simd', got ${String(build)}`);
  }
  const support = wasmSupport();
  if (!(build === 'simd' ? support.simd : support.relaxedSimd)) {
    // A feature the engine lacks, not memory it ran out of.
    throw new UnsupportedError(
      `${op}: this engine does not validate the '${build}' WebAssembly build` +
        (build === 'relaxed-simd'
          ? ' (relaxed SIMD needs Chrome >= 114, Firefox >= 146, Node >= 22, or Node 20 with --experimental-wasm-relaxed-simd)'
          : ' (it needs WebAssembly SIMD 128)'),
    );
  }
  return build;
}

const instances: Partial<Record<WasmBuild, WasmKernels>> = {};
let current: WasmKernels | null = null;
/** True once a synchronous compile was refused (a browser main thread): wait for initWasm. */
let syncRefused = false;

/** Options of initWasm / initWasmSync. */
export interface InitWasmOptions {
  /** 'auto' (default): relaxed SIMD where the engine has it, else SIMD. */
  build?: 'auto' | WasmBuild;
}

function info(): WasmInfo {
  return {
    build: current?.build ?? null,
    supported: { ...wasmSupport() },
    memoryBytes: current ? current.memory.buffer.byteLength : 0,
  };
}

/**
 * Compiles and instantiates the WebAssembly kernels (asynchronously: allowed on a browser's
 * main thread) and makes them the ones the ops run. Resolves to what was loaded; with no
 * usable build it resolves with `build: null` and the ops keep running TypeScript.
 */
export async function initWasm(options?: InitWasmOptions): Promise<WasmInfo> {
  const build = checkBuild('initWasm', options?.build);
  if (build !== null) {
    if (!instances[build]) {
      const module = (modules[build] ??= await api().compile(binary(build)));
      instances[build] ??= instantiate(module, build);
    }
    current = instances[build] ?? null;
  }
  return info();
}

/**
 * initWasm, synchronously: for Node and workers (a browser's main thread refuses to compile
 * the module synchronously; use initWasm there). Also switches the build the ops run, which
 * the bench and the tests use to compare the two.
 */
export function initWasmSync(options?: InitWasmOptions): WasmInfo {
  const build = checkBuild('initWasmSync', options?.build);
  if (build !== null) {
    instances[build] ??= instantiate(compileSync(build), build);
    current = instances[build] ?? null;
  }
  return info();
}

/** What is loaded now, without loading anything. */
export function wasmInfo(): WasmInfo {
  return info();
}

/**
 * The kernels the ops run, or null when no build can run here (yet). Compiles the preferred
 * build synchronously on first use where the engine allows it.
 */
export function wasmKernels(): WasmKernels | null {
  if (scoped !== null) return scoped.kernels;
  if (current !== null) return current;
  if (syncRefused) return null;
  const build = preferredBuild();
  if (build === null) return null;
  try {
    instances[build] ??= instantiate(compileSync(build), build);
    current = instances[build] ?? null;
  } catch {
    // A browser's main thread refuses synchronous compiles of modules over 4 KiB.
    syncRefused = true;
  }
  return current;
}

/** The kernels of one build (tests and the bench compare builds); throws when unsupported. */
export function wasmKernelsOfBuild(build: WasmBuild | 'auto'): WasmKernels {
  const checked = checkBuild('wasmKernelsOfBuild', build);
  if (checked === null) {
    throw new UnsupportedError(
      'wasmKernelsOfBuild: this engine has no WebAssembly SIMD, so no build can run',
    );
  }
  instances[checked] ??= instantiate(compileSync(checked), checked);
  return instances[checked] as WasmKernels;
}

/**
 * Grows `kernels.memory` so that [HEAP_BASE, HEAP_BASE + bytes) is addressable, and returns
 * HEAP_BASE. A working set over the memory budget or over what 32-bit WebAssembly addresses
 * is refused with a ResourceError naming the op.
 */
export function reserveHeap(op: string, kernels: WasmKernels, bytes: number): number {
  checkAllocationBytes(op, 'WebAssembly working memory', Math.ceil(bytes / 4));
  const needed = HEAP_BASE + bytes;
  if (needed > MAX_PAGES * PAGE_BYTES) {
    throw new ResourceError(
      `${op}: the WebAssembly kernels need ${(bytes / 2 ** 30).toFixed(2)} GiB of working memory, more than 32-bit WebAssembly addresses (4 GiB); use a smaller batch or input, or algorithm: 'im2col'`,
    );
  }
  const have = kernels.memory.buffer.byteLength;
  if (needed > have) {
    try {
      kernels.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
    } catch {
      throw new ResourceError(
        `${op}: the engine refused to grow WebAssembly memory to ${(needed / 2 ** 20).toFixed(0)} MiB; use a smaller batch or input, or algorithm: 'im2col'`,
      );
    }
  }
  return HEAP_BASE;
}
