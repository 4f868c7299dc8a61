/**
 * The entry of a pool worker (Node worker_threads, or a browser module Worker): runs each
 * task it is sent (runPoolTask) and answers { id, ok } or { id, error }. The WebAssembly
 * kernels load on the worker's first task (workers may compile synchronously).
 */
import { type SerializedError, serializeError } from './pool-errors';
import { type PoolTask, runPoolTask } from './pool-task';

interface Incoming {
  id: number;
  task: PoolTask;
}
type Outgoing = { id: number; ok: true } | { id: number; error: SerializedError };

interface Port {
  on?(event: 'message', listener: (data: Incoming) => void): void;
  postMessage(message: Outgoing): void;
}

function handle(port: Port, message: Incoming): void {
  try {
    runPoolTask(message.task);
    port.postMessage({ id: message.id, ok: true });
  } catch (error) {
    port.postMessage({ id: message.id, error: serializeError(error) });
  }
}

const scope = globalThis as unknown as {
  onmessage?: (event: { data: Incoming }) => void;
  postMessage?: (message: Outgoing) => void;
  process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
};

// No top-level await and no import of a Node module: bundlers build workers as classic
// scripts by default (Vite: iife), and a browser bundle must not pull in Node's modules.
if (scope.process?.versions?.node && scope.process.getBuiltinModule) {
  // Node: the parent port of worker_threads (it queues messages until this listener exists).
  const { parentPort } = scope.process.getBuiltinModule('node:worker_threads') as {
    parentPort: (Port & { on(event: 'message', listener: (data: Incoming) => void): void }) | null;
  };
  if (parentPort) parentPort.on('message', (data) => handle(parentPort, data));
} else {
  const port: Port = { postMessage: (message) => scope.postMessage?.(message) };
  scope.onmessage = (event) => handle(port, event.data);
}
