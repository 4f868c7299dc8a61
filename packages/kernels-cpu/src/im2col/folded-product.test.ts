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
import { convTranspose2d } from '../conv-transpose';
import { convBackwardInputReference } from '../reference/conv-backward-input-reference';
import { convTransposeReference } from '../reference/conv-transpose-reference';
import { randomConvCase } from '../reference/random-conv-case';
import { convBackwardInputIm2col } from './conv-backward-input-im2col';
import { convTransposeIm2col } from './conv-transpose-im2col';

/** Channels-first random data of a geometry (kernels read channels-first whatever its layout). */
function data(g: ConvGeometry, seed: number) {
  const rng = createRng(seed);
  return {
    input: rng.normalTensor([g.batch, g.inChannels, ...g.inputSpatial]).data,
    weight: rng.normalTensor(g.weightShape).data,
    bias: rng.normalTensor([g.outChannels]).data,
    gradOutput: rng.normalTensor([g.batch, g.outChannels, ...g.outputSpatial]).data,
  };
}

function budgetOf(lowering: ConvGeometry, width: number): number {
  return lowering.inChannelsPerGroup * lowering.kernelVolume * 4 * width;
}

/** Tiling changes only the order of col2im's additions and the GEMM's edge rounding. */
const TIGHT = { atol: 1e-5, rtol: 1e-5 };

describe('foldedProduct: conv gradInput (convBackwardInputIm2col)', () => {
  it('matches the reference on random geometries and every padding mode, through tiny tiles as through one', () => {
    let multiTile = 0;
    fc.assert(
      fc.property(randomConvCase(false), fc.integer({ min: 1, max: 7 }), (c, width) => {
        const g = c.geometry;
        const { weight, gradOutput } = data(g, c.seed);
        const budget = budgetOf(g, width);
        if (planColumnTiles(g, { maxBytes: budget, channels: g.inChannelsPerGroup }).tilesPerSample > 1)
          multiTile++;
        const whole = convBackwardInputIm2col(gradOutput, weight, g);
        assertClose(whole, convBackwardInputReference(gradOutput, weight, g));
        assertClose(convBackwardInputIm2col(gradOutput, weight, g, budget), whole, TIGHT);
      }),
      { numRuns: 80, seed: 3201 },
    );
    expect(multiTile).toBeGreaterThan(20);
  });

  it('sends the gradient of mirrored, clamped and wrapped reads back to their source, across tile boundaries', () => {
    for (const paddingMode of ['reflect', 'replicate', 'circular'] as const) {
      const g = convGeometry({
        batch: 2,
        inChannels: 4,
        outChannels: 6,
        groups: 2,
        inputSpatial: [7, 6],
        kernelSize: 3,
        padding: [2, 1],
        paddingMode,
      });
      const { weight, gradOutput } = data(g, 12);
      const budget = budgetOf(g, 4);
      expect(
        planColumnTiles(g, { maxBytes: budget, channels: 2 }).columnsPerTile % g.outputSpatial[1]!,
      ).not.toBe(0);
      const want = convBackwardInputReference(gradOutput, weight, g);
      assertClose(convBackwardInputIm2col(gradOutput, weight, g, budget), want, { label: paddingMode });
    }
  });

  it('never lets a zero weight hide an infinite gradOutput (0 * Inf = NaN, as PyTorch)', () => {
    const inf = Number.POSITIVE_INFINITY;
    const options = { padding: 1, algorithm: 'im2col' };
    const gradOutput = ones([1, 1, 3]);
    gradOutput.data[1] = inf;
    const w = tensor([0, 1, 0], [1, 1, 3]);
    const input = ones([1, 1, 3]);
    const got = convBackward(gradOutput, input, w, options).gradInput;
    const want = convBackward(gradOutput, input, w, { ...options, algorithm: 'reference' }).gradInput;
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    expect(Array.from(got.data)).toEqual([Number.NaN, inf, Number.NaN]);
  });
});

describe('foldedProduct: convTranspose forward (convTransposeIm2col, the C^T route)', () => {
  it('matches the reference on random geometries, outputPadding included, through tiny tiles as through one', () => {
    fc.assert(
      fc.property(
        randomConvCase(true),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        (c, width, withBias) => {
          const g = c.geometry;
          const { input, weight, bias } = data(g, c.seed);
          const b = withBias ? bias : null;
          const adjoint = adjointConvGeometry(g);
          const budget = adjoint ? budgetOf(adjoint, width) : 4;
          const whole = convTransposeIm2col(input, weight, b, g);
          assertClose(whole, convTransposeReference(input, weight, b, g));
          assertClose(convTransposeIm2col(input, weight, b, g, budget), whole, TIGHT);
        },
      ),
      { numRuns: 80, seed: 3202 },
    );
  });

  it('leaves the bias alone where no tap lands: stride holes, cropped output padding, or the whole output', () => {
    const cropped = convGeometry({
      transposed: true,
      batch: 2,
      inChannels: 2,
      outChannels: 3,
      inputSpatial: [3, 4],
      kernelSize: [2, 1],
      dilation: [3, 1],
      stride: [2, 3],
      outputPadding: [2, 2],
    });
    const nothing = convGeometry({
      transposed: true,
      inChannels: 2,
      outChannels: 3,
      inputSpatial: [1],
      kernelSize: 1,
      stride: 2,
      padding: [[1, 0]],
      outputPadding: 1,
    });
    expect(adjointConvGeometry(nothing)).toBeNull();
    for (const g of [cropped, nothing]) {
      const { input, weight, bias } = data(g, 13);
      assertClose(
        convTransposeIm2col(input, weight, bias, g),
        convTransposeReference(input, weight, bias, g),
      );
    }
    const { input, weight, bias } = data(nothing, 13);
    expect(Array.from(convTransposeIm2col(input, weight, bias, nothing))).toEqual(Array.from(bias));
  });

  it('propagates Infinity only through taps that land on the output (as PyTorch)', () => {
    const inf = Number.POSITIVE_INFINITY;
    const w = ones([1, 1, 3, 3]);
    w.data[0] = inf;
    const options = { padding: 1, stride: 2 };
    const got = convTranspose2d(ones([1, 1, 3, 3]), w, { ...options, algorithm: 'im2col' });
    const want = convTranspose2d(ones([1, 1, 3, 3]), w, { ...options, algorithm: 'reference' });
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    expect(got.data.filter((v) => v === inf).length).toBe(4);
    // NaN in the input reaches exactly the outputs its taps land on.
    const x = ones([1, 1, 3, 3]);
    x.data[4] = Number.NaN;
    const nanGot = convTranspose2d(x, ones([1, 1, 3, 3]), { ...options, algorithm: 'im2col' });
    const nanWant = convTranspose2d(x, ones([1, 1, 3, 3]), { ...options, algorithm: 'reference' });
    expect(Array.from(nanGot.data)).toEqual(Array.from(nanWant.data));
    expect(nanGot.data.filter(Number.isNaN).length).toBe(9);
  });
});
