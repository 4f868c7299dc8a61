import { convGeometry, createRng, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { maxPool } from './pooling';

describe('maxPool kernels', () => {
  it('the bounds-free loops give the general loops answer (output and argmax)', () => {
    const rng = createRng(3);
    const x = rng.normalTensor([2, 3, 7, 6]);
    const geometry = (padding: number) =>
      convGeometry({
        op: 'maxPool2d',
        batch: 2,
        inChannels: 3,
        outChannels: 3,
        groups: 3,
        inputSpatial: [7, 6],
        kernelSize: [3, 2],
        stride: [2, 2],
        padding,
      });
    // Padding 0 takes the bounds-free path; padding 1 the general one on a shifted window.
    const fast = maxPool(x, geometry(0));
    const padded = maxPool(x, geometry(1));
    expect(fast.output.shape).toEqual([2, 3, 3, 3]);
    // A hand-computed window: plane 0, output (1, 2) covers rows 2-4, columns 4-5.
    let best = Number.NEGATIVE_INFINITY;
    for (let h = 2; h <= 4; h++) for (let w = 4; w <= 5; w++) best = Math.max(best, x.get(0, 0, h, w));
    expect(fast.output.get(0, 0, 1, 2)).toBe(best);
    expect(padded.output.shape).toEqual([2, 3, 4, 4]);
  });
  it('propagates NaN like PyTorch', () => {
    const x = tensor([1, Number.NaN, 3, 4], [1, 1, 2, 2]);
    const g = convGeometry({
      op: 'maxPool2d',
      batch: 1,
      inChannels: 1,
      outChannels: 1,
      groups: 1,
      inputSpatial: [2, 2],
      kernelSize: 2,
      stride: 2,
    });
    expect(Number.isNaN(maxPool(x, g).output.get(0, 0, 0, 0))).toBe(true);
    expect(maxPool(x, g).argmax[0]).toBe(1);
    const wide = convGeometry({
      op: 'maxPool2d',
      batch: 1,
      inChannels: 1,
      outChannels: 1,
      groups: 1,
      inputSpatial: [2, 2],
      kernelSize: [1, 2],
      stride: 1,
    });
    expect(Number.isNaN(maxPool(x, wide).output.get(0, 0, 0, 0))).toBe(true);
    expect(maxPool(x, wide).output.get(0, 0, 1, 0)).toBe(4);
  });
  it('the 2x2 fast path is the scan-order max: first of ties, first NaN, any stride and odd sizes', () => {
    const rng = createRng(11);
    // Few distinct values (many ties), NaNs of both signs, zeros of both signs, infinities.
    const pool = [
      0,
      -0,
      1,
      -1,
      2,
      Number.NaN,
      -Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    for (const [h, w, stride] of [
      [5, 7, 2],
      [6, 6, 1],
      [9, 8, 3],
      [2, 3, 1],
    ] as const) {
      const size = 2 * 3 * h * w;
      const values = Array.from({ length: size }, () => pool[rng.int(0, pool.length - 1)]!);
      const x = tensor(values, [2, 3, h, w]);
      const geometry = convGeometry({
        op: 'maxPool2d',
        batch: 2,
        inChannels: 3,
        outChannels: 3,
        groups: 3,
        inputSpatial: [h, w],
        kernelSize: 2,
        stride,
      });
      const { output, argmax } = maxPool(x, geometry);
      const [OH, OW] = geometry.outputSpatial as [number, number];
      for (let p = 0, q = 0; p < 6; p++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++, q++) {
            let best = Number.NaN;
            let bestAt = -1;
            for (const [dh, dw] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ] as const) {
              const at = (oh * stride + dh) * w + ow * stride + dw;
              const v = values[p * h * w + at]!;
              if (bestAt < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                best = v;
                bestAt = at;
              }
            }
            expect(argmax[q]).toBe(bestAt);
            expect(Object.is(output.data[q], Math.fround(values[p * h * w + bestAt]!))).toBe(true);
          }
        }
      }
    }
  });
});
