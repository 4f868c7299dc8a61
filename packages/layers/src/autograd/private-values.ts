/**
 * Private values: intermediate results no caller can reach, whose memory the autograd engine
 * may hand back to the backend (Backend.release) as soon as their own backward step is done.
 * A Sequential marks the values that pass between two of its children when both are built-in
 * modules known to keep no reference to their input or output (the container returns only the
 * last value, and those modules hold nothing past backward but their parameters and running
 * statistics). The engine then releases such a value once its node has run, by which time
 * every op that read it has run its backward too (reverse topological order), unless the graph
 * is retained or the value shares memory with one of its node's inputs (a view: a reshape or
 * flatten) or with a gradient still in use. A Sequential gives one back sooner, right after
 * the forward step that read it, when no backward reads it at all (a batch-norm output fed
 * to max pooling) and unmarks it, so the engine never releases it a second time.
 *
 * Consumable gradients: while an op's backward runs, the engine marks the gradient it passes
 * when nothing else (the seed, another pending gradient) shares its memory, so the op may
 * write its own input's gradient over it instead of into a new buffer.
 */
import type { Tensor } from '@convkit/tensor';
import type { Variable } from './variable';

const privateValues = new WeakSet<Variable>();

/** Marks `v` as unreachable from outside the code that made it. */
export function markPrivate(v: Variable): void {
  privateValues.add(v);
}

/** Takes the mark off `v` (its memory was given back early: the engine must not release it again). */
export function unmarkPrivate(v: Variable): void {
  privateValues.delete(v);
}

/** Whether `v` was marked private. */
export function isPrivate(v: Variable): boolean {
  return privateValues.has(v);
}

const consumable = new WeakSet<Tensor>();

/** Marks (or, with false, unmarks) `gradient` as the op's to overwrite. */
export function setConsumable(gradient: Tensor, value: boolean): void {
  if (value) consumable.add(gradient);
  else consumable.delete(gradient);
}

/** Whether the backward being run may overwrite `gradient`. */
export function isConsumable(gradient: Tensor): boolean {
  return consumable.has(gradient);
}
