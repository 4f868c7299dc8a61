import { ResourceError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { batchChunks } from './batch-chunks';

describe('batchChunks', () => {
  it('keeps the whole batch in one chunk when it fits', () => {
    expect(
      batchChunks(
        'conv2d',
        8,
        [
          ['input', 1024],
          ['output', 2048],
        ],
        1 << 20,
        256,
      ),
    ).toEqual([[0, 8]]);
    expect(batchChunks('conv2d', 0, [['input', 1024]], 16, 256)).toEqual([[0, 0]]);
  });

  it('cuts the batch into chunks that fit the binding limit, the last one shorter', () => {
    expect(
      batchChunks(
        'conv2d',
        5,
        [
          ['input', 1024],
          ['output', 2048],
        ],
        4096,
        256,
      ),
    ).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
  });

  it('starts every chunk at an aligned offset of every tensor', () => {
    // 576 bytes a sample: 4 samples (2304 bytes) is the first multiple of 256.
    const chunks = batchChunks(
      'conv2d',
      10,
      [
        ['input', 576],
        ['output', 1024],
      ],
      8192,
      256,
    );
    expect(chunks).toEqual([
      [0, 8],
      [8, 2],
    ]);
    for (const [start] of chunks) expect((start * 576) % 256).toBe(0);
  });

  it('refuses with a ResourceError when one aligned step does not fit', () => {
    expect(() => batchChunks('conv2d', 4, [['output', 8192]], 4096, 256)).toThrow(ResourceError);
    expect(() => batchChunks('conv2d', 4, [['output', 8192]], 4096, 256)).toThrow(
      "conv2d: one sample of the output takes 8192 bytes, above this GPU's storage binding limit of 4096 bytes; use smaller inputs or the CPU kernels",
    );
    expect(() => batchChunks('conv2d', 8, [['input', 1088]], 2048, 256)).toThrow(
      /chunks must hold a multiple of 4 samples \(binding offsets aligned to 256 bytes\), 4352 bytes of the input/,
    );
  });
});
