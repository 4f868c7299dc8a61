/**
 * Element-wise kernels: the activations and their derivatives (given the input x, the output
 * y and the upstream gradient gy), and binary arithmetic with NumPy/PyTorch broadcasting,
 * with `sumToShape`, the reduction that undoes a broadcast in the backward pass.
 * GELU is the exact erf form, 0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation.
 */
import { formatShape, ShapeError, shapeSize, Tensor } from '@convkit/tensor';
import { flatValues } from './flat-values';
import { takeBuffer } from './recycled-buffers';

export type UnaryKind =
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'gelu'
  | 'geluTanh'
  | 'silu'
  | 'sigmoid'
  | 'tanh'
  | 'exp'
  | 'log'
  | 'abs'
  | 'neg'
  | 'square'
  | 'sqrt';

export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

/**
 * erf(x) to about 1.2e-7 relative error everywhere (Numerical Recipes' erfc by Chebyshev
 * fitting, W. J. Cody's form), far below float32 resolution.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  // Horner form of the fitted polynomial in t.
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? 1 - r : r - 1;
}

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

/** The same memory as int32 (no copy): the branch-free kernels work on the float's bits. */
function bitsOf(v: Float32Array): Int32Array {
  return new Int32Array(v.buffer, v.byteOffset, v.length);
}

type Forward = (x: Float32Array, y: Float32Array, param: number) => void;
type Backward = (x: Float32Array, y: Float32Array, g: Float32Array, gx: Float32Array, param: number) => void;

/**
 * One small loop per activation (rather than one function with a switch over them all), so
 * that V8 optimises each on its own.
 */
const FORWARD: Record<UnaryKind, Forward> = {
  relu(x, y) {
    // On the bits, without a branch: a data-dependent `v < 0 ? 0 : v` mispredicts on half of
    // a normalised activation's values and ran 4x slower. As int32, every negative number,
    // -0 and -infinity is <= -2^23 (0xff800000); NaNs of either sign and the non-negative
    // numbers are above it, so they are kept (NaN propagates, as in PyTorch) and the rest
    // becomes +0. The comparison, used as a value, compiles to a flag set, not a jump.
    const xi = bitsOf(x);
    const yi = bitsOf(y);
    for (let i = 0; i < xi.length; i++) {
      const v = xi[i]!;
      yi[i] = v & -(v > -0x800000);
    }
  },
  relu6(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = Math.min(Math.max(x[i]!, 0), 6);
  },
  leakyRelu(x, y, slope) {
    for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : slope * x[i]!;
  },
  gelu(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = 0.5 * x[i]! * (1 + erf(x[i]! * SQRT_HALF));
  },
  geluTanh(x, y) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = 0.5 * v * (1 + Math.tanh(GELU_TANH_C * (v + 0.044715 * v * v * v)));
    }
  },
  silu(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = x[i]! * sigmoid(x[i]!);
  },
  sigmoid(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = sigmoid(x[i]!);
  },
  tanh(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
  },
  exp(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]!);
  },
  log(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = Math.log(x[i]!);
  },
  abs(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = Math.abs(x[i]!);
  },
  neg(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = -x[i]!;
  },
  square(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = x[i]! * x[i]!;
  },
  sqrt(x, y) {
    for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]!);
  },
};

const BACKWARD: Record<UnaryKind, Backward> = {
  relu(_x, y, g, gx) {
    // PyTorch's threshold_backward on the output: the gradient passes where y > 0 or y is
    // NaN, i.e. (relu writes +0 for everything else) where y's bits are not 0. Branch-free
    // on the bits, like the forward.
    const yi = bitsOf(y);
    const gi = bitsOf(g);
    const gxi = bitsOf(gx);
    for (let i = 0; i < yi.length; i++) gxi[i] = gi[i]! & -(yi[i]! !== 0);
  },
  relu6(x, _y, g, gx) {
    // PyTorch (hardtanh_backward): the gradient passes strictly inside (0, 6).
    for (let i = 0; i < x.length; i++) gx[i] = x[i]! > 0 && x[i]! < 6 ? g[i]! : 0;
  },
  leakyRelu(x, _y, g, gx, slope) {
    for (let i = 0; i < x.length; i++) gx[i] = x[i]! > 0 ? g[i]! : slope * g[i]!;
  },
  gelu(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const cdf = 0.5 * (1 + erf(v * SQRT_HALF));
      gx[i] = g[i]! * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
  },
  geluTanh(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const t = Math.tanh(GELU_TANH_C * (v + 0.044715 * v * v * v));
      const dInner = GELU_TANH_C * (1 + 3 * 0.044715 * v * v);
      gx[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
    }
  },
  silu(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) {
      const s = sigmoid(x[i]!);
      gx[i] = g[i]! * s * (1 + x[i]! * (1 - s));
    }
  },
  sigmoid(_x, y, g, gx) {
    for (let i = 0; i < y.length; i++) gx[i] = g[i]! * y[i]! * (1 - y[i]!);
  },
  tanh(_x, y, g, gx) {
    for (let i = 0; i < y.length; i++) gx[i] = g[i]! * (1 - y[i]! * y[i]!);
  },
  exp(_x, y, g, gx) {
    for (let i = 0; i < y.length; i++) gx[i] = g[i]! * y[i]!;
  },
  log(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) gx[i] = g[i]! / x[i]!;
  },
  abs(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) gx[i] = g[i]! * Math.sign(x[i]!);
  },
  neg(_x, _y, g, gx) {
    for (let i = 0; i < g.length; i++) gx[i] = -g[i]!;
  },
  square(x, _y, g, gx) {
    for (let i = 0; i < x.length; i++) gx[i] = 2 * g[i]! * x[i]!;
  },
  sqrt(_x, y, g, gx) {
    for (let i = 0; i < y.length; i++) gx[i] = (0.5 * g[i]!) / y[i]!;
  },
};

/** y = f(x) element-wise; `param` is LeakyReLU's negative slope. */
export function unary(kind: UnaryKind, input: Tensor, param = 0): Tensor {
  const x = flatValues(input);
  // Every forward loop writes each element, so a recycled buffer needs no clearing.
  const y = takeBuffer(x.length);
  FORWARD[kind](x, y, param);
  return new Tensor(y, input.shape);
}

/** unaryBackward over gradOutput's own memory, when it is contiguous and covers its whole buffer (else false). */
export function unaryBackwardInPlace(
  kind: UnaryKind,
  input: Tensor,
  output: Tensor,
  gradOutput: Tensor,
  param = 0,
): boolean {
  const g = gradOutput;
  if (!g.isContiguous || g.offset !== 0 || g.size !== g.data.length) return false;
  // Each loop reads g[i] before it writes gx[i] = g[i] * f'(x[i]), so gx may be g.
  BACKWARD[kind](flatValues(input), flatValues(output), g.data, g.data, param);
  return true;
}

/** y = f(x) over x's own memory, when x is contiguous and covers its whole buffer (else false, nothing written). */
export function unaryInPlace(kind: UnaryKind, input: Tensor, param = 0): boolean {
  if (!input.isContiguous || input.offset !== 0 || input.size !== input.data.length) return false;
  FORWARD[kind](input.data, input.data, param);
  return true;
}

/** gx = gy * f'(x), from the input x and (where cheaper) the output y = f(x). */
export function unaryBackward(
  kind: UnaryKind,
  input: Tensor,
  output: Tensor,
  gradOutput: Tensor,
  param = 0,
): Tensor {
  const x = flatValues(input);
  // Every backward loop writes each element, so a recycled buffer needs no clearing.
  const gx = takeBuffer(x.length);
  BACKWARD[kind](x, flatValues(output), flatValues(gradOutput), gx, param);
  return new Tensor(gx, input.shape);
}

/** y = scale * x + shift element-wise. */
export function affine(input: Tensor, scale: number, shift: number): Tensor {
  const x = input.contiguous().data;
  const n = shapeSize(input.shape);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = scale * x[i]! + shift;
  return new Tensor(y, input.shape);
}

/** The broadcast of two shapes (NumPy rules: align at the right, sizes equal or 1). */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dimension ${i} is ${da} against ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `t` read as a tensor of `shape` (its broadcast): 0 where t has size 1 or lacks the dim. */
function broadcastStrides(t: Tensor, shape: readonly number[]): number[] {
  const rank = shape.length;
  const lead = rank - t.shape.length;
  return shape.map((_, i) => (i < lead || t.shape[i - lead] === 1 ? 0 : t.strides[i - lead]!));
}

/** a (op) b with broadcasting; the result is a fresh contiguous tensor. */
export function binary(kind: BinaryKind, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(kind, a.shape, b.shape);
  const total = shapeSize(shape);
  const out = new Float32Array(total);
  if (total === 0) return new Tensor(out, shape);
  const ad = a.data;
  const bd = b.data;
  const sameLayout =
    a.isContiguous &&
    b.isContiguous &&
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === shape[i]) &&
    b.shape.every((d, i) => d === shape[i]);
  if (sameLayout) {
    const ao = a.offset;
    const bo = b.offset;
    if (kind === 'add') for (let i = 0; i < total; i++) out[i] = ad[ao + i]! + bd[bo + i]!;
    else if (kind === 'sub') for (let i = 0; i < total; i++) out[i] = ad[ao + i]! - bd[bo + i]!;
    else if (kind === 'mul') for (let i = 0; i < total; i++) out[i] = ad[ao + i]! * bd[bo + i]!;
    else for (let i = 0; i < total; i++) out[i] = ad[ao + i]! / bd[bo + i]!;
    return new Tensor(out, shape);
  }
  const rank = shape.length;
  if (rank === 0) {
    const x = ad[a.offset]!;
    const y = bd[b.offset]!;
    out[0] = kind === 'add' ? x + y : kind === 'sub' ? x - y : kind === 'mul' ? x * y : x / y;
    return new Tensor(out, shape);
  }
  const sa = broadcastStrides(a, shape);
  const sb = broadcastStrides(b, shape);
  const inner = shape[rank - 1]!;
  const ia = sa[rank - 1]!;
  const ib = sb[rank - 1]!;
  const idx = new Array<number>(rank - 1).fill(0);
  let pa = a.offset;
  let pb = b.offset;
  for (let o = 0, q = 0; o < total / inner; o++) {
    // One row of the innermost dim, then the odometer over the outer dims.
    if (kind === 'add')
      for (let i = 0, x = pa, y = pb; i < inner; i++, x += ia, y += ib) out[q++] = ad[x]! + bd[y]!;
    else if (kind === 'sub')
      for (let i = 0, x = pa, y = pb; i < inner; i++, x += ia, y += ib) out[q++] = ad[x]! - bd[y]!;
    else if (kind === 'mul')
      for (let i = 0, x = pa, y = pb; i < inner; i++, x += ia, y += ib) out[q++] = ad[x]! * bd[y]!;
    else for (let i = 0, x = pa, y = pb; i < inner; i++, x += ia, y += ib) out[q++] = ad[x]! / bd[y]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      pa += sa[d]!;
      pb += sb[d]!;
      if (idx[d]! < shape[d]!) break;
      pa -= shape[d]! * sa[d]!;
      pb -= shape[d]! * sb[d]!;
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/**
 * Sums `input` down to `shape`, which it was broadcast from (the adjoint of broadcasting):
 * leading dims are summed away, dims of size 1 in `shape` are summed over. Accumulates in float64.
 */
export function sumToShape(input: Tensor, shape: readonly number[]): Tensor {
  const same = input.shape.length === shape.length && input.shape.every((d, i) => d === shape[i]);
  if (same) return input.contiguous();
  const rank = input.shape.length;
  const lead = rank - shape.length;
  if (lead < 0) {
    throw new ShapeError(
      `sumToShape: cannot sum ${formatShape(input.shape)} to the larger ${formatShape(shape)}`,
    );
  }
  // Strides of the target read along the input's dims: 0 where a dim is summed away.
  const targetStrides = new Array<number>(rank).fill(0);
  let step = 1;
  for (let i = rank - 1; i >= lead; i--) {
    const size = shape[i - lead]!;
    if (size !== 1 && size !== input.shape[i]) {
      throw new ShapeError(
        `sumToShape: ${formatShape(input.shape)} was not broadcast from ${formatShape(shape)}`,
      );
    }
    targetStrides[i] = size === 1 ? 0 : step;
    step *= size;
  }
  const acc = new Float64Array(shapeSize(shape));
  const x = input.contiguous().data;
  const total = x.length;
  if (total > 0 && rank > 0) {
    const idx = new Array<number>(rank).fill(0);
    let t = 0;
    for (let k = 0; k < total; k++) {
      acc[t] += x[k]!;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        t += targetStrides[d]!;
        if (idx[d]! < input.shape[d]!) break;
        t -= input.shape[d]! * targetStrides[d]!;
        idx[d] = 0;
      }
    }
  } else if (total > 0) {
    acc[0] = x[0]!;
  }
  return new Tensor(Float32Array.from(acc), shape);
}

/** `input` broadcast to `shape`, materialised. */
export function broadcastTo(input: Tensor, shape: readonly number[]): Tensor {
  broadcastShapes('broadcastTo', input.shape, shape);
  return binary('add', new Tensor(new Float32Array(shapeSize(shape)), shape), input);
}
