/**
 * The errors of the CPU worker pool, typed like every convkit error (cross-copy `isInstance`):
 * a worker that stopped during a call (crashed, terminated), and a call cancelled by its
 * AbortSignal. Errors a worker's op throws (ArgumentError, ShapeError...) reach the caller as
 * the same classes (`reviveError`).
 */
import { ArgumentError, ConvkitError, ResourceError, ShapeError, UnsupportedError } from '@convkit/tensor';

const BRAND = Symbol.for('convkit.error');
const isKind = (value: unknown, kind: string) =>
  typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === kind;

/** A worker of the pool stopped (crashed, or was terminated) while it ran part of a call. */
export class WorkerError extends ConvkitError {
  constructor(message: string) {
    super('WorkerError', message);
  }
  static override isInstance(value: unknown): value is WorkerError {
    return isKind(value, 'WorkerError');
  }
}

/** A call cancelled by the AbortSignal it was given, or by `dispose()`. */
export class AbortError extends ConvkitError {
  constructor(message: string) {
    super('AbortError', message);
  }
  static override isInstance(value: unknown): value is AbortError {
    return isKind(value, 'AbortError');
  }
}

/** What a worker sends back for an error. */
export interface SerializedError {
  kind: string;
  message: string;
}

export function serializeError(error: unknown): SerializedError {
  if (ConvkitError.isInstance(error)) return { kind: error.kind, message: error.message };
  return { kind: 'Error', message: error instanceof Error ? error.message : String(error) };
}

/** The caller-side error for a worker's serialized one: the same convkit class. */
export function reviveError(error: SerializedError): Error {
  switch (error.kind) {
    case 'ArgumentError':
      return new ArgumentError(error.message);
    case 'ShapeError':
      return new ShapeError(error.message);
    case 'UnsupportedError':
      return new UnsupportedError(error.message);
    case 'ResourceError':
      return new ResourceError(error.message);
    case 'WorkerError':
      return new WorkerError(error.message);
    default:
      return new Error(error.message);
  }
}
