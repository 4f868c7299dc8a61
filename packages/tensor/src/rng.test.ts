import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

describe('Rng', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniform values in range with the right mean', () => {
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const v = rng.uniform(-2, 4);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThan(4);
      sum += v;
    }
    expect(sum / 20000).toBeCloseTo(1, 1);
  });

  it('draws normal values with the right mean and deviation', () => {
    const rng = createRng(7);
    const n = 20000;
    const xs = Array.from({ length: n }, () => rng.normal(3, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
  });

  it('draws integers over the whole closed range and tensors of the given shape', () => {
    const rng = createRng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(rng.int(1, 4));
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
    expect(rng.normalTensor([2, 3]).shape).toEqual([2, 3]);
    const u = rng.uniformTensor([100], 5, 6);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(5);
    expect(() => rng.int(3, 1)).toThrow(/low <= high/);
    expect(() => rng.pick([])).toThrow(/empty list/);
  });
});
