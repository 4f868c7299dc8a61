/**
 * Softmax and log-softmax along one dim, computed as [outer, size, inner] with the maximum
 * subtracted first (no overflow). Backward:
 *   softmax:     gx = y * (gy - sum(gy * y))
 *   logSoftmax:  gx = gy - exp(y) * sum(gy)
 */
import { shapeSize, Tensor } from '@convkit/tensor';

function split(shape: readonly number[], dim: number): [number, number, number] {
  return [shapeSize(shape.slice(0, dim)), shape[dim]!, shapeSize(shape.slice(dim + 1))];
}

export function softmax(input: Tensor, dim: number, log: boolean): Tensor {
  const x = input.contiguous().data;
  const [outer, size, inner] = split(input.shape, dim);
  const y = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < size; k++) max = Math.max(max, x[base + k * inner]!);
      let sum = 0;
      for (let k = 0; k < size; k++) sum += Math.exp(x[base + k * inner]! - max);
      if (log) {
        const logSum = Math.log(sum) + max;
        for (let k = 0; k < size; k++) y[base + k * inner] = x[base + k * inner]! - logSum;
      } else {
        for (let k = 0; k < size; k++) y[base + k * inner] = Math.exp(x[base + k * inner]! - max) / sum;
      }
    }
  }
  return new Tensor(y, input.shape);
}

export function softmaxBackward(gradOutput: Tensor, output: Tensor, dim: number, log: boolean): Tensor {
  const g = gradOutput.contiguous().data;
  const y = output.contiguous().data;
  const [outer, size, inner] = split(output.shape, dim);
  const gx = new Float32Array(g.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let dot = 0;
      if (log) {
        for (let k = 0; k < size; k++) dot += g[base + k * inner]!;
        for (let k = 0; k < size; k++) {
          const at = base + k * inner;
          gx[at] = g[at]! - Math.exp(y[at]!) * dot;
        }
      } else {
        for (let k = 0; k < size; k++) dot += g[base + k * inner]! * y[base + k * inner]!;
        for (let k = 0; k < size; k++) {
          const at = base + k * inner;
          gx[at] = y[at]! * (g[at]! - dot);
        }
      }
    }
  }
  return new Tensor(gx, output.shape);
}
