/**
 * EngineUnsupportedError: thrown by an engine's run when the library refuses the problem
 * (an algorithm without a kernel for this op), so the harness reports 'unsupported' with
 * the library's own message instead of an error.
 */
export class EngineUnsupportedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'EngineUnsupportedError';
  }
}
