/**
 * One worker of the pool, the same on both platforms: Node's worker_threads (taken with
 * `process.getBuiltinModule`, so no import of a Node module reaches a browser bundle) or a
 * browser module Worker (written as `new Worker(new URL(...), { type: 'module' })`, the form
 * Vite and webpack recognise and bundle). In a monorepo checkout the worker is the TypeScript
 * source, run through tsx.
 */

import type { CompiledKernels, WasmBuild, WasmMemory } from '../wasm/wasm-runtime';
import type { PoolTask } from './pool-task';
import { type InitMessage, type READY, WAKE, type WorkerReply } from './worker-messages';

export interface WorkerHandle {
  /** The worker script it loads (for messages). */
  readonly url: string;
  post(id: number, task: PoolTask): void;
  /** Loads `build` in the worker now, not on its first task; `ready` fires once it has. */
  init(
    build: WasmBuild | null,
    compiled: CompiledKernels | null,
    shared: WasmMemory | null,
    mailbox: SharedArrayBuffer | null,
  ): void;
  /** Rings the worker's doorbell (no message): a worker in its doorbell loop looks at its mailbox. */
  ring(): void;
  /** Wakes the worker without a task (no reply): it then polls for the next one for a while. */
  wake(): void;
  terminate(): void;
  /** For the tests: ends the worker as a crash would, its exit reported only by the platform's event. */
  killForTest(): void;
}

export interface WorkerEvents {
  message(reply: WorkerReply): void;
  /** The worker has loaded the build of init() (or failed to: its first task reports why). */
  ready(): void;
  /**
   * The worker stopped: an uncaught error, a crash, a script that could not be loaded, or
   * terminate() (`terminated` true: the pool stopped it, rather than it stopping by itself).
   */
  exit(reason: string, terminated: boolean): void;
}

interface NodeWorker {
  postMessage(message: unknown): void;
  terminate(): Promise<number>;
  on(event: 'message', listener: (data: WorkerReply | typeof READY) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  ref(): void;
  unref(): void;
}

const nodeProcess = (
  globalThis as {
    process?: {
      versions?: { node?: string };
      execArgv?: string[];
      getBuiltinModule?: (id: string) => unknown;
    };
  }
).process;

/** True in Node (worker_threads), false in browsers (Web Workers). */
export const isNode = typeof nodeProcess?.versions?.node === 'string';

function moduleUrl(): string {
  const url = (import.meta as { url?: string }).url;
  if (url) return url;
  // The CommonJS build has no import.meta: its file's URL from __filename (any platform's path).
  const { pathToFileURL } = nodeProcess!.getBuiltinModule!('node:url') as {
    pathToFileURL(path: string): URL;
  };
  return pathToFileURL(typeof __filename === 'string' ? __filename : '').href;
}
declare const __filename: string | undefined;

/** The --conditions (-C) flags of a Node command line, with their values. */
export function conditionFlags(argv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag.startsWith('--conditions=') || flag.startsWith('-C=')) flags.push(flag);
    else if ((flag === '--conditions' || flag === '-C') && i + 1 < argv.length) flags.push(flag, argv[++i]!);
  }
  return flags;
}

/** The worker file, beside the module that spawns it (see spawnBrowserWorker for the browsers' form). */
const WORKER_FILE = './cpu-worker.js';

/** For the tests: the worker script to load instead of cpu-worker.js (null: the real one). */
let workerUrlForTest: URL | null = null;

/**
 * For the tests: has the workers spawned from now on load `url` (null: cpu-worker.js again),
 * such as a file that does not exist, as a bundle that did not ship cpu-worker.js would.
 */
export function setWorkerUrlForTest(url: URL | string | null): void {
  workerUrlForTest = url === null ? null : new URL(url);
}

/**
 * Starts one worker. Never throws: a worker that cannot even be constructed (a URL the
 * platform refuses, a CSP that forbids workers) is reported through `events.exit`, later, as
 * a worker whose script failed to load is.
 */
export function spawnWorker(events: WorkerEvents): WorkerHandle {
  let url = WORKER_FILE;
  try {
    url = workerUrl();
    return isNode ? spawnNodeWorker(url, events) : spawnBrowserWorker(url, events);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let reported = false;
    const stop = (terminated: boolean) => {
      if (reported) return;
      reported = true;
      events.exit(`it could not be created: ${message}`, terminated);
    };
    queueMicrotask(() => stop(false));
    const none = () => {};
    return {
      url,
      post: none,
      init: none,
      ring: none,
      wake: none,
      terminate: () => stop(true),
      killForTest: none,
    };
  }
}

/** The worker script the next spawnWorker loads (the browsers': as resolved beside this module). */
function workerUrl(): string {
  if (workerUrlForTest !== null) return workerUrlForTest.href;
  if (!isNode) return new URL(WORKER_FILE, import.meta.url).href;
  const here = moduleUrl();
  return new URL(here.endsWith('.ts') ? './cpu-worker-source.mjs' : WORKER_FILE, here).href;
}

function spawnNodeWorker(url: string, events: WorkerEvents): WorkerHandle {
  const { Worker } = nodeProcess!.getBuiltinModule!('node:worker_threads') as {
    Worker: new (url: URL, options: { execArgv?: string[] }) => NodeWorker;
  };
  const fromSource = moduleUrl().endsWith('.ts');
  // A worker takes only the parent's --conditions flags: Node refuses a worker whose execArgv
  // holds a per-process option (the V8 flags, such as --experimental-wasm-relaxed-simd, which
  // apply to every thread anyway), and a worker inherits the parent's whole execArgv unless
  // given one. From the TypeScript sources (tests, the bench), the worker registers tsx itself
  // and resolves the workspace packages to their sources, as its parent does.
  const execArgv = conditionFlags(nodeProcess!.execArgv ?? []);
  if (fromSource) execArgv.push('--conditions=convkit-source');
  const worker = new Worker(new URL(url), { execArgv });
  let stopped = false;
  const stop = (reason: string, terminated = false) => {
    if (stopped) return;
    stopped = true;
    events.exit(reason, terminated);
  };
  // An idle worker does not keep Node alive; a worker running a piece does (as pending I/O
  // does), so a script that awaits a pooled call gets its result before Node exits: ref while
  // a posted task has no reply yet (a worker may hold a second task behind a finished one).
  let posted = 0;
  // The worker's doorbell (see InitMessage): rung after every message.
  const doorbell = new Int32Array(new SharedArrayBuffer(4));
  const send = (message: unknown) => {
    worker.postMessage(message);
    Atomics.add(doorbell, 0, 1);
    Atomics.notify(doorbell, 0);
  };
  worker.on('message', (reply) => {
    if ('ready' in reply) return events.ready();
    if (--posted === 0) worker.unref();
    events.message(reply);
  });
  worker.on('error', (error) => stop(`it threw ${error.message}`));
  worker.on('exit', (code) => stop(`it exited with code ${code}`));
  worker.unref();
  return {
    url,
    post: (id, task) => {
      if (posted++ === 0) worker.ref();
      send({ id, task });
    },
    wake: () => send(WAKE),
    init: (build, compiled, shared, mailbox) =>
      send({
        init: build,
        compiled,
        doorbell: doorbell.buffer as SharedArrayBuffer,
        shared,
        mailbox,
      } satisfies InitMessage),
    ring: () => {
      Atomics.add(doorbell, 0, 1);
      Atomics.notify(doorbell, 0);
    },
    terminate: () => {
      stop('it was terminated', true);
      void worker.terminate();
    },
    killForTest: () => void worker.terminate(),
  };
}

/** The slice of the browser's Worker this module uses (typed here: the package has no DOM lib). */
interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: WorkerReply | typeof READY }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
}
declare const Worker: new (url: URL, options: { type: 'module' }) => BrowserWorker;

function spawnBrowserWorker(url: string, events: WorkerEvents): WorkerHandle {
  // The default spelled out as the literal `new Worker(new URL('./cpu-worker.js', import.meta.url), ...)`:
  // the form bundlers recognise (and rewrite to the URL of the worker they emit).
  const worker =
    workerUrlForTest !== null
      ? new Worker(workerUrlForTest, { type: 'module' })
      : new Worker(new URL('./cpu-worker.js', import.meta.url), { type: 'module' });
  let stopped = false;
  const stop = (reason: string, terminated = false) => {
    if (stopped) return;
    stopped = true;
    events.exit(reason, terminated);
  };
  worker.onmessage = (event) => {
    const reply = event.data;
    if ('ready' in reply) events.ready();
    else events.message(reply);
  };
  // A script that failed to load (not found, refused by a CSP, not JavaScript) reports a bare
  // error event, with no message. An uncaught error leaves a browser's worker running: the pool
  // replaces it, so it is terminated here rather than left behind.
  worker.onerror = (event) => {
    stop(event.message ? `it threw ${event.message}` : 'it reported an error (its script did not load?)');
    worker.terminate();
  };
  return {
    url,
    post: (id, task) => worker.postMessage({ id, task }),
    wake: () => worker.postMessage(WAKE),
    init: (build, compiled, shared, mailbox) =>
      worker.postMessage({ init: build, compiled, shared, mailbox } satisfies InitMessage),
    ring: () => worker.postMessage(WAKE),
    terminate: () => {
      stop('it was terminated', true);
      worker.terminate();
    },
    // A browser reports no event for a terminated worker: the pool learns of it only as a crash.
    killForTest: () => worker.terminate(),
  };
}
