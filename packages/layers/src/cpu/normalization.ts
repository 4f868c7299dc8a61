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

export interface ChannelStats {
  /** Per channel (or per row): mean and biased variance. */
  mean: Float64Array;
  variance: Float64Array;
}

/**
 * Mean and biased variance per channel of [N, C, ...], in one pass: float64 sums of d and d^2
 * with d = x - K, K the channel's first value (shifted data keeps the cancellation in
 * sum(d^2) / M - mean(d)^2 small whenever K is near the mean, as a sample of it is).
 */
export function batchNormStats(input: Tensor): ChannelStats {
  const x = input.contiguous().data;
  const [N, C] = [input.shape[0]!, input.shape[1]!];
  const inner = shapeSize(input.shape.slice(2));
  const count = N * inner;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const shift = x[c * inner]!;
    let sum = 0;
    let sq = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const d = x[base + i]! - shift;
        sum += d;
        sq += d * d;
      }
    }
    const m = sum / count;
    mean[c] = shift + m;
    variance[c] = Math.max(sq / count - m * m, 0);
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
  const x = input.contiguous().data;
  const [N, C] = [input.shape[0]!, input.shape[1]!];
  const inner = shapeSize(input.shape.slice(2));
  const w = weight?.contiguous().data;
  const b = bias?.contiguous().data;
  const y = new Float32Array(x.length);
  for (let c = 0; c < C; c++) {
    const scale = invstd[c]! * (w ? w[c]! : 1);
    const shift = (b ? b[c]! : 0) - mean[c]! * scale;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) y[base + i] = x[base + i]! * scale + shift;
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
 */
export function batchNormBackward(
  gradOutput: Tensor,
  input: Tensor,
  mean: Float64Array,
  invstd: Float64Array,
  weight: Tensor | null,
  training: boolean,
): BatchNormGradients {
  const x = input.contiguous().data;
  const g = gradOutput.contiguous().data;
  const [N, C] = [input.shape[0]!, input.shape[1]!];
  const inner = shapeSize(input.shape.slice(2));
  const count = N * inner;
  const w = weight?.contiguous().data;
  const gx = new Float32Array(x.length);
  const gw = new Float32Array(C);
  const gb = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const m = mean[c]!;
    const s = invstd[c]!;
    let sumG = 0;
    let sumGX = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        sumG += g[base + i]!;
        sumGX += g[base + i]! * (x[base + i]! - m) * s;
      }
    }
    gb[c] = sumG;
    gw[c] = sumGX;
    const scale = s * (w ? w[c]! : 1);
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      if (training) {
        const meanG = sumG / count;
        const meanGX = sumGX / count;
        for (let i = 0; i < inner; i++) {
          const xhat = (x[base + i]! - m) * s;
          gx[base + i] = scale * (g[base + i]! - meanG - xhat * meanGX);
        }
      } else {
        for (let i = 0; i < inner; i++) gx[base + i] = scale * g[base + i]!;
      }
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
