/**
 * Whether ops record onto the tape. `noGrad(fn)` runs fn without recording (evaluation,
 * optimizer updates), as `with torch.no_grad():`.
 */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` with recording off and restores the previous mode, even if fn throws. */
export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
