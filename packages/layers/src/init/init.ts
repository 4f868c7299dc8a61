/**
 * Parameter initialisation as PyTorch's nn.init and the layers' reset_parameters:
 * kaimingUniform(a) draws U(-b, b) with b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2));
 * with a = sqrt(5) (every conv and linear weight) that is b = 1 / sqrt(fan_in), the same bound
 * the biases use. fan_in = size(1) * prod(size(2:)): C_in/groups * prod(k) for a conv weight,
 * C_out/groups * prod(k) for a transposed one (PyTorch computes it from the tensor alike).
 */
import { ArgumentError, checkShape, type Rng, shapeSize, Tensor } from '@convkit/tensor';
import { globalRng } from './global-rng';

/** fan_in of a weight of this shape (PyTorch's _calculate_fan_in_and_fan_out). */
export function fanIn(shape: readonly number[]): number {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new ArgumentError(`fanIn: shape must be a non-empty array of sizes, got ${JSON.stringify(shape)}`);
  }
  checkShape('fanIn', 'the', shape);
  return shape.length < 2 ? shape[0]! : shape[1]! * shapeSize(shape.slice(2));
}

/** U(-bound, bound). */
export function uniform(shape: readonly number[], bound: number, rng: Rng = globalRng()): Tensor {
  if (typeof bound !== 'number' || !Number.isFinite(bound) || bound < 0) {
    throw new ArgumentError(`uniform: bound must be a finite number >= 0, got ${String(bound)}`);
  }
  checkShape('uniform', 'the', shape);
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
  return new Tensor(data, shape);
}

/** kaiming_uniform_(w, a) with fan_in mode and leaky_relu gain. */
export function kaimingUniform(shape: readonly number[], a = Math.sqrt(5), rng: Rng = globalRng()): Tensor {
  if (typeof a !== 'number' || !Number.isFinite(a)) {
    throw new ArgumentError(`kaimingUniform: a must be a finite number, got ${String(a)}`);
  }
  const gain = Math.sqrt(2 / (1 + a * a));
  const fan = fanIn(shape);
  return uniform(shape, fan > 0 ? gain * Math.sqrt(3 / fan) : 0, rng);
}

/** N(0, 1) (nn.Embedding's init). */
export function normal(shape: readonly number[], rng: Rng = globalRng()): Tensor {
  checkShape('normal', 'the', shape);
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, shape);
}
