import { planColumnTiles } from '@convkit/im2col';
import { assertClose, convGeometry, createRng } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { convReference } from '../reference/conv-reference';
import { convIm2col } from './conv-im2col';
import { tileScratch } from './tile-scratch';

describe('tileScratch', () => {
  it('hands out one kept buffer per slot for small tiles, and fresh ones for large tiles', () => {
    const small = tileScratch(0, 100);
    expect(small.length).toBeGreaterThanOrEqual(100);
    expect(tileScratch(0, 5000)).toBe(small);
    const other = tileScratch(1, 100);
    expect(other).not.toBe(small);
    expect(other.buffer).not.toBe(small.buffer);
    const kept = small.length;
    const large = tileScratch(0, kept + 1);
    expect(large.length).toBe(kept + 1);
    expect(tileScratch(0, kept + 1)).not.toBe(large);
    expect(tileScratch(0, 1)).toBe(small);
  });

  it('gives correct results on both sides of the kept size, one call after another', () => {
    const rng = createRng(21);
    for (const outChannels of [1, 2]) {
      // 64 channels * 9 taps * 512 columns * 4 bytes = 1.125 MiB: above the kept size.
      for (const [inChannels, inputSpatial] of [
        [64, [16, 32]],
        [4, [6, 5]],
        [64, [16, 32]],
      ] as const) {
        const g = convGeometry({ inChannels, outChannels, inputSpatial, kernelSize: 3, padding: 1 });
        expect(planColumnTiles(g, { channels: inChannels }).tilesPerSample).toBe(1);
        const x = rng.normalTensor(g.inputShape).data;
        const w = rng.normalTensor(g.weightShape).data;
        assertClose(convIm2col(x, w, null, g), convReference(x, w, null, g));
      }
    }
  });
});
