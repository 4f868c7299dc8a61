/**
 * Whether ops record onto the tape. `noGrad(fn)` runs fn without recording (evaluation,
 * optimizer updates), as `with torch.no_grad():`.
 */
import { ArgumentError } from '@convkit/tensor';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` with recording off and restores the previous mode, even if fn throws. */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(`noGrad: fn must be a function, got ${typeof fn}`);
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
