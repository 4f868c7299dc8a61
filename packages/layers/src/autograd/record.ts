/**
 * How an op joins the tape: `record(name, output, inputs, backward)` wraps the op's output
 * value in a Variable and, when gradients are on and some input needs one, attaches the Node
 * whose backward maps the output's gradient to the inputs'. `asVariable` lets ops take plain
 * Tensors as constants.
 */
import { checkTensor, isTensor, type Tensor } from '@convkit/tensor';
import { isGradEnabled } from './grad-mode';
import { Variable } from './variable';

export type Input = Tensor | Variable;

/** A Variable for a Tensor (a constant) or the variable itself. */
export function asVariable(op: string, name: string, value: Input): Variable {
  if (value instanceof Variable) return value;
  if (isTensor(value)) return new Variable(value);
  checkTensor(op, name, value);
  return value as never;
}

export function record(
  name: string,
  output: Tensor,
  inputs: readonly Variable[],
  backward: (gradOutput: Tensor) => readonly (Tensor | null)[],
  /** What only `backward` reads, to give back when the node is dropped (or at once when none is recorded). */
  release?: () => void,
): Variable {
  const needsGrad = isGradEnabled() && inputs.some((v) => v.requiresGrad);
  if (!needsGrad) {
    release?.();
    return new Variable(output);
  }
  return new Variable(
    output,
    true,
    release ? { name, inputs, backward, release } : { name, inputs, backward },
  );
}
