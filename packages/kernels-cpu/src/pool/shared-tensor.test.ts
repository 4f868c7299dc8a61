import { createRng, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import {
  copyInto,
  describeShared,
  fromShared,
  packInto,
  sharedZeros,
  tightView,
  toShared,
  touchPages,
} from './shared-tensor';

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

  it('describes a row-major slice with an array of exactly its elements (the ops take it without a copy)', () => {
    const shared = toShared(rng.normalTensor([3, 4, 5]));
    const view = fromShared(describeShared(shared.slice(0, 1, 3)));
    expect(view.data.length).toBe(40);
    expect(view.contiguous()).toBe(view);
    expect(values(view)).toEqual(values(shared.slice(0, 1, 3)));
    // A band of rows is not row-major: it keeps the whole buffer and its strides.
    const band = fromShared(describeShared(shared.slice(1, 1, 3)));
    expect(band.strides).toEqual([20, 5, 1]);
    expect(values(band)).toEqual(values(shared.slice(1, 1, 3)));
  });
});

describe('packInto', () => {
  it('writes any view row-major at an index of an array', () => {
    const x = rng.normalTensor([2, 3, 4]);
    for (const view of [x, x.slice(1, 1, 3), x.slice(2, 1, 2), x.permute([2, 0, 1])]) {
      const target = new Float32Array(view.size + 3);
      packInto(view, target, 2);
      expect([...target.subarray(2, 2 + view.size)]).toEqual(values(view));
      expect(target[0]).toBe(0);
      expect(target[view.size + 2]).toBe(0);
    }
  });
});

describe('tightView', () => {
  it('views a row-major slice without its neighbours (no copy) and leaves other views alone', () => {
    const x = rng.normalTensor([4, 3, 2]);
    const batch = x.slice(0, 1, 3);
    const tight = tightView(batch);
    expect(tight.data.buffer).toBe(x.data.buffer);
    expect(tight.data.length).toBe(12);
    expect(tight.offset).toBe(0);
    expect(values(tight)).toEqual(values(batch));
    expect(tightView(x)).toBe(x);
    const band = x.slice(1, 1, 2);
    expect(tightView(band)).toBe(band);
  });
});

describe('touchPages', () => {
  it('leaves every bit of a view and of the memory around it as it was (NaN payloads and -0 too)', () => {
    const data = new Float32Array(3 * 5000);
    const bits = new Uint32Array(data.buffer);
    for (let i = 0; i < bits.length; i++) bits[i] = (i * 2654435761) >>> 0; // NaNs with payloads among them
    bits[1024] = 0x7fa00001; // a signalling NaN where a page starts
    bits[2048] = 0x80000000; // -0
    const before = [...bits];
    const t = new Tensor(data, [3, 50, 100]);
    for (const view of [t, t.slice(0, 1, 3), t.slice(1, 10, 40), t.slice(2, 20, 70)]) {
      touchPages(view);
      expect([...bits]).toEqual(before);
    }
  });
});
