/**
 * Differentiable layout ops: reshape (view), flatten, permute, transpose, cat, split, pad
 * (constant), pixelShuffle. Reshape and permute return views of the value; their gradients
 * are the inverse view. cat/split/pad copy through strided views, and their gradients are
 * the matching slices.
 */
import { ArgumentError, formatShape, ShapeError, shapeSize, Tensor } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

function resolveDim(op: string, rank: number, dim: number, shape: readonly number[]): number {
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) {
    throw new ArgumentError(`${op}: dim ${dim} does not exist in shape ${formatShape(shape)}`);
  }
  return d;
}

export function reshape(x: Input, shape: readonly number[]): Variable {
  const v = asVariable('reshape', 'x', x);
  const y = v.data.reshape(shape);
  return record('reshape', y, [v], (g) => [g.reshape(v.shape)]);
}

/** Merges dims startDim..endDim into one (PyTorch's flatten; defaults 1 and -1, as nn.Flatten). */
export function flatten(x: Input, startDim = 1, endDim = -1): Variable {
  const v = asVariable('flatten', 'x', x);
  const rank = v.shape.length;
  if (rank === 0) return reshape(v, [1]);
  const s = resolveDim('flatten', rank, startDim, v.shape);
  const e = resolveDim('flatten', rank, endDim, v.shape);
  if (s > e) throw new ArgumentError(`flatten: startDim ${startDim} must not come after endDim ${endDim}`);
  const shape = [...v.shape.slice(0, s), shapeSize(v.shape.slice(s, e + 1)), ...v.shape.slice(e + 1)];
  return reshape(v, shape);
}

export function permute(x: Input, order: readonly number[]): Variable {
  const v = asVariable('permute', 'x', x);
  const y = v.data.permute(order);
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => {
    inverse[d] = i;
  });
  return record('permute', y, [v], (g) => [g.permute(inverse)]);
}

export function transpose(x: Input, a: number, b: number): Variable {
  const v = asVariable('transpose', 'x', x);
  const order = v.shape.map((_, i) => i);
  const da = resolveDim('transpose', v.shape.length, a, v.shape);
  const db = resolveDim('transpose', v.shape.length, b, v.shape);
  order[da] = db;
  order[db] = da;
  return permute(v, order);
}

/** A contiguous copy (makes a permuted view row-major; the gradient passes through). */
export function contiguous(x: Input): Variable {
  const v = asVariable('contiguous', 'x', x);
  return record('contiguous', getBackend().contiguous(v.data), [v], (g) => [g]);
}

/** Joins tensors along `dim`; all other dims must agree. */
export function cat(inputs: readonly Input[], dim = 0): Variable {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new ArgumentError('cat: inputs must be a non-empty array of tensors');
  }
  const vs = inputs.map((x, i) => asVariable('cat', `inputs[${i}]`, x));
  const first = vs[0]!.shape;
  const d = resolveDim('cat', first.length, dim, first);
  for (const [i, v] of vs.entries()) {
    if (v.shape.length !== first.length || v.shape.some((s, k) => k !== d && s !== first[k])) {
      throw new ShapeError(
        `cat: inputs[${i}] has shape ${formatShape(v.shape)}, which differs from ${formatShape(first)} outside dim ${d}`,
      );
    }
  }
  const be = getBackend();
  const outShape = [...first];
  outShape[d] = vs.reduce((acc, v) => acc + v.shape[d]!, 0);
  const out = new Tensor(new Float32Array(shapeSize(outShape)), outShape);
  const starts: number[] = [];
  let at = 0;
  for (const v of vs) {
    starts.push(at);
    be.assignInto(out.slice(d, at, at + v.shape[d]!), v.data);
    at += v.shape[d]!;
  }
  return record('cat', out, vs, (g) =>
    vs.map((v, i) => g.slice(d, starts[i]!, starts[i]! + v.shape[d]!).contiguous()),
  );
}

/** Splits along `dim` into pieces of `sizes` (a number: equal pieces, the last may be smaller). */
export function split(x: Input, sizes: number | readonly number[], dim = 0): Variable[] {
  const v = asVariable('split', 'x', x);
  const d = resolveDim('split', v.shape.length, dim, v.shape);
  const length = v.shape[d]!;
  let pieces: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) {
      throw new ArgumentError(`split: size must be a positive integer, got ${sizes}`);
    }
    pieces = [];
    for (let s = 0; s < length; s += sizes) pieces.push(Math.min(sizes, length - s));
  } else {
    pieces = [...sizes];
    if (pieces.some((s) => !Number.isInteger(s) || s < 0) || pieces.reduce((a, b) => a + b, 0) !== length) {
      throw new ArgumentError(
        `split: sizes ${formatShape(pieces)} must be non-negative integers summing to dim ${d}'s size ${length}`,
      );
    }
  }
  const be = getBackend();
  const out: Variable[] = [];
  let at = 0;
  for (const size of pieces) {
    const start = at;
    const part = v.data.slice(d, start, start + size).contiguous();
    out.push(
      record('split', part, [v], (g) => {
        const full = new Tensor(new Float32Array(shapeSize(v.shape)), v.shape);
        be.assignInto(full.slice(d, start, start + size), g);
        return [full];
      }),
    );
    at += size;
  }
  return out;
}

/**
 * Constant padding of the trailing dims, PyTorch's F.pad order: [left, right] of the last dim,
 * then [top, bottom] of the one before, and so on. Negative amounts crop.
 */
export function pad(x: Input, amounts: readonly number[], value = 0): Variable {
  const v = asVariable('pad', 'x', x);
  const rank = v.shape.length;
  if (!Array.isArray(amounts) || amounts.length % 2 !== 0 || amounts.length / 2 > rank) {
    throw new ArgumentError(
      `pad: amounts must hold a [before, after] pair per padded dim (at most ${rank} pairs), got ${JSON.stringify(amounts)}`,
    );
  }
  if (amounts.some((a) => !Number.isInteger(a))) {
    throw new ArgumentError(`pad: amounts must be integers, got ${JSON.stringify(amounts)}`);
  }
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  for (let i = 0; i < amounts.length / 2; i++) {
    before[rank - 1 - i] = amounts[2 * i]!;
    after[rank - 1 - i] = amounts[2 * i + 1]!;
  }
  const outShape = v.shape.map((s, i) => s + before[i]! + after[i]!);
  if (outShape.some((s) => s < 0)) {
    throw new ShapeError(
      `pad: cropping ${JSON.stringify(amounts)} leaves a negative size from ${formatShape(v.shape)}`,
    );
  }
  // The region both share: in the input from max(-before, 0), in the output from max(before, 0).
  const window = (t: Tensor, inOutput: boolean) => {
    let view = t;
    for (let d = 0; d < rank; d++) {
      const start = inOutput ? Math.max(before[d]!, 0) : Math.max(-before[d]!, 0);
      const length = v.shape[d]! - Math.max(-before[d]!, 0) - Math.max(-after[d]!, 0);
      view = view.slice(d, start, start + Math.max(length, 0));
    }
    return view;
  };
  const be = getBackend();
  const out = new Tensor(new Float32Array(shapeSize(outShape)).fill(value), outShape);
  be.assignInto(window(out, true), window(v.data, false));
  return record('pad', out, [v], (g) => {
    const gx = new Tensor(new Float32Array(shapeSize(v.shape)), v.shape);
    be.assignInto(window(gx, false), window(g, true));
    return [gx];
  });
}

/** [N, C * r^2, H, W] -> [N, C, H * r, W * r] (Shi et al. 2016), as a reshape-permute-reshape. */
export function pixelShuffle(x: Input, upscaleFactor: number): Variable {
  const v = asVariable('pixelShuffle', 'x', x);
  const r = upscaleFactor;
  if (!Number.isInteger(r) || r < 1) {
    throw new ArgumentError(`pixelShuffle: upscaleFactor must be a positive integer, got ${r}`);
  }
  if (v.shape.length !== 4 || v.shape[1]! % (r * r) !== 0) {
    throw new ShapeError(
      `pixelShuffle: input must be [N, C * ${r * r}, H, W] with channels divisible by ${r * r}, got ${formatShape(v.shape)}`,
    );
  }
  const [N, C, H, W] = v.shape as [number, number, number, number];
  const c = C / (r * r);
  const split6 = reshape(v, [N, c, r, r, H, W]);
  const moved = contiguous(permute(split6, [0, 1, 4, 2, 5, 3]));
  return reshape(moved, [N, c, H * r, W * r]);
}
