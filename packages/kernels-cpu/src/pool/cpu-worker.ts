/**
 * The entry of a pool worker (Node worker_threads, or a browser module Worker): runs each
 * task it is sent (runPoolTask) and answers { id, ok } or { id, error }. The WebAssembly
 * kernels load when the pool says which build (an init message, answered READY, sent as the
 * worker starts), else on the worker's first task (workers may compile synchronously).
 */

import {
  initWasmSync,
  instantiateShared,
  provideCompiledKernels,
  runWasmCalls,
  type WasmKernels,
  wasmInfo,
} from '../wasm/wasm-runtime';
import { type SerializedError, serializeError } from './pool-errors';
import { type PoolTask, runPoolTask } from './pool-task';
import { POSTED, TeamMailbox } from './team-mailbox';
import { type InitMessage, READY, type WAKE } from './worker-messages';

/**
 * How long a Node worker stays on its doorbell after a piece (ms) before it goes back to sleep
 * in its event loop. A thread asleep in its event loop is woken by the next message only once
 * the scheduler runs it, and then through the event loop: 0.08 ms median on the 2-core VM under
 * load, 2.8 ms at the 90th percentile; asleep on the doorbell (Atomics.wait, a futex the caller
 * notifies with each message) it wakes in 0.05 ms median, 0.11 at the 90th percentile, and
 * costs no processor time meanwhile (polling would: on a loaded machine the worker may be
 * running on its caller's core, and a polling worker then holds the caller back). Calls that
 * come within the idle time (a training step's convolutions between its other layers, a bench
 * that waits for quiet before each run) find their worker on its doorbell. Its event loop has
 * nothing else to do meanwhile: messages come through receiveMessageOnPort, and terminate()
 * interrupts Atomics.wait.
 */
const WORKER_IDLE_MS = 200;
/** After a wake-up, which comes just before a piece: as long as staging a large piece can take. */
const WAKE_IDLE_MS = 5;

/** Node: the doorbell this worker sleeps on between messages (from the pool's init message). */
let doorbell: Int32Array | null = null;
/** The team's mailbox and this worker's instance on the team's shared memory (init message). */
let mailbox: TeamMailbox | null = null;
let teamKernels: WasmKernels | null = null;

/**
 * Runs the work in the mailbox, if some is posted there (see team-mailbox.ts). A worker whose
 * instance on the shared memory failed to load claims none: the caller takes it back.
 */
function serveTeam(): boolean {
  const kernels = teamKernels;
  if (mailbox === null || kernels === null) return false;
  return mailbox.serve(
    () => new Int32Array(kernels.memory.buffer),
    (name, args) => runWasmCalls(kernels, [[name, ...args]]),
    serializeError,
  );
}

interface Incoming {
  id: number;
  task: PoolTask;
}
type Outgoing = { id: number; ok: true } | { id: number; error: SerializedError } | typeof READY;
type Message = Incoming | InitMessage | typeof WAKE;

interface Port {
  on?(event: 'message', listener: (data: Incoming) => void): void;
  postMessage(message: Outgoing): void;
}

function handle(port: Port, message: Message): void {
  if ('init' in message) {
    if (message.doorbell) doorbell = new Int32Array(message.doorbell);
    try {
      if (message.compiled) provideCompiledKernels(message.compiled);
      if (message.init !== null && wasmInfo().build !== message.init) initWasmSync({ build: message.init });
      if (message.mailbox) mailbox = new TeamMailbox(message.mailbox);
      if (message.init !== null && message.shared)
        teamKernels = instantiateShared(message.init, message.shared);
    } catch {
      // The first task loads the build again and reports the error to its call.
    }
    port.postMessage(READY);
    return;
  }
  // A wake-up only: the caller is staging a task, which comes next (see WorkerPool.wake).
  if (!('task' in message)) return;
  try {
    runPoolTask(message.task);
    port.postMessage({ id: message.id, ok: true });
  } catch (error) {
    port.postMessage({ id: message.id, error: serializeError(error) });
  }
}

const scope = globalThis as unknown as {
  onmessage?: (event: { data: Message }) => void;
  postMessage?: (message: Outgoing) => void;
  process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
};

// No top-level await and no import of a Node module: bundlers build workers as classic
// scripts by default (Vite: iife), and a browser bundle must not pull in Node's modules.
if (scope.process?.versions?.node && scope.process.getBuiltinModule) {
  // Node: the parent port of worker_threads (it queues messages until this listener exists).
  const { parentPort, receiveMessageOnPort } = scope.process.getBuiltinModule('node:worker_threads') as {
    parentPort: (Port & { on(event: 'message', listener: (data: Message) => void): void }) | null;
    receiveMessageOnPort(port: unknown): { message: Message } | undefined;
  };
  if (parentPort) {
    parentPort.on('message', (data) => {
      // Handle this message and every one that follows within the idle time, taken from the
      // port directly; between them sleep on the doorbell, which the caller rings after each
      // message it posts (the port is looked at again after reading the doorbell's count, so a
      // message posted in between is not slept through).
      // The team's mailbox is looked at on every wake-up too (a part comes with no message).
      let message: Message | undefined = data;
      let until = 0;
      mailbox?.setAwake(true);
      for (;;) {
        if (message !== undefined) {
          handle(parentPort, message);
          const idle = 'task' in message ? WORKER_IDLE_MS : 'wake' in message ? WAKE_IDLE_MS : 0;
          until = Math.max(until, performance.now() + idle);
        }
        if (serveTeam()) until = Math.max(until, performance.now() + WORKER_IDLE_MS);
        message = receiveMessageOnPort(parentPort)?.message;
        if (message !== undefined) continue;
        const left = until - performance.now();
        if (left <= 0 || doorbell === null) {
          // Back to the event loop; a part posted meanwhile (the caller saw us awake) is run first.
          mailbox?.setAwake(false);
          if (!serveTeam()) return;
          mailbox?.setAwake(true);
          until = performance.now() + WORKER_IDLE_MS;
          continue;
        }
        const rung = Atomics.load(doorbell, 0);
        message = receiveMessageOnPort(parentPort)?.message;
        if (message === undefined && mailbox?.state !== POSTED) Atomics.wait(doorbell, 0, rung, left);
      }
    });
  }
} else {
  const port: Port = { postMessage: (message) => scope.postMessage?.(message) };
  scope.onmessage = (event) => {
    handle(port, event.data);
    serveTeam();
  };
}
