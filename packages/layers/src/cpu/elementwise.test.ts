import { createRng, Tensor, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { unary, unaryBackward, unaryBackwardInPlace, unaryInPlace } from './elementwise';

describe('relu kernels (branch-free on the bits)', () => {
  const specials = [
    0,
    -0,
    1.5,
    -1.5,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    1e-45,
    -1e-45,
    3.4e38,
    -3.4e38,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ];
  it('forward: max(x, 0) with NaN kept (either sign) and -0 as +0', () => {
    const x = tensor(specials, [specials.length]);
    // A NaN whose sign bit is set, as x86 arithmetic makes them.
    const bits = new Uint32Array(1);
    bits[0] = 0xffc00000;
    const negativeNaN = new Tensor(new Float32Array(bits.buffer), [1]);
    const y = unary('relu', x);
    specials.forEach((v, i) => {
      const want = Number.isNaN(v) ? Number.NaN : v > 0 ? Math.fround(v) : 0;
      expect(Object.is(y.data[i], want)).toBe(true);
    });
    expect(Number.isNaN(unary('relu', negativeNaN).data[0])).toBe(true);
  });
  it('forward and backward agree with the plain loop on random data, views included', () => {
    const rng = createRng(5);
    const x = rng.normalTensor([3, 5, 7]);
    const g = rng.normalTensor([3, 5, 7]);
    const y = unary('relu', x);
    const gx = unaryBackward('relu', x, y, g);
    for (let i = 0; i < x.size; i++) {
      expect(y.data[i]).toBe(Math.max(x.data[i]!, 0));
      expect(gx.data[i]).toBe(x.data[i]! > 0 ? g.data[i] : 0);
    }
    // A permuted (non-contiguous) view runs on its contiguous copy.
    const view = x.permute([2, 0, 1]);
    const yv = unary('relu', view);
    expect(yv.shape).toEqual([7, 3, 5]);
    expect(yv.get(6, 2, 4)).toBe(Math.max(view.get(6, 2, 4), 0));
  });
  it('backward: the gradient passes where the output is positive or NaN (PyTorch threshold_backward)', () => {
    const x = tensor(specials, [specials.length]);
    const y = unary('relu', x);
    const g = tensor(
      specials.map((_, i) => i + 1),
      [specials.length],
    );
    const gx = unaryBackward('relu', x, y, g);
    specials.forEach((v, i) => {
      // Number.MIN_VALUE rounds to 0 in float32.
      expect(gx.data[i]).toBe(Math.fround(v) > 0 || Number.isNaN(v) ? i + 1 : 0);
    });
  });
  it('in place: forward over x and backward over g give the out-of-place results; views are refused', () => {
    const rng = createRng(6);
    const x = rng.normalTensor([4, 9]);
    const g = rng.normalTensor([4, 9]);
    const y = unary('relu', x);
    const gx = unaryBackward('relu', x, y, g);
    const xc = x.clone();
    expect(unaryInPlace('relu', xc)).toBe(true);
    expect(xc.toFloat32Array()).toEqual(y.toFloat32Array());
    const gc = g.clone();
    expect(unaryBackwardInPlace('relu', x, y, gc)).toBe(true);
    expect(gc.toFloat32Array()).toEqual(gx.toFloat32Array());
    // A slice or a transposed view is not its buffer: nothing is written.
    const view = x.clone().permute([1, 0]);
    const before = view.toFloat32Array();
    expect(unaryInPlace('relu', view)).toBe(false);
    expect(view.toFloat32Array()).toEqual(before);
    const slice = g.clone().slice(0, 1, 3);
    expect(unaryBackwardInPlace('relu', x.slice(0, 1, 3), y.slice(0, 1, 3), slice)).toBe(false);
  });
});
