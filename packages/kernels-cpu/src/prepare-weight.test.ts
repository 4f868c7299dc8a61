import { ArgumentError, assertClose, createRng, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { conv2d } from './conv';
import { convTranspose2d } from './conv-transpose';
import { isPreparedWeightData, PreparedWeight, preparedWeightCache, prepareWeight } from './prepare-weight';

describe('prepareWeight', () => {
  it('gives a contiguous copy that every op accepts as its weight, with the same results', () => {
    const rng = createRng(2);
    const x = rng.normalTensor([2, 4, 9, 9]);
    const w = rng.normalTensor([3, 4, 6, 3]).permute([0, 1, 3, 2]); // a strided view [3, 4, 3, 6]
    const prepared = prepareWeight(w);
    expect(prepared).toBeInstanceOf(PreparedWeight);
    expect(prepared).toBeInstanceOf(Tensor);
    expect(prepared.shape).toEqual([3, 4, 3, 6]);
    expect(prepared.isContiguous).toBe(true);
    assertClose(conv2d(x, prepared, { padding: 1 }), conv2d(x, w, { padding: 1 }), { atol: 0, rtol: 0 });
    const wt = rng.normalTensor([4, 2, 3, 3]);
    assertClose(convTranspose2d(x, prepareWeight(wt), { stride: 2 }), convTranspose2d(x, wt, { stride: 2 }), {
      atol: 0,
      rtol: 0,
    });
  });

  it('owns its buffer: changing the original afterwards does not change it', () => {
    const w = createRng(3).normalTensor([2, 2, 1, 1]);
    const prepared = prepareWeight(w);
    const before = [...prepared.data];
    w.data[0] = 100;
    expect([...prepared.data]).toEqual(before);
  });

  it('caches derived values for prepared buffers only', () => {
    const prepared = prepareWeight(createRng(4).normalTensor([2, 2, 3, 3]));
    let made = 0;
    const make = () => ++made;
    expect(preparedWeightCache(prepared.data, 'k', make)).toBe(1);
    expect(preparedWeightCache(prepared.data, 'k', make)).toBe(1);
    expect(preparedWeightCache(prepared.data, 'other', make)).toBe(2);
    const plain = new Float32Array(4);
    expect(isPreparedWeightData(prepared.data)).toBe(true);
    expect(isPreparedWeightData(plain)).toBe(false);
    expect(preparedWeightCache(plain, 'k', make)).toBe(3);
    expect(preparedWeightCache(plain, 'k', make)).toBe(4);
  });

  it('refuses a non-tensor', () => {
    expect(() => prepareWeight([1, 2] as never)).toThrow(ArgumentError);
    expect(() => prepareWeight([1, 2] as never)).toThrow(
      'prepareWeight: weight must be a Tensor, got array of length 2',
    );
  });
});
