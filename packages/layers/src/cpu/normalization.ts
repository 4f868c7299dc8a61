/**
 * Normalisation kernels. Batch norm normalises each channel of [N, C, ...] over the batch and
 * every position (Ioffe & Szegedy 2015); `normalizeRows` normalises each row of an [R, M]
 * matrix, which is group norm (rows = N * groups) and layer norm (rows = the leading dims)
 * before their affine step. Statistics are summed in float64; the variance is the biased one
 * (divided by M), as PyTorch normalises with; the running variance uses the unbiased one.
 * Backward (training mode), with xhat = (x - mean) * invstd over the M values of a group:
 *   gx = invstd / M * (M * gy - sum(gy) - xhat * sum(gy * xhat))
 */
import {
  layerBatchNormApply,
  layerBatchNormBackward,
  layerBatchNormForward,
  layerBatchNormStats,
} from '@convkit/kernels-cpu';
import { shapeSize, Tensor } from '@convkit/tensor';
import { flatValues } from './flat-values';
import { takeBuffer } from './recycled-buffers';

export interface ChannelStats {
  /** Per channel (or per row): mean and biased variance. */
  mean: Float64Array;
  variance: Float64Array;
}

/** [N, C, inner] with the values contiguous (the tensor's own buffer when it is already so). */
function channelsView(input: Tensor): { x: Float32Array; N: number; C: number; inner: number } {
  return {
    x: flatValues(input),
    N: input.shape[0]!,
    C: input.shape[1]!,
    inner: shapeSize(input.shape.slice(2)),
  };
}

/**
 * Mean and biased variance per channel of [N, C, ...]: kernels-cpu's layerBatchNormStats, one
 * pass of float64 sums of x - K per channel, K the channel's first value (shifted data keeps
 * the cancellation in sum(d^2) / M - mean(d)^2 small whenever K is near the mean, as a sample
 * of it is), WebAssembly SIMD where loaded.
 */
export function batchNormStats(input: Tensor): ChannelStats {
  const { x, N, C, inner } = channelsView(input);
  return layerBatchNormStats(x, [N, C, inner]);
}

export interface BatchNormForward extends ChannelStats {
  /** 1 / sqrt(variance + eps) per channel. */
  invstd: Float64Array;
  output: Tensor;
}

/** batchNormStats and batchNormApply in one call (kernels-cpu's layerBatchNormForward: x copied once). */
export function batchNormForward(
  input: Tensor,
  eps: number,
  weight: Tensor | null,
  bias: Tensor | null,
): BatchNormForward {
  const { x, N, C, inner } = channelsView(input);
  const r = layerBatchNormForward(x, [N, C, inner], {
    eps,
    weight: weight === null ? null : weight.toFloat32Array(),
    bias: bias === null ? null : bias.toFloat32Array(),
    out: takeBuffer(x.length), // every element is written
  });
  return { mean: r.mean, variance: r.variance, invstd: r.invstd, output: new Tensor(r.output, input.shape) };
}

/** y = (x - mean[c]) * invstd[c] * weight[c] + bias[c] on [N, C, ...] (weight/bias null: 1/0). */
export function batchNormApply(
  input: Tensor,
  mean: Float64Array,
  invstd: Float64Array,
  weight: Tensor | null,
  bias: Tensor | null,
): Tensor {
  const { x, N, C, inner } = channelsView(input);
  const y = layerBatchNormApply(x, [N, C, inner], {
    mean,
    invstd,
    weight: weight === null ? null : weight.toFloat32Array(),
    bias: bias === null ? null : bias.toFloat32Array(),
    out: takeBuffer(x.length), // every element is written
  });
  return new Tensor(y, input.shape);
}

export interface BatchNormGradients {
  gradInput: Tensor;
  gradWeight: Tensor;
  gradBias: Tensor;
}

/**
 * Gradients of batch norm (kernels-cpu's layerBatchNormBackward). `training`: the statistics
 * were the batch's (they depend on x); otherwise the running statistics were constants and
 * gx = gy * weight * invstd. Two passes: float64 sums of g and g * x per channel (then
 * sum(g * xhat) = invstd * (sum(g * x) - mean * sum(g))), and gx as one affine map of g and
 * x - mean per channel.
 */
export function batchNormBackward(
  gradOutput: Tensor,
  input: Tensor,
  mean: Float64Array,
  invstd: Float64Array,
  weight: Tensor | null,
  training: boolean,
  overwriteGradOutput = false,
): BatchNormGradients {
  const { x, N, C, inner } = channelsView(input);
  const g = channelsView(gradOutput).x;
  // In place: each gx[i] is written after the sums and after reading g[i].
  const inPlace =
    overwriteGradOutput &&
    gradOutput.isContiguous &&
    gradOutput.offset === 0 &&
    gradOutput.size === gradOutput.data.length;
  const grads = layerBatchNormBackward(g, x, [N, C, inner], {
    mean,
    invstd,
    weight: weight === null ? null : weight.toFloat32Array(),
    training,
    out: inPlace ? gradOutput.data : takeBuffer(x.length), // every element is written
  });
  return {
    gradInput: new Tensor(grads.gradInput, input.shape),
    gradWeight: new Tensor(grads.gradWeight, [C]),
    gradBias: new Tensor(grads.gradBias, [C]),
  };
}

export interface NormalizedRows {
  output: Tensor;
  /** 1 / sqrt(var + eps) per row. */
  invstd: Float64Array;
}

/** Each of the `rows` rows of the flat input (M = size / rows values each) to zero mean, unit variance. */
export function normalizeRows(input: Tensor, rows: number, eps: number): NormalizedRows {
  const x = input.contiguous().data;
  const M = x.length / rows;
  const y = new Float32Array(x.length);
  const invstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * M;
    let sum = 0;
    for (let i = 0; i < M; i++) sum += x[base + i]!;
    const m = sum / M;
    let sq = 0;
    for (let i = 0; i < M; i++) {
      const d = x[base + i]! - m;
      sq += d * d;
    }
    const s = 1 / Math.sqrt(sq / M + eps);
    invstd[r] = s;
    for (let i = 0; i < M; i++) y[base + i] = (x[base + i]! - m) * s;
  }
  return { output: new Tensor(y, input.shape), invstd };
}

/** Gradient of normalizeRows given its output xhat and invstd. */
export function normalizeRowsBackward(gradOutput: Tensor, output: Tensor, invstd: Float64Array): Tensor {
  const g = gradOutput.contiguous().data;
  const xhat = output.contiguous().data;
  const rows = invstd.length;
  const M = g.length / rows;
  const gx = new Float32Array(g.length);
  for (let r = 0; r < rows; r++) {
    const base = r * M;
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < M; i++) {
      sumG += g[base + i]!;
      sumGX += g[base + i]! * xhat[base + i]!;
    }
    const meanG = sumG / M;
    const meanGX = sumGX / M;
    const s = invstd[r]!;
    for (let i = 0; i < M; i++) gx[base + i] = s * (g[base + i]! - meanG - xhat[base + i]! * meanGX);
  }
  return new Tensor(gx, gradOutput.shape);
}

/** running = (1 - momentum) * running + momentum * batch per channel, in place (a running statistic). */
export function updateRunningStat(running: Tensor, batch: Float64Array, momentum: number): void {
  const r = running.data;
  for (let c = 0; c < batch.length; c++) {
    const at = running.offset + c * running.strides[0]!;
    r[at] = (1 - momentum) * r[at]! + momentum * batch[c]!;
  }
}
