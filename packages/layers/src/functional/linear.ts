/**
 * Differentiable matrix products: matmul of 2-D operands, and linear, y = x W^T + b over the
 * last dim of x (any leading dims), PyTorch's F.linear with weight [out, in] (the backend's
 * linear kernels: on the CPU a 1x1 convolution, see cpu/linear.ts).
 *   d(a @ b)/da = g @ b^T,  d(a @ b)/db = a^T @ g
 */
import { formatShape, ShapeError } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

export function matmul(a: Input, b: Input): Variable {
  const va = asVariable('matmul', 'a', a);
  const vb = asVariable('matmul', 'b', b);
  if (va.shape.length !== 2 || vb.shape.length !== 2 || va.shape[1] !== vb.shape[0]) {
    throw new ShapeError(
      `matmul: needs [m, k] and [k, n] matrices, got ${formatShape(va.shape)} and ${formatShape(vb.shape)}`,
    );
  }
  const be = getBackend();
  return record('matmul', be.matmul(va.data, vb.data, false, false), [va, vb], (g) => [
    va.requiresGrad ? be.matmul(g, vb.data, false, true) : null,
    vb.requiresGrad ? be.matmul(va.data, g, true, false) : null,
  ]);
}

export function linear(x: Input, weight: Input, bias: Input | null = null): Variable {
  const vx = asVariable('linear', 'input', x);
  const vw = asVariable('linear', 'weight', weight);
  const vb = bias === null ? null : asVariable('linear', 'bias', bias);
  const inFeatures = vx.shape[vx.shape.length - 1];
  if (vw.shape.length !== 2 || vx.shape.length < 1 || vw.shape[1] !== inFeatures) {
    throw new ShapeError(
      `linear: input ${formatShape(vx.shape)} has ${inFeatures} features but weight ${formatShape(vw.shape)} expects ${vw.shape[1]}`,
    );
  }
  const outFeatures = vw.shape[0]!;
  if (vb && (vb.shape.length !== 1 || vb.shape[0] !== outFeatures)) {
    throw new ShapeError(`linear: bias must be [${outFeatures}], got ${formatShape(vb.shape)}`);
  }
  const be = getBackend();
  const rows = vx.data.size / inFeatures!;
  const x2 = vx.data.reshape([rows, inFeatures!]);
  const y = be.linear(x2, vw.data, vb?.data ?? null);
  const outShape = [...vx.shape.slice(0, -1), outFeatures];
  const inputs = vb ? [vx, vw, vb] : [vx, vw];
  return record('linear', y.reshape(outShape), inputs, (g) => {
    const grads = be.linearBackward(g.reshape([rows, outFeatures]), x2, vw.data);
    return [grads.gradInput.reshape(vx.shape), grads.gradWeight, ...(vb ? [grads.gradBias] : [])];
  });
}
