import { planColumnTiles } from '@convkit/im2col';
import { assertClose, convGeometry, createRng, full, shapeSize, tensor, zeros } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deformConv } from '../deform-conv';
import { deformConvReference } from '../reference/deform-conv-reference';
import { randomDeformCase } from '../reference/random-deform-case';
import { deformConvIm2col } from './deform-conv-im2col';

describe('deformConvIm2col', () => {
  it('matches the reference on random geometries and offsets, through tiny tiles as through one', () => {
    let multiTile = 0;
    fc.assert(
      fc.property(randomDeformCase(), fc.integer({ min: 1, max: 5 }), fc.boolean(), (c, width, withBias) => {
        const g = c.geometry;
        const data = {
          input: c.input.data,
          weight: c.weight.data,
          offset: c.offset.data,
          mask: c.mask?.data ?? null,
          bias: withBias ? c.bias.data : null,
        };
        const budget = g.inChannels * g.kernelVolume * 4 * width;
        if (planColumnTiles(g, { maxBytes: budget }).tilesPerSample > 1) multiTile++;
        const want = new Float32Array(shapeSize(g.outputShape));
        deformConvReference(g, data, want);
        const whole = new Float32Array(want.length).fill(Number.NaN);
        deformConvIm2col(g, data, whole);
        const tiled = new Float32Array(want.length).fill(Number.NaN);
        deformConvIm2col(g, data, tiled, budget);
        assertClose(whole, want);
        assertClose(tiled, want);
      }),
      { numRuns: 80, seed: 3501 },
    );
    expect(multiTile).toBeGreaterThan(20);
  });

  it('propagates NaN like the reference (0 * NaN is NaN, in the sample and in the GEMM)', () => {
    const g = convGeometry({
      op: 'deformConv2d',
      inChannels: 2,
      outChannels: 2,
      inputSpatial: [4, 4],
      kernelSize: 2,
      offsetGroups: 1,
    });
    const rng = createRng(5);
    const x = rng.normalTensor(g.inputShape);
    x.data[5] = Number.NaN;
    const offset = rng.uniformTensor(g.offsetShape!, -1.5, 1.5);
    const w = rng.normalTensor(g.weightShape);
    w.data[0] = 0;
    const got = deformConv(x, w, offset, { algorithm: 'im2col' });
    const want = deformConv(x, w, offset, { algorithm: 'reference' });
    expect(got.data.some(Number.isNaN)).toBe(true);
    expect(Array.from(got.data).map(Number.isNaN)).toEqual(Array.from(want.data).map(Number.isNaN));
    assertClose(got, want);
  });

  it('gives an empty batch for an empty batch, and the bias alone for samples far outside', () => {
    const empty = deformConv(zeros([0, 2, 3, 3]), zeros([1, 2, 2, 2]), zeros([0, 8, 2, 2]), {
      algorithm: 'im2col',
    });
    expect(empty.shape).toEqual([0, 1, 2, 2]);
    const far = full([1, 8, 2, 2], 100);
    const y = deformConv(full([1, 2, 3, 3], 1), full([1, 2, 2, 2], 1), far, {
      bias: tensor([0.5], [1]),
      algorithm: 'im2col',
    });
    expect(Array.from(y.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});
