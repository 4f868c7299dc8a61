/**
 * Differentiable normalisation: batchNorm (training: the batch's statistics, which also
 * update the running ones in place as PyTorch does, running_var with the unbiased variance;
 * eval: the running statistics), groupNorm and layerNorm (normalizeRows, then the affine
 * step as broadcast mul/add). Formulas: Ioffe & Szegedy 2015; Wu & He 2018; Ba et al. 2016.
 */
import { formatShape, ShapeError, shapeSize, type Tensor } from '@convkit/tensor';
import { isConsumable } from '../autograd/private-values';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';
import { add, mul } from './arithmetic';
import { reshape } from './shape-ops';

export interface BatchNormArgs {
  weight?: Input | null;
  bias?: Input | null;
  /** Updated in place when training; used when not. */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  /** Running-average factor (0.1); null: cumulative average (PyTorch's momentum=None). */
  momentum?: number | null;
  eps?: number;
  /** Batches seen so far, for the cumulative average (momentum null). */
  numBatchesTracked?: number;
}

export function batchNorm(x: Input, args: BatchNormArgs): Variable {
  const v = asVariable('batchNorm', 'input', x);
  if (v.shape.length < 2)
    throw new ShapeError(`batchNorm: input must be [N, C, ...], got ${formatShape(v.shape)}`);
  const C = v.shape[1]!;
  const vw = args.weight ? asVariable('batchNorm', 'weight', args.weight) : null;
  const vb = args.bias ? asVariable('batchNorm', 'bias', args.bias) : null;
  for (const [name, t] of [
    ['weight', vw?.data],
    ['bias', vb?.data],
    ['runningMean', args.runningMean],
    ['runningVar', args.runningVar],
  ] as const) {
    if (t && (t.shape.length !== 1 || t.shape[0] !== C)) {
      throw new ShapeError(
        `batchNorm: ${name} must be [${C}] for input ${formatShape(v.shape)}, got ${formatShape(t.shape)}`,
      );
    }
  }
  const eps = args.eps ?? 1e-5;
  const be = getBackend();
  let mean: Float64Array;
  let invstd: Float64Array;
  let y: Tensor | null = null;
  const useBatch = args.training || !args.runningMean || !args.runningVar;
  if (useBatch) {
    const count = v.data.size / C;
    if (args.training && count <= 1) {
      throw new ShapeError(
        `batchNorm: training needs more than one value per channel, got input ${formatShape(v.shape)}`,
      );
    }
    // One call where the backend offers it (the input read once less), else statistics then apply.
    const fused = be.batchNormForward?.(v.data, eps, vw?.data ?? null, vb?.data ?? null);
    const stats = fused ?? be.batchNormStats(v.data);
    mean = stats.mean;
    invstd = fused?.invstd ?? stats.variance.map((s) => 1 / Math.sqrt(s + eps));
    y = fused?.output ?? null;
    if (args.training && args.runningMean && args.runningVar) {
      const m = args.momentum === null ? 1 / ((args.numBatchesTracked ?? 0) + 1) : (args.momentum ?? 0.1);
      // The running variance is the unbiased one (PyTorch), the normalisation uses the biased one.
      const unbiased = stats.variance.map((v) => (v * count) / (count - 1));
      be.updateRunningStat(args.runningMean, stats.mean, m);
      be.updateRunningStat(args.runningVar, unbiased, m);
    }
  } else {
    mean = Float64Array.from(args.runningMean!.toFloat32Array());
    invstd = Float64Array.from(args.runningVar!.toFloat32Array(), (s) => 1 / Math.sqrt(s + eps));
  }
  y ??= be.batchNormApply(v.data, mean, invstd, vw?.data ?? null, vb?.data ?? null);
  const inputs = [v, ...(vw ? [vw] : []), ...(vb ? [vb] : [])];
  return record('batchNorm', y, inputs, (g) => {
    const grads = be.batchNormBackward(g, v.data, mean, invstd, vw?.data ?? null, useBatch, isConsumable(g));
    return [grads.gradInput, ...(vw ? [grads.gradWeight] : []), ...(vb ? [grads.gradBias] : [])];
  });
}

/** Zero mean and unit variance over each of `rows` equal slices of x (differentiable). */
function normalizeRows(v: Variable, rows: number, eps: number): Variable {
  const be = getBackend();
  const { output, invstd } = be.normalizeRows(v.data, rows, eps);
  return record('normalize', output, [v], (g) => [be.normalizeRowsBackward(g, output, invstd)]);
}

export function groupNorm(
  x: Input,
  numGroups: number,
  weight: Input | null = null,
  bias: Input | null = null,
  eps = 1e-5,
): Variable {
  const v = asVariable('groupNorm', 'input', x);
  if (v.shape.length < 2 || v.shape[1]! % numGroups !== 0) {
    throw new ShapeError(
      `groupNorm: input ${formatShape(v.shape)} must be [N, C, ...] with C divisible by ${numGroups} groups`,
    );
  }
  const C = v.shape[1]!;
  let y = normalizeRows(v, v.shape[0]! * numGroups, eps);
  const channelShape = [1, C, ...new Array(v.shape.length - 2).fill(1)];
  if (weight !== null) y = mul(y, reshape(weight, channelShape));
  if (bias !== null) y = add(y, reshape(bias, channelShape));
  return y;
}

export function layerNorm(
  x: Input,
  normalizedShape: readonly number[],
  weight: Input | null = null,
  bias: Input | null = null,
  eps = 1e-5,
): Variable {
  const v = asVariable('layerNorm', 'input', x);
  const tail = v.shape.slice(v.shape.length - normalizedShape.length);
  if (normalizedShape.length > v.shape.length || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(
      `layerNorm: input ${formatShape(v.shape)} must end with the normalized shape ${formatShape(normalizedShape)}`,
    );
  }
  let y = normalizeRows(v, v.data.size / shapeSize(normalizedShape), eps);
  if (weight !== null) y = mul(y, weight);
  if (bias !== null) y = add(y, bias);
  return y;
}
