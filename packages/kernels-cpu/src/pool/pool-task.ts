/**
 * One piece of work for a pool worker: an op of this package, its tensor arguments and
 * tensor-valued options (bias, mask) as shared-memory descriptors, its other options as they
 * are, and for each result the shared view it is written into. `runPoolTask` is what a
 * worker does with it (and what the caller does itself when it runs a piece inline).
 */
import type { Tensor } from '@convkit/tensor';
import { conv } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import { copyInto, fromShared, type SharedTensor } from './shared-tensor';

export type PoolOp =
  | 'conv'
  | 'convTranspose'
  | 'deformConv'
  | 'convBackward'
  | 'convTransposeBackward'
  | 'deformConvBackward';

export interface PoolTask {
  op: PoolOp;
  /** Positional tensor arguments, in the op's order. */
  args: SharedTensor[];
  /** Options; tensor-valued ones (bias, mask) are descriptors under `tensorOptions`. */
  options: Record<string, unknown>;
  tensorOptions: Record<string, SharedTensor | null>;
  /** Result name ('output', 'gradInput', 'gradWeight', ...) -> the view it is written into. */
  outputs: Record<string, SharedTensor>;
}

/** Runs the task's op synchronously and writes its results into their views. */
export function runPoolTask(task: PoolTask): void {
  const args = task.args.map(fromShared);
  const options: Record<string, unknown> = { ...task.options };
  for (const [name, shared] of Object.entries(task.tensorOptions))
    options[name] = shared ? fromShared(shared) : null;
  const results = callOp(task.op, args, options);
  for (const [name, target] of Object.entries(task.outputs)) {
    const value = results[name];
    if (value) copyInto(value, fromShared(target));
  }
}

function callOp(op: PoolOp, args: Tensor[], options: Record<string, unknown>): Record<string, Tensor | null> {
  const [a, b, c, d] = args as [Tensor, Tensor, Tensor, Tensor];
  switch (op) {
    case 'conv':
      return { output: conv(a, b, options) };
    case 'convTranspose':
      return { output: convTranspose(a, b, options) };
    case 'deformConv':
      return { output: deformConv(a, b, c, options) };
    case 'convBackward':
      return { ...convBackward(a, b, c, options) };
    case 'convTransposeBackward':
      return { ...convTransposeBackward(a, b, c, options) };
    case 'deformConvBackward':
      return { ...deformConvBackward(a, b, c, d, options) };
  }
}
