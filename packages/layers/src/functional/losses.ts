/**
 * Differentiable losses with PyTorch's definitions and reductions ('mean' | 'sum' | 'none'):
 * - nllLoss(logProbs [N, C, ...], target [N, ...] of class ids): -logProbs[target], mean over
 *   the targets that are not ignoreIndex.
 * - crossEntropy(logits, target, { labelSmoothing }): logSoftmax over dim 1, then
 *   (1 - e) * nll + e * mean over classes of -logProbs (Szegedy et al. 2016), as PyTorch.
 * - mseLoss, l1Loss: mean of (a - b)^2 and |a - b|.
 * - bceWithLogits(x, y): max(x, 0) - x * y + log(1 + exp(-|x|)), the stable form; gradient
 *   sigmoid(x) - y.
 */
import {
  ArgumentError,
  checkTensor,
  formatShape,
  optionEnum,
  optionInteger,
  optionNumber,
  readOptions,
  ShapeError,
  Tensor,
} from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';
import { abs, logSoftmax, square } from './activations';
import { mean, scale, sub, sum } from './arithmetic';

export type Reduction = 'mean' | 'sum' | 'none';
const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

export interface NllLossOptions {
  reduction?: Reduction;
  /** Targets with this id count for nothing (-100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** In [0, 1] (0). */
  labelSmoothing?: number;
}

function reduce(v: Variable, reduction: Reduction): Variable {
  return reduction === 'none' ? v : reduction === 'sum' ? sum(v) : mean(v);
}

/** Checks class-id targets against [N, C, ...] scores; returns the ids as numbers. */
function checkTarget(
  op: string,
  scores: readonly number[],
  target: Tensor,
  ignoreIndex: number,
): Float32Array {
  checkTensor(op, 'target', target);
  const expected = [scores[0]!, ...scores.slice(2)];
  if (
    scores.length < 2 ||
    target.shape.length !== expected.length ||
    target.shape.some((d, i) => d !== expected[i])
  ) {
    throw new ShapeError(
      `${op}: target must be ${formatShape(expected)} class ids for input ${formatShape(scores)}, got ${formatShape(target.shape)}`,
    );
  }
  const ids = target.toFloat32Array();
  const C = scores[1]!;
  for (const id of ids) {
    if (id !== ignoreIndex && (!Number.isInteger(id) || id < 0 || id >= C)) {
      throw new ArgumentError(
        `${op}: target holds ${id}, not a class id in [0, ${C - 1}] (or ignoreIndex ${ignoreIndex})`,
      );
    }
  }
  return ids;
}

/** Per-target -logProbs[target] ([N, ...], 0 where ignored), differentiable in logProbs. */
function pickNegative(v: Variable, ids: Float32Array, ignoreIndex: number): Variable {
  const be = getBackend();
  return record('nllLoss', be.nllPick(v.data, ids, ignoreIndex), [v], (g) => [
    be.nllPickBackward(g, ids, ignoreIndex, v.shape),
  ]);
}

export function readLossOptions(op: string, options: unknown, smoothing: boolean) {
  const o = readOptions(
    op,
    options,
    smoothing ? ['reduction', 'ignoreIndex', 'labelSmoothing'] : ['reduction', 'ignoreIndex'],
  );
  return {
    reduction: optionEnum(op, 'reduction', o.reduction, REDUCTIONS, 'mean'),
    ignoreIndex: optionInteger(op, 'ignoreIndex', o.ignoreIndex, -100),
    labelSmoothing: optionNumber(
      op,
      'labelSmoothing',
      (o as { labelSmoothing?: unknown }).labelSmoothing,
      0,
      {
        min: 0,
        max: 1,
      },
    ),
  };
}

/** Mean over the non-ignored targets (PyTorch's 'mean' for class-id targets). */
function reduceTargets(v: Variable, ids: Float32Array, ignoreIndex: number, reduction: Reduction): Variable {
  if (reduction !== 'mean') return reduce(v, reduction);
  let counted = 0;
  for (const id of ids) if (id !== ignoreIndex) counted++;
  return scale(sum(v), 1 / counted);
}

export function nllLoss(logProbs: Input, target: Tensor, options?: NllLossOptions): Variable {
  const v = asVariable('nllLoss', 'input', logProbs);
  const { reduction, ignoreIndex } = readLossOptions('nllLoss', options, false);
  const ids = checkTarget('nllLoss', v.shape, target, ignoreIndex);
  return reduceTargets(pickNegative(v, ids, ignoreIndex), ids, ignoreIndex, reduction);
}

export function crossEntropy(logits: Input, target: Tensor, options?: CrossEntropyOptions): Variable {
  const v = asVariable('crossEntropy', 'input', logits);
  const { reduction, ignoreIndex, labelSmoothing } = readLossOptions('crossEntropy', options, true);
  const ids = checkTarget('crossEntropy', v.shape, target, ignoreIndex);
  const lp = logSoftmax(v, 1);
  const nll = pickNegative(lp, ids, ignoreIndex);
  if (labelSmoothing === 0) return reduceTargets(nll, ids, ignoreIndex, reduction);
  // -mean over classes of logProbs, zero where the target is ignored.
  let smooth = scale(mean(lp, 1), -1);
  if (ids.some((id) => id === ignoreIndex)) {
    const keep = new Tensor(
      Float32Array.from(ids, (id) => (id === ignoreIndex ? 0 : 1)),
      nll.shape,
    );
    smooth = record('mask', getBackend().binary('mul', smooth.data, keep), [smooth], (g) => [
      getBackend().binary('mul', g, keep),
    ]);
  }
  const nllPart = reduceTargets(nll, ids, ignoreIndex, reduction);
  const smoothPart = reduceTargets(smooth, ids, ignoreIndex, reduction);
  const be = getBackend();
  const a = scale(nllPart, 1 - labelSmoothing);
  const b = scale(smoothPart, labelSmoothing);
  return record('crossEntropy', be.binary('add', a.data, b.data), [a, b], (g) => [g, g]);
}

function checkPair(op: string, a: Variable, b: Variable): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(
      `${op}: input ${formatShape(a.shape)} and target ${formatShape(b.shape)} must have one shape`,
    );
  }
}

export function readReduction(op: string, options: unknown): Reduction {
  const o = readOptions(op, options, ['reduction']);
  return optionEnum(op, 'reduction', o.reduction, REDUCTIONS, 'mean');
}

export function mseLoss(input: Input, target: Input, options?: { reduction?: Reduction }): Variable {
  const a = asVariable('mseLoss', 'input', input);
  const b = asVariable('mseLoss', 'target', target);
  checkPair('mseLoss', a, b);
  return reduce(square(sub(a, b)), readReduction('mseLoss', options));
}

export function l1Loss(input: Input, target: Input, options?: { reduction?: Reduction }): Variable {
  const a = asVariable('l1Loss', 'input', input);
  const b = asVariable('l1Loss', 'target', target);
  checkPair('l1Loss', a, b);
  return reduce(abs(sub(a, b)), readReduction('l1Loss', options));
}

export function bceWithLogits(logits: Input, target: Input, options?: { reduction?: Reduction }): Variable {
  const a = asVariable('bceWithLogits', 'input', logits);
  const b = asVariable('bceWithLogits', 'target', target);
  checkPair('bceWithLogits', a, b);
  const reduction = readReduction('bceWithLogits', options);
  const be = getBackend();
  const elementwise = record('bceWithLogits', be.bceWithLogits(a.data, b.data), [a, b], (g) => {
    const grads = be.bceWithLogitsBackward(g, a.data, b.data);
    return [grads.gradInput, grads.gradTarget];
  });
  return reduce(elementwise, reduction);
}
