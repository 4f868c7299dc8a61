import { describe, expect, it } from 'vitest';
import { permuteData, permutedShape, toChannelsFirstOrder, toChannelsLastOrder } from './layout';

describe('layout orders', () => {
  it('move channels last and back for 1-D, 2-D and 3-D activations', () => {
    expect(toChannelsLastOrder(3)).toEqual([0, 2, 1]);
    expect(toChannelsLastOrder(4)).toEqual([0, 2, 3, 1]);
    expect(toChannelsLastOrder(5)).toEqual([0, 2, 3, 4, 1]);
    expect(toChannelsFirstOrder(4)).toEqual([0, 3, 1, 2]);
    expect(toChannelsFirstOrder(5)).toEqual([0, 4, 1, 2, 3]);
  });

  it('permutes data: NCHW [1, 2, 1, 3] to NHWC and back', () => {
    const nchw = Float32Array.from([0, 1, 2, 10, 11, 12]);
    const nhwc = permuteData(nchw, [1, 2, 1, 3], toChannelsLastOrder(4));
    expect([...nhwc]).toEqual([0, 10, 1, 11, 2, 12]);
    expect(permutedShape([1, 2, 1, 3], toChannelsLastOrder(4))).toEqual([1, 1, 3, 2]);
    expect([...permuteData(nhwc, [1, 1, 3, 2], toChannelsFirstOrder(4))]).toEqual([...nchw]);
  });
});
