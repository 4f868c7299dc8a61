/**
 * Loss kernels: the negative log-likelihood pick (-logProbs at each target class, 0 where
 * the target is ignored) with its scatter adjoint, and binary cross-entropy on logits in the
 * stable form max(x, 0) - x * y + log(1 + exp(-|x|)), whose gradients are sigmoid(x) - y
 * (logits) and -x (targets).
 */
import { shapeSize, Tensor } from '@convkit/tensor';

/** logProbs [N, C, ...], ids [N * prod(...)] -> [N, ...]. */
export function nllPick(logProbs: Tensor, ids: Float32Array, ignoreIndex: number): Tensor {
  const [N, C] = [logProbs.shape[0]!, logProbs.shape[1]!];
  const inner = shapeSize(logProbs.shape.slice(2));
  const x = logProbs.contiguous().data;
  const out = new Float32Array(N * inner);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < inner; i++) {
      const id = ids[n * inner + i]!;
      if (id !== ignoreIndex) out[n * inner + i] = -x[(n * C + id) * inner + i]!;
    }
  return new Tensor(out, [N, ...logProbs.shape.slice(2)]);
}

/** The gradient of nllPick with respect to logProbs. */
export function nllPickBackward(
  gradOutput: Tensor,
  ids: Float32Array,
  ignoreIndex: number,
  inputShape: readonly number[],
): Tensor {
  const [N, C] = [inputShape[0]!, inputShape[1]!];
  const inner = shapeSize(inputShape.slice(2));
  const g = gradOutput.contiguous().data;
  const gx = new Float32Array(shapeSize(inputShape));
  for (let n = 0; n < N; n++)
    for (let i = 0; i < inner; i++) {
      const id = ids[n * inner + i]!;
      if (id !== ignoreIndex) gx[(n * C + id) * inner + i] = -g[n * inner + i]!;
    }
  return new Tensor(gx, inputShape);
}

export function bceWithLogits(logits: Tensor, target: Tensor): Tensor {
  const x = logits.contiguous().data;
  const y = target.contiguous().data;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = Math.max(v, 0) - v * y[i]! + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return new Tensor(out, logits.shape);
}

export interface BceGradients {
  gradInput: Tensor;
  gradTarget: Tensor;
}

export function bceWithLogitsBackward(gradOutput: Tensor, logits: Tensor, target: Tensor): BceGradients {
  const g = gradOutput.contiguous().data;
  const x = logits.contiguous().data;
  const y = target.contiguous().data;
  const gx = new Float32Array(x.length);
  const gy = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    gx[i] = g[i]! * (s - y[i]!);
    gy[i] = -g[i]! * v;
  }
  return { gradInput: new Tensor(gx, logits.shape), gradTarget: new Tensor(gy, target.shape) };
}
