import { arange } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import {
  channelsFirstToLastOrder,
  channelsLastToFirstOrder,
  fromChannelsFirst,
  toChannelsFirst,
} from './layout';

describe('layout', () => {
  it('permutation orders for ranks 3 to 5', () => {
    expect(channelsLastToFirstOrder(3)).toEqual([0, 2, 1]);
    expect(channelsLastToFirstOrder(4)).toEqual([0, 3, 1, 2]);
    expect(channelsLastToFirstOrder(5)).toEqual([0, 4, 1, 2, 3]);
    expect(channelsFirstToLastOrder(4)).toEqual([0, 2, 3, 1]);
    expect(channelsFirstToLastOrder(5)).toEqual([0, 2, 3, 4, 1]);
  });

  it('toChannelsFirst reorders channels-last data and passes channels-first data through', () => {
    // [N=1, H=2, W=2, C=3] with value = 100 h + 10 w + c.
    const last = arange(12).reshape([1, 2, 2, 3]);
    const data = toChannelsFirst(last, 'channels-last');
    // Channel-major: channel 0 is elements 0, 3, 6, 9 of the channels-last buffer.
    expect(Array.from(data)).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
    const first = arange(6).reshape([1, 2, 3]);
    expect(toChannelsFirst(first, 'channels-first')).toBe(first.data);
    // A strided view is copied into row-major order.
    const view = arange(12).reshape([1, 3, 4]).slice(2, 0, 4, 2);
    expect(Array.from(toChannelsFirst(view, 'channels-first'))).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('fromChannelsFirst returns a contiguous tensor in the layout, inverse of toChannelsFirst', () => {
    const last = arange(24).reshape([2, 3, 4]).reshape([2, 3, 1, 4]);
    const back = fromChannelsFirst(toChannelsFirst(last, 'channels-last'), [2, 4, 3, 1], 'channels-last');
    expect(back.shape).toEqual([2, 3, 1, 4]);
    expect(back.isContiguous).toBe(true);
    expect(Array.from(back.data)).toEqual(Array.from(last.data));
    const data = Float32Array.from([1, 2]);
    expect(fromChannelsFirst(data, [1, 2, 1], 'channels-first').data).toBe(data);
  });
});
