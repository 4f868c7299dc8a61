/**
 * Normalisation kernels. Batch norm normalises each channel of [N, C, ...] over the batch and
 * every position (Ioffe & Szegedy 2015); `normalizeRows` normalises each row of an [R, M]
 * matrix, which is group norm (rows = N * groups) and layer norm (rows = the leading dims)
 * before their affine step. Statistics are summed in float64; the variance is the biased one
 * (divided by M), as PyTorch normalises with; the running variance uses the unbiased one.
 * Backward (training mode), with xhat = (x - mean) * invstd over the M values of a group:
 *   gx = invstd / M * (M * gy - sum(gy) - xhat * sum(gy * xhat))
 */
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
 * Mean and biased variance per channel of [N, C, ...], in one pass: float64 sums of d and d^2
 * with d = x - K, K the channel's first value (shifted data keeps the cancellation in
 * sum(d^2) / M - mean(d)^2 small whenever K is near the mean, as a sample of it is). Two
 * accumulator pairs (even and odd elements), so the adds of neighbours do not wait on each
 * other.
 */
export function batchNormStats(input: Tensor): ChannelStats {
  const { x, N, C, inner } = channelsView(input);
  const count = N * inner;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const pairs = inner - (inner % 2);
  for (let c = 0; c < C; c++) {
    const shift = x[c * inner]!;
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      const pairEnd = base + pairs;
      let i = base;
      for (; i < pairEnd; i += 2) {
        const d0 = x[i]! - shift;
        const d1 = x[i + 1]! - shift;
        s0 += d0;
        s1 += d1;
        q0 += d0 * d0;
        q1 += d1 * d1;
      }
      if (i < base + inner) {
        const d = x[i]! - shift;
        s0 += d;
        q0 += d * d;
      }
    }
    const m = (s0 + s1) / count;
    mean[c] = shift + m;
    variance[c] = Math.max((q0 + q1) / count - m * m, 0);
  }
  return { mean, variance };
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
  const w = weight === null ? null : weight.toFloat32Array();
  const b = bias === null ? null : bias.toFloat32Array();
  const y = takeBuffer(x.length); // every element is written below

  for (let c = 0; c < C; c++) {
    const scale = invstd[c]! * (w === null ? 1 : w[c]!);
    const shift = (b === null ? 0 : b[c]!) - mean[c]! * scale;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      const end = base + inner;
      for (let i = base; i < end; i++) y[i] = x[i]! * scale + shift;
    }
  }
  return new Tensor(y, input.shape);
}

export interface BatchNormGradients {
  gradInput: Tensor;
  gradWeight: Tensor;
  gradBias: Tensor;
}

/**
 * Gradients of batch norm. `training`: the statistics were the batch's (they depend on x);
 * otherwise the running statistics were constants and gx = gy * weight * invstd.
 * Two passes per channel: float64 sums of g and g * x (then sum(g * xhat) = invstd *
 * (sum(g * x) - mean * sum(g))), and gx as one affine map of g and x per channel,
 *   gx = scale * g - scale * invstd * meanGX * x + scale * (invstd * meanGX * mean - meanG)
 * with scale = invstd * weight and meanG, meanGX the sums over the M values.
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
  const count = N * inner;
  const w = weight === null ? null : weight.toFloat32Array();
  // Both loops below write each element, so a recycled buffer needs no clearing.
  const gx = inPlace ? gradOutput.data : takeBuffer(x.length);
  const gw = new Float32Array(C);
  const gb = new Float32Array(C);
  const pairs = inner - (inner % 2);
  for (let c = 0; c < C; c++) {
    const m = mean[c]!;
    const s = invstd[c]!;
    let g0 = 0;
    let g1 = 0;
    let p0 = 0;
    let p1 = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      const pairEnd = base + pairs;
      let i = base;
      for (; i < pairEnd; i += 2) {
        const a = g[i]!;
        const b = g[i + 1]!;
        g0 += a;
        g1 += b;
        p0 += a * x[i]!;
        p1 += b * x[i + 1]!;
      }
      if (i < base + inner) {
        g0 += g[i]!;
        p0 += g[i]! * x[i]!;
      }
    }
    const sumG = g0 + g1;
    const sumGX = s * (p0 + p1 - m * sumG);
    gb[c] = sumG;
    gw[c] = sumGX;
    const scale = s * (w === null ? 1 : w[c]!);
    if (!training) {
      for (let n = 0; n < N; n++) {
        const base = (n * C + c) * inner;
        const end = base + inner;
        for (let i = base; i < end; i++) gx[i] = scale * g[i]!;
      }
      continue;
    }
    // gx = scale * g + beta * x + gamma on this channel.
    const beta = -scale * s * (sumGX / count);
    const gamma = scale * (s * (sumGX / count) * m - sumG / count);
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      const end = base + inner;
      for (let i = base; i < end; i++) gx[i] = scale * g[i]! + beta * x[i]! + gamma;
    }
  }
  return {
    gradInput: new Tensor(gx, input.shape),
    gradWeight: new Tensor(gw, [C]),
    gradBias: new Tensor(gb, [C]),
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
