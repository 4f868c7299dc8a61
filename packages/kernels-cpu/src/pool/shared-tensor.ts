/**
 * Tensors in shared memory, for the worker pool: a descriptor (SharedArrayBuffer, shape,
 * strides, offset) crosses postMessage without a copy, and both sides view the same floats.
 */
import { contiguousStrides, Tensor } from '@convkit/tensor';

/** A tensor view over a SharedArrayBuffer, as postMessage carries it. */
export interface SharedTensor {
  buffer: SharedArrayBuffer;
  shape: number[];
  strides: number[];
  offset: number;
}

/** A fresh zero-filled shared tensor of this shape (row-major). */
export function sharedZeros(shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(new Float32Array(new SharedArrayBuffer(Math.max(4, size * 4)), 0, size), shape);
}

/** `tensor` in shared memory: itself when it already lives there, else a contiguous copy. */
export function toShared(tensor: Tensor): Tensor {
  if (typeof SharedArrayBuffer !== 'undefined' && tensor.data.buffer instanceof SharedArrayBuffer)
    return tensor;
  const copy = sharedZeros(tensor.shape);
  copy.data.set(tensor.toFloat32Array());
  return copy;
}

/** The descriptor of a tensor whose data lives in a SharedArrayBuffer. */
export function describeShared(tensor: Tensor): SharedTensor {
  return {
    buffer: tensor.data.buffer as SharedArrayBuffer,
    shape: [...tensor.shape],
    strides: [...tensor.strides],
    offset: tensor.offset + tensor.data.byteOffset / 4,
  };
}

/** Whether `strides` are the row-major strides of `shape` (dims of size 1 aside). */
function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  const expected = contiguousStrides(shape);
  return shape.every((size, d) => size === 1 || strides[d] === expected[d]);
}

/**
 * The tensor a descriptor describes (a view: no copy). A row-major descriptor gets an array of
 * exactly its elements, which the ops take as it is; other views see the whole buffer.
 */
export function fromShared(shared: SharedTensor): Tensor {
  if (isRowMajor(shared.shape, shared.strides)) {
    const size = shared.shape.reduce((a, b) => a * b, 1);
    return new Tensor(new Float32Array(shared.buffer, shared.offset * 4, size), shared.shape);
  }
  return new Tensor(new Float32Array(shared.buffer), shared.shape, shared.strides, shared.offset);
}

/**
 * `tensor` as a tensor whose array holds exactly its elements, when it is row-major (a batch
 * or channel slice of a larger tensor): a view of the same memory, which the ops read without
 * the copy they make of a view that starts inside its array. Any other view as it is.
 */
export function tightView(tensor: Tensor): Tensor {
  if (!tensor.isContiguous || (tensor.offset === 0 && tensor.data.length === tensor.size)) return tensor;
  return new Tensor(tensor.data.subarray(tensor.offset, tensor.offset + tensor.size), tensor.shape);
}

/**
 * Calls visit(at, block) for each run of `block` elements that the view `target` stores
 * packed (its trailing dims that are laid out row-major), in row-major order of the view: `at`
 * is the run's first element in target.data. A batch or channel slice is one run, a band of
 * rows one run per plane.
 */
function forEachPackedRun(target: Tensor, visit: (at: number, block: number) => void): void {
  const shape = target.shape;
  const rank = shape.length;
  if (rank === 0) {
    visit(target.offset, 1);
    return;
  }
  // inner: how many trailing dimensions target stores packed; block: their element count.
  let inner = rank;
  let block = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (target.strides[d] !== block && shape[d] !== 1) {
      inner = d + 1;
      break;
    }
    block *= shape[d]!;
    inner = d;
  }
  const outer = block === 0 ? 0 : target.size / block;
  const index = new Array(inner).fill(0);
  for (let o = 0; o < outer; o++) {
    let at = target.offset;
    for (let d = 0; d < inner; d++) at += index[d] * target.strides[d]!;
    visit(at, block);
    for (let d = inner - 1; d >= 0; d--) {
      if (++index[d] < shape[d]!) break;
      index[d] = 0;
    }
  }
}

/** Writes the elements of `source` (any view), row-major, into `target` from index `at`. */
export function packInto(source: Tensor, target: Float32Array, at: number): void {
  let write = at;
  forEachPackedRun(source, (read, block) => {
    target.set(source.data.subarray(read, read + block), write);
    write += block;
  });
}

/** Writes `source` (any layout) into the view `target` of the same shape, a packed run at a time. */
export function copyInto(source: Tensor, target: Tensor): void {
  const src = source.contiguous();
  let read = src.offset;
  forEachPackedRun(target, (at, block) => {
    target.data.set(src.data.subarray(read, read + block), at);
    read += block;
  });
}

/** Floats in a 4 KiB page: touchPages writes one of each. */
const PAGE_FLOATS = 1024;

/**
 * Maps the memory of the view `target` in, page by page, without changing it (each page's
 * first element of the view is written with its own value). A fresh array's pages are mapped
 * on first touch, at a cost (about 2.5 us a page on the 2-core VM); a caller waiting for a
 * worker pays it then instead of in the copy of the worker's result that follows.
 */
export function touchPages(target: Tensor): void {
  // As integers: a float NaN written back could come out with other bits.
  const words = new Int32Array(target.data.buffer, target.data.byteOffset, target.data.length);
  forEachPackedRun(target, (at, block) => {
    for (let i = at; i < at + block; i += PAGE_FLOATS) words[i] = words[i]!;
  });
}

/** Adds `source` (any layout) into the view `target` of the same shape. */
export function addInto(source: Tensor, target: Tensor): void {
  const src = source.contiguous();
  let read = src.offset;
  forEachPackedRun(target, (at, block) => {
    const out = target.data;
    for (let i = 0; i < block; i++) out[at + i] += src.data[read + i]!;
    read += block;
  });
}
