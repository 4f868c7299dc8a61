import { planColumnTiles } from '@convkit/im2col';
import {
  adjointConvGeometry,
  assertClose,
  type ConvGeometry,
  convGeometry,
  createRng,
  ones,
  tensor,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convBackward } from '../conv-backward';
import { convTransposeBackward } from '../conv-transpose-backward';
import { convBackwardWeightReference } from '../reference/conv-backward-weight-reference';
import { convTransposeBackwardWeightReference } from '../reference/conv-transpose-backward-weight-reference';
import { randomConvCase } from '../reference/random-conv-case';
import { convBackwardWeightIm2col } from './conv-backward-weight-im2col';
import { convTransposeBackwardWeightIm2col } from './conv-transpose-backward-weight-im2col';

/** Channels-first random data of a geometry (kernels read channels-first whatever its layout). */
function data(g: ConvGeometry, seed: number) {
  const rng = createRng(seed);
  return {
    input: rng.normalTensor([g.batch, g.inChannels, ...g.inputSpatial]).data,
    gradOutput: rng.normalTensor([g.batch, g.outChannels, ...g.outputSpatial]).data,
  };
}

function budgetOf(lowering: ConvGeometry, width: number): number {
  return lowering.inChannelsPerGroup * lowering.kernelVolume * 4 * width;
}

/** Tiles split the GEMM's sum over output positions: only float32 rounding differs. */
const TIGHT = { atol: 1e-5, rtol: 1e-5 };

describe('columnCorrelation: conv gradWeight (convBackwardWeightIm2col)', () => {
  it('matches the reference on random geometries and every padding mode, through tiny tiles as through one', () => {
    let multiTile = 0;
    fc.assert(
      fc.property(randomConvCase(false), fc.integer({ min: 1, max: 7 }), (c, width) => {
        const g = c.geometry;
        const { input, gradOutput } = data(g, c.seed);
        const budget = budgetOf(g, width);
        if (planColumnTiles(g, { maxBytes: budget, channels: g.inChannelsPerGroup }).tilesPerSample > 1)
          multiTile++;
        const whole = convBackwardWeightIm2col(gradOutput, input, g);
        assertClose(whole, convBackwardWeightReference(gradOutput, input, g));
        assertClose(convBackwardWeightIm2col(gradOutput, input, g, budget), whole, TIGHT);
      }),
      { numRuns: 80, seed: 3301 },
    );
    expect(multiTile).toBeGreaterThan(20);
  });

  it('sums over samples and tiles that end in the middle of a row, 1x1 fast path included', () => {
    for (const args of [
      {
        inputSpatial: [9, 7],
        kernelSize: [2, 3],
        padding: [
          [1, 0],
          [0, 2],
        ] as [number, number][],
      },
      { inputSpatial: [6, 5], kernelSize: 1 },
    ]) {
      const g = convGeometry({ batch: 3, inChannels: 4, outChannels: 6, groups: 2, ...args });
      const { input, gradOutput } = data(g, 14);
      const want = convBackwardWeightReference(gradOutput, input, g);
      assertClose(convBackwardWeightIm2col(gradOutput, input, g), want);
      assertClose(convBackwardWeightIm2col(gradOutput, input, g, budgetOf(g, 4)), want);
    }
  });

  it('multiplies the zeros of the padding in (Inf gradOutput over padding gives NaN, as PyTorch)', () => {
    const inf = Number.POSITIVE_INFINITY;
    const gradOutput = tensor([inf, 1, 1], [1, 1, 3]);
    const input = ones([1, 1, 3]);
    const w = ones([1, 1, 3]);
    const got = convBackward(gradOutput, input, w, { padding: 1, algorithm: 'im2col' }).gradWeight;
    const want = convBackward(gradOutput, input, w, { padding: 1, algorithm: 'reference' }).gradWeight;
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    expect(Array.from(got.data)).toEqual([Number.NaN, inf, inf]);
    // The 1x1 path reads the input as its columns: a NaN input poisons every weight it meets.
    const x = tensor([1, Number.NaN, 2, 3], [1, 2, 2]);
    const pointwise = convBackward(ones([1, 3, 2]), x, ones([3, 2, 1]), { algorithm: 'im2col' }).gradWeight;
    expect(Array.from(pointwise.data)).toEqual([Number.NaN, 5, Number.NaN, 5, Number.NaN, 5]);
  });
});

describe('columnCorrelation: convTranspose gradWeight (convTransposeBackwardWeightIm2col)', () => {
  it('matches the reference on random geometries, through tiny tiles as through one', () => {
    fc.assert(
      fc.property(randomConvCase(true), fc.integer({ min: 1, max: 7 }), (c, width) => {
        const g = c.geometry;
        const { input, gradOutput } = data(g, c.seed);
        const adjoint = adjointConvGeometry(g);
        const budget = adjoint ? budgetOf(adjoint, width) : 4;
        const whole = convTransposeBackwardWeightIm2col(gradOutput, input, g);
        assertClose(whole, convTransposeBackwardWeightReference(gradOutput, input, g));
        assertClose(convTransposeBackwardWeightIm2col(gradOutput, input, g, budget), whole, TIGHT);
      }),
      { numRuns: 80, seed: 3302 },
    );
  });

  it('gives zeros when no tap reaches the output, and matches the reference when the tail is cropped', () => {
    const nothing = {
      inputSpatial: [1],
      kernelSize: 1,
      stride: 2,
      padding: [[1, 0]] as [number, number][],
      outputPadding: 1,
    };
    const cropped = { inputSpatial: [3], kernelSize: 2, dilation: 3, outputPadding: 2 };
    for (const args of [nothing, cropped]) {
      const g = convGeometry({
        transposed: true,
        batch: 2,
        inChannels: 2,
        outChannels: 4,
        groups: 2,
        ...args,
      });
      const { input, gradOutput } = data(g, 15);
      const got = convTransposeBackwardWeightIm2col(gradOutput, input, g);
      assertClose(got, convTransposeBackwardWeightReference(gradOutput, input, g));
      if (args === nothing) expect(Array.from(got)).toEqual([0, 0, 0, 0]);
    }
    const r = convTransposeBackward(ones([1, 1, 2]), ones([1, 1, 2]), ones([1, 1, 1]), {
      algorithm: 'im2col',
    });
    expect(Array.from(r.gradWeight.data)).toEqual([2]);
  });
});
