/**
 * Differentiable arithmetic with broadcasting: add, sub, mul, div (the gradient of a
 * broadcast operand is summed back to its shape), scalar scale/shift, and the reductions sum
 * and mean over all dims or some.
 */
import { ArgumentError, formatShape, shapeSize } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

export function add(a: Input, b: Input): Variable {
  const va = asVariable('add', 'a', a);
  const vb = asVariable('add', 'b', b);
  const be = getBackend();
  return record('add', be.binary('add', va.data, vb.data), [va, vb], (g) => [
    va.requiresGrad ? be.sumToShape(g, va.shape) : null,
    vb.requiresGrad ? be.sumToShape(g, vb.shape) : null,
  ]);
}

export function sub(a: Input, b: Input): Variable {
  const va = asVariable('sub', 'a', a);
  const vb = asVariable('sub', 'b', b);
  const be = getBackend();
  return record('sub', be.binary('sub', va.data, vb.data), [va, vb], (g) => [
    va.requiresGrad ? be.sumToShape(g, va.shape) : null,
    vb.requiresGrad ? be.sumToShape(be.affine(g, -1, 0), vb.shape) : null,
  ]);
}

export function mul(a: Input, b: Input): Variable {
  const va = asVariable('mul', 'a', a);
  const vb = asVariable('mul', 'b', b);
  const be = getBackend();
  return record('mul', be.binary('mul', va.data, vb.data), [va, vb], (g) => [
    va.requiresGrad ? be.sumToShape(be.binary('mul', g, vb.data), va.shape) : null,
    vb.requiresGrad ? be.sumToShape(be.binary('mul', g, va.data), vb.shape) : null,
  ]);
}

export function div(a: Input, b: Input): Variable {
  const va = asVariable('div', 'a', a);
  const vb = asVariable('div', 'b', b);
  const be = getBackend();
  const y = be.binary('div', va.data, vb.data);
  return record('div', y, [va, vb], (g) => [
    va.requiresGrad ? be.sumToShape(be.binary('div', g, vb.data), va.shape) : null,
    // d(a/b)/db = -y / b
    vb.requiresGrad
      ? be.sumToShape(be.affine(be.binary('div', be.binary('mul', g, y), vb.data), -1, 0), vb.shape)
      : null,
  ]);
}

/** scale * x + shift with numbers. */
export function scale(x: Input, factor: number, shift = 0): Variable {
  const v = asVariable('scale', 'x', x);
  if (!Number.isFinite(factor) || !Number.isFinite(shift)) {
    throw new ArgumentError(`scale: factor and shift must be finite numbers, got ${factor} and ${shift}`);
  }
  const be = getBackend();
  return record('scale', be.affine(v.data, factor, shift), [v], (g) => [be.affine(g, factor, 0)]);
}

function checkDims(op: string, shape: readonly number[], dims: readonly number[]): number[] {
  const rank = shape.length;
  const resolved = dims.map((d) => (d < 0 ? d + rank : d));
  for (let i = 0; i < resolved.length; i++) {
    const d = resolved[i]!;
    if (!Number.isInteger(d) || d < 0 || d >= rank || resolved.indexOf(d) !== i) {
      throw new ArgumentError(
        `${op}: dims ${formatShape(dims)} must be distinct dimensions of shape ${formatShape(shape)}`,
      );
    }
  }
  return resolved;
}

/** The shape with `dims` set to 1 (the keepDim form of a reduction). */
function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

/** Sum over `dims` (all when absent); `keepDim` keeps them as size 1. */
export function sum(x: Input, dims?: number | readonly number[], keepDim = false): Variable {
  const v = asVariable('sum', 'x', x);
  const be = getBackend();
  const list = dims === undefined ? v.shape.map((_, i) => i) : typeof dims === 'number' ? [dims] : dims;
  const resolved = checkDims('sum', v.shape, list);
  const kept = keptShape(v.shape, resolved);
  const reduced = be.sumToShape(v.data, kept);
  const outShape = keepDim ? kept : v.shape.filter((_, i) => !resolved.includes(i));
  return record('sum', reduced.reshape(outShape), [v], (g) => [be.broadcastTo(g.reshape(kept), v.shape)]);
}

/** Mean over `dims` (all when absent). */
export function mean(x: Input, dims?: number | readonly number[], keepDim = false): Variable {
  const v = asVariable('mean', 'x', x);
  const list = dims === undefined ? v.shape.map((_, i) => i) : typeof dims === 'number' ? [dims] : dims;
  const resolved = checkDims('mean', v.shape, list);
  const count = shapeSize(resolved.map((d) => v.shape[d]!));
  return scale(sum(v, resolved, keepDim), 1 / count);
}
