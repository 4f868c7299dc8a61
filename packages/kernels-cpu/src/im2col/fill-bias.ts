/**
 * fillBias: writes bias[c] over every position of channel c of every sample of a fresh
 * [N, C, ...spatial] channels-first output, so the GEMMs (beta = 1) and col2im then add into
 * it: the bias goes in first, as PyTorch's im2col convolution does, and positions no tap
 * reaches (transposed convolution's stride holes and output padding) keep the bias alone.
 */

/** out[(n * channels + c) * volume + i] = bias[c]; no-op without a bias. */
export function fillBias(
  out: Float32Array,
  bias: Float32Array | null,
  batch: number,
  channels: number,
  volume: number,
): void {
  if (bias === null) return;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const start = (n * channels + c) * volume;
      out.fill(bias[c]!, start, start + volume);
    }
  }
}
