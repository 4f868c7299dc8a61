import { describe, expect, it } from 'vitest';
import { allclose, assertClose, compareClose, maxAbsDiff } from './allclose';
import { ShapeError } from './errors';
import { tensor } from './tensor';

describe('allclose', () => {
  it('uses |a - b| <= atol + rtol * |b|', () => {
    expect(allclose([1, 100], [1.00005, 100.009])).toBe(true);
    expect(allclose([1, 100], [1.0003, 100])).toBe(false);
    expect(allclose([0], [1e-3], { atol: 1e-2 })).toBe(true);
  });

  it('treats NaN and infinities as PyTorch does', () => {
    expect(allclose([Number.NaN], [Number.NaN])).toBe(true);
    expect(allclose([Number.NaN], [Number.NaN], { equalNan: false })).toBe(false);
    expect(allclose([Number.POSITIVE_INFINITY], [Number.POSITIVE_INFINITY])).toBe(true);
    expect(allclose([Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY])).toBe(false);
    expect(allclose([1], [Number.NaN])).toBe(false);
  });

  it('reports the first and worst mismatch', () => {
    const r = compareClose([0, 1, 2, 3], [0, 1.1, 2, 4]);
    expect(r).toMatchObject({ ok: false, mismatches: 2, firstMismatch: 1, worstMismatch: 3 });
    expect(r.maxAbsDiff).toBeCloseTo(1);
    expect(() => assertClose([0, 1], [0, 2], { label: 'case A' })).toThrow(
      /case A: 1 of 2 elements differ .* first \[1\] got 1 expected 2/,
    );
    expect(() => assertClose([0, 1], [0, 1])).not.toThrow();
  });

  it('compares tensors by logical order and checks shapes', () => {
    const a = tensor([1, 2, 3, 4], [2, 2]).transpose(0, 1);
    expect(allclose(a, tensor([1, 3, 2, 4], [2, 2]))).toBe(true);
    expect(() => allclose(a, tensor([1, 3, 2, 4], [1, 4]))).toThrow(ShapeError);
    expect(maxAbsDiff([1, 2], [1.5, 2])).toBe(0.5);
    expect(maxAbsDiff([Number.NaN], [1])).toBeNaN();
  });
});
