/**
 * The entry of a pool worker (Node worker_threads, or a browser module Worker): runs each
 * task it is sent (runPoolTask) and answers { id, ok } or { id, error }. The WebAssembly
 * kernels load when the pool says which build (an init message, answered READY, sent as the
 * worker starts), else on the worker's first task (workers may compile synchronously).
 */

import { initWasmSync, wasmInfo } from '../wasm/wasm-runtime';
import { type SerializedError, serializeError } from './pool-errors';
import { type PoolTask, runPoolTask } from './pool-task';
import { type InitMessage, READY, type WAKE } from './worker-messages';

/**
 * How long a Node worker keeps polling its port after a piece (ms) before it sleeps in its event
 * loop. A thread asleep is woken by the next message only once the scheduler runs it, which on
 * a virtual machine whose idle processor has halted takes 0.05-3 ms (measured on the 2-core VM:
 * message to a sleeping worker 0.08 ms median, 2.8 ms at the 90th percentile, against 0.03 ms
 * for a spinning one); one millisecond of polling costs a core that long and finds the next
 * piece of back-to-back calls at once. Browsers have no synchronous receive: their workers sleep.
 */
const WORKER_SPIN_MS = 1;
/**
 * How long it polls after a wake-up (ms): the caller posts the piece once it has staged the
 * piece's inputs, a tenth of a millisecond or so later. Short, because on a loaded machine the
 * woken worker may be given the caller's own core, and spinning there holds the caller back.
 */
const WAKE_SPIN_MS = 0.5;

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
    try {
      if (message.init !== null && wasmInfo().build !== message.init) initWasmSync({ build: message.init });
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
      // Back-to-back calls (a training step, a loop of calls) post the next piece within a
      // millisecond, and a wake-up comes just before a piece: take it from the port while
      // spinning, instead of going to sleep in the event loop and waiting for the scheduler
      // to wake this thread (see WORKER_SPIN_MS).
      let message: Message | undefined = data;
      let until = 0;
      while (message !== undefined || performance.now() < until) {
        if (message !== undefined) {
          handle(parentPort, message);
          const spin = 'task' in message ? WORKER_SPIN_MS : 'wake' in message ? WAKE_SPIN_MS : 0;
          until = performance.now() + spin;
        }
        message = receiveMessageOnPort(parentPort)?.message;
      }
    });
  }
} else {
  const port: Port = { postMessage: (message) => scope.postMessage?.(message) };
  scope.onmessage = (event) => handle(port, event.data);
}
