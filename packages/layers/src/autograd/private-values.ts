/**
 * Private values: intermediate results no caller can reach, whose memory the autograd engine
 * may hand back to the backend (Backend.release) as soon as their own backward step is done.
 * A Sequential marks the values that pass between two of its children when both are built-in
 * modules known to keep no reference to their input or output (the container returns only the
 * last value, and those modules hold nothing past backward but their parameters and running
 * statistics). The engine then releases such a value once its node has run, by which time
 * every op that read it has run its backward too (reverse topological order), unless the graph
 * is retained or the value shares memory with one of its node's inputs (a view: a reshape or
 * flatten) or with a gradient still in use.
 */
import type { Variable } from './variable';

const privateValues = new WeakSet<Variable>();

/** Marks `v` as unreachable from outside the code that made it. */
export function markPrivate(v: Variable): void {
  privateValues.add(v);
}

/** Whether `v` was marked private. */
export function isPrivate(v: Variable): boolean {
  return privateValues.has(v);
}
