import { createRng, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { transposeChannels } from './channels-transpose';

describe('transposeChannels', () => {
  it('transposes each sample, across block edges, and honours the offset', () => {
    const rng = createRng(4);
    for (const [batch, rows, cols] of [
      [1, 1, 1],
      [2, 3, 5],
      [3, 33, 70],
      [1, 64, 31],
    ] as const) {
      const data = rng.normalTensor([batch * rows * cols + 3]).data;
      const got = transposeChannels(data, 3, batch, rows, cols);
      const want = new Tensor(data, [batch, rows, cols], [rows * cols, cols, 1], 3)
        .permute([0, 2, 1])
        .contiguous();
      expect([...got]).toEqual([...want.data]);
    }
  });
});
