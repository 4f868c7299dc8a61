/**
 * Tensor: float32 data + shape + strides + offset (the scijs/ndarray model). Views (reshape
 * of a contiguous tensor, permute, transpose, slice, squeeze, unsqueeze) share the data and
 * never copy; `contiguous()` and `toFloat32Array()` copy into row-major order.
 */

import { checkAllocation } from './check-allocation';
import { checkTensorLayout } from './check-tensor-layout';
import { describeValue, formatValue } from './describe-value';
import { ArgumentError, formatShape, ShapeError } from './errors';
import { checkShape, contiguousStrides, shapeSize } from './shape';

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly data: Float32Array;

  constructor(data: Float32Array, shape: readonly number[], strides?: readonly number[], offset = 0) {
    const fullStrides = strides ?? (Array.isArray(shape) ? contiguousStrides(shape) : []);
    checkTensorLayout('Tensor', '', data, shape, fullStrides, offset);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...fullStrides]);
    this.offset = offset;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return shapeSize(this.shape);
  }

  /** True when the elements lie in row-major order from `offset` with no gaps. */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i]!;
    }
    return true;
  }

  /** Flat index into `data` of a multi-index. */
  index(indices: readonly number[]): number {
    if (!Array.isArray(indices)) {
      throw new ArgumentError(
        `Tensor.get: indices must be an array of integers, got ${formatValue(indices)}`,
      );
    }
    if (indices.length !== this.shape.length) {
      throw new ShapeError(`Tensor.get: expected ${this.shape.length} indices, got ${indices.length}`);
    }
    let flat = this.offset;
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i]!;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= this.shape[i]!) {
        throw new ArgumentError(
          `Tensor.get: index ${formatValue(v)} is out of range for dimension ${i} of size ${this.shape[i]} (shape ${formatShape(this.shape)})`,
        );
      }
      flat += v * this.strides[i]!;
    }
    return flat;
  }

  /** One element. */
  get(...indices: number[]): number {
    return this.data[this.index(indices)]!;
  }

  /** A row-major copy of the logical elements. */
  toFloat32Array(): Float32Array {
    // A strided view (stride 0) can describe far more elements than its data holds.
    checkAllocation('toFloat32Array', 'a row-major copy', this.shape);
    const out = new Float32Array(this.size);
    if (this.isContiguous) {
      out.set(this.data.subarray(this.offset, this.offset + out.length));
      return out;
    }
    // The trailing dims that are laid out contiguously form runs copied whole (a band of rows
    // of a channels-first image, a channel slice...); an odometer walks the outer dims.
    const rank = this.shape.length;
    let inner = rank;
    let run = 1;
    while (inner > 0 && this.strides[inner - 1] === run) {
      inner--;
      run *= this.shape[inner]!;
    }
    if (run >= 8) {
      const idx = new Array<number>(inner).fill(0);
      let src = this.offset;
      for (let k = 0; k < out.length; k += run) {
        out.set(this.data.subarray(src, src + run), k);
        for (let d = inner - 1; d >= 0; d--) {
          idx[d]!++;
          src += this.strides[d]!;
          if (idx[d]! < this.shape[d]!) break;
          src -= this.shape[d]! * this.strides[d]!;
          idx[d] = 0;
        }
      }
      return out;
    }
    const idx = new Array<number>(rank).fill(0);
    let src = this.offset;
    for (let k = 0; k < out.length; k++) {
      out[k] = this.data[src]!;
      // Odometer increment over the multi-index, updating the source position incrementally.
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        src += this.strides[d]!;
        if (idx[d]! < this.shape[d]!) break;
        src -= this.shape[d]! * this.strides[d]!;
        idx[d] = 0;
      }
    }
    return out;
  }

  /** Nested arrays, for printing and tests. */
  toArray(): unknown {
    const flat = this.toFloat32Array();
    const build = (dim: number, start: number): unknown => {
      if (dim === this.shape.length) return flat[start];
      const step = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, start + i * step));
    };
    return build(0, 0);
  }

  /** This tensor if contiguous with offset 0 and a tight buffer, else a row-major copy. */
  contiguous(): Tensor {
    if (this.isContiguous && this.offset === 0 && this.data.length === this.size) return this;
    return new Tensor(this.toFloat32Array(), this.shape);
  }

  /** A fresh copy that owns its data. */
  clone(): Tensor {
    return new Tensor(this.toFloat32Array(), this.shape);
  }

  /**
   * A view with a new shape of the same size. One entry may be -1 (inferred). Views a
   * contiguous tensor without copying; a non-contiguous one is copied first.
   */
  reshape(shape: readonly number[]): Tensor {
    if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number')) {
      throw new ArgumentError(
        `reshape: shape must be an array of sizes (one may be -1), got ${formatValue(shape)}`,
      );
    }
    const inferred = shape.indexOf(-1);
    const known = shapeSize(shape.filter((_, i) => i !== inferred));
    const resolved = [...shape];
    if (inferred >= 0) {
      if (shape.lastIndexOf(-1) !== inferred) {
        throw new ArgumentError(`reshape: only one dimension may be -1, got ${formatShape(shape)}`);
      }
      if (known === 0 || this.size % known !== 0) {
        throw new ShapeError(`reshape: cannot infer -1 in ${formatShape(shape)} for ${this.size} elements`);
      }
      resolved[inferred] = this.size / known;
    }
    checkShape('reshape', 'target', resolved);
    if (shapeSize(resolved) !== this.size) {
      throw new ShapeError(
        `reshape: cannot view shape ${formatShape(this.shape)} (${this.size} elements) as ${formatShape(resolved)} (${shapeSize(resolved)} elements)`,
      );
    }
    const base = this.isContiguous ? this : this.contiguous();
    return new Tensor(base.data, resolved, contiguousStrides(resolved), base.offset);
  }

  /** A view with the dimensions reordered: `permute([0, 2, 3, 1])` turns NCHW into NHWC. */
  permute(order: readonly number[]): Tensor {
    const rank = this.shape.length;
    if (!Array.isArray(order)) {
      throw new ArgumentError(
        `permute: order must be an array listing each of the ${rank} dimensions once, got ${formatValue(order)}`,
      );
    }
    const seen = new Set(order);
    if (
      order.length !== rank ||
      seen.size !== rank ||
      order.some((d) => !Number.isInteger(d) || d < 0 || d >= rank)
    ) {
      throw new ArgumentError(
        `permute: order ${formatValue(order)} must list each of the ${rank} dimensions of shape ${formatShape(this.shape)} once`,
      );
    }
    return new Tensor(
      this.data,
      order.map((d) => this.shape[d]!),
      order.map((d) => this.strides[d]!),
      this.offset,
    );
  }

  /** A view with two dimensions swapped. */
  transpose(a: number, b: number): Tensor {
    for (const d of [a, b]) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d >= this.shape.length) {
        throw new ArgumentError(
          `transpose: dimension ${formatValue(d)} does not exist in shape ${formatShape(this.shape)}`,
        );
      }
    }
    const order = this.shape.map((_, i) => i);
    order[a] = b;
    order[b] = a;
    return this.permute(order);
  }

  /**
   * A view of the range [start, end) with a step along one dimension (Python slicing without
   * negative steps; negative start/end count from the end).
   */
  slice(dim: number, start: number, endArg?: number, step = 1): Tensor {
    const size = typeof dim === 'number' && Number.isInteger(dim) ? this.shape[dim] : undefined;
    if (size === undefined) {
      throw new ArgumentError(
        `slice: dimension ${formatValue(dim)} does not exist in shape ${formatShape(this.shape)}`,
      );
    }
    // The default end is read only once dim is known to be a dimension.
    const end = endArg ?? size;
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 1)
      throw new ArgumentError(`slice: step must be a positive integer, got ${formatValue(step)}`);
    if (
      typeof start !== 'number' ||
      typeof end !== 'number' ||
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end)
    ) {
      throw new ArgumentError(
        `slice: start and end must be integers, got ${formatValue(start)} and ${formatValue(end)}`,
      );
    }
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const s = norm(start);
    const e = Math.max(norm(end), s);
    const length = Math.ceil((e - s) / step);
    const shape = [...this.shape];
    const strides = [...this.strides];
    shape[dim] = length;
    strides[dim] = this.strides[dim]! * step;
    return new Tensor(
      this.data,
      shape,
      strides,
      length > 0 ? this.offset + s * this.strides[dim]! : this.offset,
    );
  }

  /** A view without size-1 dimensions (all, or the one named). */
  squeeze(dim?: number): Tensor {
    if (
      dim !== undefined &&
      (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0 || dim >= this.shape.length)
    ) {
      throw new ArgumentError(
        `squeeze: dimension ${formatValue(dim)} does not exist in shape ${formatShape(this.shape)}`,
      );
    }
    const keep = this.shape.map((d, i) => (dim === undefined ? d !== 1 : i !== dim || d !== 1));
    return new Tensor(
      this.data,
      this.shape.filter((_, i) => keep[i]),
      this.strides.filter((_, i) => keep[i]),
      this.offset,
    );
  }

  /** A view with a new size-1 dimension at `dim`. */
  unsqueeze(dim: number): Tensor {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0 || dim > this.shape.length) {
      throw new ArgumentError(
        `unsqueeze: dimension ${formatValue(dim)} must lie in [0, ${this.shape.length}]`,
      );
    }
    const shape = [...this.shape];
    const strides = [...this.strides];
    shape.splice(dim, 0, 1);
    strides.splice(dim, 0, dim < this.strides.length ? this.strides[dim]! * this.shape[dim]! : 1);
    return new Tensor(this.data, shape, strides, this.offset);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)})`;
  }
}

/** Checks a shape given to a factory and the memory it needs; returns the element count. */
function factoryShape(op: string, shape: unknown): number {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: shape must be an array of sizes, got ${formatValue(shape)}`);
  }
  if (shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: shape ${formatValue(shape)} must hold non-negative integers`);
  }
  return checkAllocation(op, 'the tensor', shape as number[]);
}

/**
 * A tensor from flat row-major values: a Float32Array, another typed array of numbers, or an
 * array of numbers (each entry must be a number: a string or other value is refused rather
 * than turned into NaN). The values are copied into a new Float32Array.
 */
export function tensor(data: ArrayLike<number>, shape: readonly number[]): Tensor {
  const size = factoryShape('tensor', shape);
  const isNumberArray =
    ArrayBuffer.isView(data) &&
    !(data instanceof DataView) &&
    !(data instanceof BigInt64Array) &&
    !(data instanceof BigUint64Array);
  if (!isNumberArray && !Array.isArray(data)) {
    throw new ArgumentError(
      `tensor: values must be an array of numbers or a typed array, got ${describeValue(data)}`,
    );
  }
  const values = data as ArrayLike<unknown>;
  if (values.length !== size) {
    throw new ShapeError(
      `tensor: ${values.length} values do not fill shape ${formatShape(shape)} (${size} elements)`,
    );
  }
  if (!isNumberArray) {
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number') {
        throw new ArgumentError(
          `tensor: values must be numbers, got ${describeValue(values[i])} at index ${i}`,
        );
      }
    }
  }
  return new Tensor(Float32Array.from(values as ArrayLike<number>), shape);
}

/** A tensor filled with one value. */
export function full(shape: readonly number[], value: number): Tensor {
  const size = factoryShape('full', shape);
  if (typeof value !== 'number') {
    throw new ArgumentError(`full: value must be a number, got ${describeValue(value)}`);
  }
  return new Tensor(new Float32Array(size).fill(value), shape);
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  return new Tensor(new Float32Array(factoryShape('zeros', shape)), shape);
}

/** A tensor of ones. */
export function ones(shape: readonly number[]): Tensor {
  return new Tensor(new Float32Array(factoryShape('ones', shape)).fill(1), shape);
}

/** A 1-D tensor start, start + step, ... below end (finite numbers; step non-zero). */
export function arange(start: number, end?: number, step = 1): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  for (const [name, v] of [
    ['start', start],
    ['end', end],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ArgumentError(`arange: ${name} must be a finite number, got ${formatValue(v)}`);
    }
  }
  if (step === 0) throw new ArgumentError(`arange: step must be finite and non-zero, got ${step}`);
  const length = Math.max(0, Math.ceil((end - start) / step));
  checkAllocation('arange', 'the tensor', [length]);
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = start + i * step;
  return new Tensor(data, [length]);
}
