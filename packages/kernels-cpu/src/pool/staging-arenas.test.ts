import { createRng } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { fromShared, sharedZeros } from './shared-tensor';
import { isShared, StagingArenas, stagingSize } from './staging-arenas';

const rng = createRng(11);

describe('StagingArena', () => {
  it('copies a view row-major into shared memory once, and describes shared tensors in place', () => {
    const arenas = new StagingArenas(2);
    const x = rng.normalTensor([2, 3, 4, 5]);
    const band = x.slice(2, 1, 3);
    const w = rng.normalTensor([6, 3]);
    const arena = arenas.acquire(stagingSize([band, w, band]));
    const staged = arena.stage(band);
    expect(staged.buffer).toBe(arena.buffer);
    expect(staged.strides).toEqual([30, 10, 5, 1]);
    expect([...fromShared(staged).toFloat32Array()]).toEqual([...band.toFloat32Array()]);
    // The same tensor again: the same place, no second copy.
    expect(arena.stage(band)).toBe(staged);
    const stagedW = arena.stage(w);
    expect(stagedW.offset).toBe(band.size);
    expect([...fromShared(stagedW).toFloat32Array()]).toEqual([...w.toFloat32Array()]);
    // A tensor already in shared memory is not copied.
    const shared = sharedZeros([4, 4]).slice(0, 1, 3);
    expect(isShared(shared)).toBe(true);
    expect(arena.stage(shared).buffer).toBe(shared.data.buffer);
  });

  it('refuses a tensor that does not fit', () => {
    const arena = new StagingArenas(1).acquire(10);
    expect(() => arena.stage(rng.normalTensor([arena.floats.length + 1]))).toThrow(RangeError);
  });
});

describe('stagingSize', () => {
  it('counts each distinct tensor outside shared memory once, and skips null', () => {
    const a = rng.normalTensor([3, 4]);
    const b = rng.normalTensor([5]);
    expect(stagingSize([a, b, a, null, undefined, sharedZeros([100])])).toBe(17);
    expect(stagingSize([])).toBe(0);
  });
});

describe('StagingArenas', () => {
  it('reuses released arenas (the smallest that fits) and keeps at most `keep` of them', () => {
    const arenas = new StagingArenas(2);
    const small = arenas.acquire(2000);
    const large = arenas.acquire(50_000);
    expect(small.floats.length).toBeGreaterThanOrEqual(2000);
    expect(large.floats.length).toBeGreaterThanOrEqual(50_000);
    arenas.release(large);
    arenas.release(small);
    // Two calls at once get two arenas; the smaller request takes the smaller one.
    expect(arenas.acquire(1000)).toBe(small);
    expect(arenas.acquire(1000)).toBe(large);
    arenas.release(small);
    arenas.release(large);
    // Three calls at once: three arenas; released, the two largest are kept.
    const a = arenas.acquire(1000);
    const b = arenas.acquire(1000);
    const third = arenas.acquire(100_000);
    expect(third).not.toBe(small);
    expect(third).not.toBe(large);
    expect([a, b]).toEqual([small, large]);
    arenas.release(a);
    arenas.release(b);
    arenas.release(third);
    expect(arenas.acquire(100_000)).toBe(third);
    expect(arenas.acquire(10)).toBe(large);
    expect(arenas.acquire(10)).not.toBe(small);
    arenas.clear();
  });

  it('drops free arenas too small for a call, so calls one after the other keep one arena', () => {
    const arenas = new StagingArenas(2);
    const forward = arenas.acquire(2000);
    arenas.release(forward);
    const backward = arenas.acquire(50_000);
    expect(backward).not.toBe(forward);
    arenas.release(backward);
    // The next step's forward and backward calls both take the one large arena.
    expect(arenas.acquire(2000)).toBe(backward);
    arenas.release(backward);
    expect(arenas.acquire(50_000)).toBe(backward);
    arenas.release(backward);
    const again = arenas.acquire(2000);
    const concurrent = arenas.acquire(2000);
    expect(again).toBe(backward);
    expect(concurrent).not.toBe(forward);
    arenas.clear();
  });

  it('starts a reused arena empty', () => {
    const arenas = new StagingArenas(1);
    const arena = arenas.acquire(100);
    arena.stage(rng.normalTensor([100]));
    arenas.release(arena);
    const again = arenas.acquire(100);
    expect(again).toBe(arena);
    expect(again.stage(rng.normalTensor([7])).offset).toBe(0);
  });
});
