/**
 * The process-wide seeded generator that parameter initialisation and dropout draw from when
 * no Rng is given (PyTorch's default generator); `manualSeed` resets it.
 */
import { ArgumentError, Rng } from '@convkit/tensor';

let rng = new Rng(0);

export function globalRng(): Rng {
  return rng;
}

/** Reseeds the global generator (torch.manual_seed). */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed))
    throw new ArgumentError(`manualSeed: seed must be an integer, got ${String(seed)}`);
  rng = new Rng(seed);
}
