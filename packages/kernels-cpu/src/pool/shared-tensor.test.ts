import { createRng, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { copyInto, describeShared, fromShared, sharedZeros, toShared } from './shared-tensor';

const rng = createRng(5);

/** Every element of `view`, in row-major order of its shape. */
const values = (view: Tensor) => [...view.toFloat32Array()];

describe('copyInto', () => {
  it('writes a source into views of every kind (whole, batch, channel and row slices, permuted, rank 0) and nothing outside them', () => {
    const shape = [2, 3, 5, 4];
    const cases: [string, (t: Tensor) => Tensor][] = [
      ['whole', (t) => t],
      ['batch slice', (t) => t.slice(0, 1, 2)],
      ['channel slice', (t) => t.slice(1, 1, 3)],
      ['row band', (t) => t.slice(2, 1, 4)],
      ['last-dim slice', (t) => t.slice(3, 1, 3)],
      ['permuted', (t) => t.permute([0, 2, 3, 1])],
    ];
    for (const [name, view] of cases) {
      const target = sharedZeros(shape);
      const window = view(target);
      const source = rng.normalTensor(window.shape);
      copyInto(source, window);
      expect(values(window), name).toEqual(values(source));
      // Everything outside the view stays zero.
      const inside = window.size;
      expect(target.data.filter((v) => v !== 0).length, name).toBe(inside);
    }
    // A permuted (non-contiguous) source.
    const target = sharedZeros([4, 3]);
    const source = rng.normalTensor([3, 4]).permute([1, 0]);
    copyInto(source, target);
    expect(values(target)).toEqual(values(source));
    const scalar = sharedZeros([]);
    copyInto(new Tensor(new Float32Array([2.5]), []), scalar);
    expect(scalar.data[0]).toBe(2.5);
  });

  it('round-trips a tensor through shared memory and its descriptor without a copy', () => {
    const x = rng.normalTensor([2, 3, 4]);
    const shared = toShared(x);
    expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(toShared(shared)).toBe(shared);
    const view = fromShared(describeShared(shared.slice(1, 1, 3)));
    expect(values(view)).toEqual(values(x.slice(1, 1, 3)));
    view.data[view.offset] = 42;
    expect(shared.data[view.offset]).toBe(42);
  });
});
