/**
 * The backend the autograd ops run on: the CPU one unless `setBackend` chose another (the GPU
 * package registers its own). One per process, like PyTorch's default device.
 */
import { ArgumentError } from '@convkit/tensor';
import type { Backend } from './backend';
import { cpuBackend } from './cpu-backend';

let current: Backend = cpuBackend;

/** The active backend. */
export function getBackend(): Backend {
  return current;
}

/** Makes `backend` the one every op runs on; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  if (typeof backend !== 'object' || backend === null || typeof backend.conv !== 'function') {
    throw new ArgumentError(
      `setBackend: backend must implement the Backend interface, got ${String(backend)}`,
    );
  }
  const previous = current;
  current = backend;
  return previous;
}
