/**
 * Differentiable element-wise activations (relu, relu6, leakyRelu, gelu, silu, sigmoid,
 * tanh) and maths (exp, log, abs, square, sqrt, neg), and softmax / logSoftmax along a dim.
 * Each backward is the derivative written beside its forward in cpu/elementwise.ts.
 */
import { ArgumentError, formatShape, type Tensor } from '@convkit/tensor';
import { isConsumable } from '../autograd/private-values';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';
import type { UnaryKind } from '../cpu/elementwise';

function unaryOp(kind: UnaryKind, x: Input, param = 0): Variable {
  const v = asVariable(kind, 'x', x);
  const be = getBackend();
  const y = be.unary(kind, v.data, param);
  return record(kind, y, [v], (g) => [unaryGradient(kind, v.data, y, g, param)]);
}

/** The input's gradient: written over g when the engine lets this backward consume it. */
function unaryGradient(kind: UnaryKind, x: Tensor, y: Tensor, g: Tensor, param: number): Tensor {
  const be = getBackend();
  if (isConsumable(g) && be.unaryBackwardInPlace?.(kind, x, y, g, param)) return g;
  return be.unaryBackward(kind, x, y, g, param);
}

export const relu = (x: Input): Variable => unaryOp('relu', x);

/**
 * relu written over `v`'s own memory (PyTorch's relu_), for a value nothing else reads: the
 * caller guarantees that no one holds `v` and that the backward of the op that made it does
 * not use it (a Sequential checks both). ReLU's backward needs only its output, which is
 * then `v`'s memory. Out of place when the backend has no in-place kernel or `v` is a view.
 */
export function reluInPlace(v: Variable): Variable {
  const be = getBackend();
  if (!be.unaryInPlace?.('relu', v.data, 0)) return relu(v);
  const y = v.data;
  return record('relu', y, [v], (g) => [unaryGradient('relu', y, y, g, 0)]);
}
export const relu6 = (x: Input): Variable => unaryOp('relu6', x);
export const sigmoid = (x: Input): Variable => unaryOp('sigmoid', x);
export const tanh = (x: Input): Variable => unaryOp('tanh', x);
export const silu = (x: Input): Variable => unaryOp('silu', x);
export const exp = (x: Input): Variable => unaryOp('exp', x);
export const log = (x: Input): Variable => unaryOp('log', x);
export const abs = (x: Input): Variable => unaryOp('abs', x);
export const square = (x: Input): Variable => unaryOp('square', x);
export const sqrt = (x: Input): Variable => unaryOp('sqrt', x);
export const neg = (x: Input): Variable => unaryOp('neg', x);

export function leakyRelu(x: Input, negativeSlope = 0.01): Variable {
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
    throw new ArgumentError(`leakyRelu: negativeSlope must be a finite number, got ${String(negativeSlope)}`);
  }
  return unaryOp('leakyRelu', x, negativeSlope);
}

/** GELU, exact (erf) or with approximate: 'tanh'. */
export function gelu(x: Input, approximate: 'none' | 'tanh' = 'none'): Variable {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ArgumentError(`gelu: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
  }
  return unaryOp(approximate === 'tanh' ? 'geluTanh' : 'gelu', x);
}

function resolveDim(op: string, shape: readonly number[], dim: number): number {
  const d = dim < 0 ? dim + shape.length : dim;
  if (!Number.isInteger(d) || d < 0 || d >= shape.length) {
    throw new ArgumentError(`${op}: dim ${dim} does not exist in shape ${formatShape(shape)}`);
  }
  return d;
}

function softmaxOp(op: string, x: Input, dim: number, log: boolean): Variable {
  const v = asVariable(op, 'x', x);
  const d = resolveDim(op, v.shape, dim);
  const be = getBackend();
  const y = be.softmax(v.data, d, log);
  return record(op, y, [v], (g) => [be.softmaxBackward(g, y, d, log)]);
}

export const softmax = (x: Input, dim: number): Variable => softmaxOp('softmax', x, dim, false);
export const logSoftmax = (x: Input, dim: number): Variable => softmaxOp('logSoftmax', x, dim, true);
