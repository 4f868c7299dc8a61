import { planColumnTiles } from '@convkit/im2col';
import {
  adjointConvGeometry,
  assertClose,
  type ConvGeometry,
  convGeometry,
  createRng,
  ones,
  tensor,
  zeros,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv1d, conv2d } from '../conv';
import { convReference } from '../reference/conv-reference';
import { convTransposeBackwardInputReference } from '../reference/conv-transpose-backward-input-reference';
import { randomConvCase } from '../reference/random-conv-case';
import { convIm2col } from './conv-im2col';
import { convTransposeBackwardInputIm2col } from './conv-transpose-backward-input-im2col';

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

/** A budget of `width` columns of the lowering that `lowering` describes. */
function budgetOf(lowering: ConvGeometry, width: number): number {
  return lowering.inChannelsPerGroup * lowering.kernelVolume * 4 * width;
}

/** Tiling changes only the rounding of edge tiles in the GEMM: far inside the contract. */
const TIGHT = { atol: 1e-5, rtol: 1e-5 };

describe('loweredProduct: conv forward (convIm2col)', () => {
  it('matches the reference on random geometries, through tiny tiles as through one tile', () => {
    let multiTile = 0;
    fc.assert(
      fc.property(
        randomConvCase(false),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        (c, width, withBias) => {
          const g = c.geometry;
          const { input, weight, bias } = data(g, c.seed);
          const b = withBias ? bias : null;
          const budget = budgetOf(g, width);
          if (planColumnTiles(g, { maxBytes: budget, channels: g.inChannelsPerGroup }).tilesPerSample > 1)
            multiTile++;
          const tiled = convIm2col(input, weight, b, g, budget);
          const whole = convIm2col(input, weight, b, g);
          assertClose(whole, convReference(input, weight, b, g));
          assertClose(tiled, whole, TIGHT);
        },
      ),
      { numRuns: 80, seed: 3101 },
    );
    expect(multiTile).toBeGreaterThan(20);
  });

  it('splits tiles in the middle of an output row and across groups, 2-D and 3-D', () => {
    for (const args of [
      { inputSpatial: [9, 8], kernelSize: [3, 2], padding: 1, paddingMode: 'reflect' as const },
      { inputSpatial: [4, 5, 6], kernelSize: [2, 3, 2], stride: [1, 2, 1], padding: 1 },
    ]) {
      const g = convGeometry({ batch: 2, inChannels: 6, outChannels: 4, groups: 2, ...args });
      const { input, weight, bias } = data(g, 7);
      const budget = budgetOf(g, 5);
      const plan = planColumnTiles(g, { maxBytes: budget, channels: g.inChannelsPerGroup });
      const rowLength = g.outputSpatial[g.dims - 1]!;
      expect(plan.tilesPerSample).toBeGreaterThan(3);
      expect(plan.columnsPerTile % rowLength).not.toBe(0);
      const tiled = convIm2col(input, weight, bias, g, budget);
      assertClose(tiled, convReference(input, weight, bias, g));
      assertClose(tiled, convIm2col(input, weight, bias, g), TIGHT);
    }
  });

  it('runs a 1x1 stride-1 convolution as a GEMM on the input itself, groups and batch included', () => {
    const g = convGeometry({
      batch: 3,
      inChannels: 6,
      outChannels: 9,
      groups: 3,
      inputSpatial: [5, 7],
      kernelSize: 1,
    });
    const { input, weight, bias } = data(g, 8);
    // A budget too small for even one column would throw if the path lowered anything.
    const out = convIm2col(input, weight, bias, g, 1);
    assertClose(out, convReference(input, weight, bias, g));
  });

  it('tiles over kernel taps when the budget is below one column, instead of refusing', () => {
    const g = convGeometry({ inChannels: 4, outChannels: 2, inputSpatial: [6, 6], kernelSize: 3 });
    const { input, weight, bias } = data(g, 9);
    const expected = convReference(input, weight, bias, g);
    for (const budget of [4, 4 * 36 - 1, 4 * 36]) {
      assertClose(convIm2col(input, weight, bias, g, budget), expected);
    }
  });

  it('propagates NaN and Infinity as PyTorch: 0 * Inf is NaN, padding zeros included, 1x1 path included', () => {
    const inf = Number.POSITIVE_INFINITY;
    const nan = Number.NaN;
    const algorithm = 'im2col';
    // torch.nn.functional.conv1d(ones(1,1,4), [inf, 1, 1], padding=1) -> [nan, inf, inf, inf]
    const y = conv1d(ones([1, 1, 4]), tensor([inf, 1, 1], [1, 1, 3]), { padding: 1, algorithm });
    expect(Array.from(y.data)).toEqual([nan, inf, inf, inf]);
    const x = ones([1, 1, 4, 4]);
    x.data[0] = inf;
    const z = conv2d(x, zeros([1, 1, 3, 3]), { padding: 1, algorithm });
    expect(Array.from(z.data)).toEqual([nan, nan, 0, 0, nan, nan, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // The identity lowering (no copy) and beta = 0: a NaN or Inf input still reaches every output it feeds.
    const pointwise = conv1d(tensor([1, nan, 1, inf], [1, 1, 4]), tensor([2, 0], [2, 1, 1]), { algorithm });
    expect(Array.from(pointwise.data)).toEqual([2, nan, 2, inf, 0, nan, 0, nan]);
    const withBias = conv1d(tensor([1, nan], [1, 1, 2]), ones([1, 1, 1]), {
      bias: tensor([inf], [1]),
      algorithm,
    });
    expect(Array.from(withBias.data)).toEqual([inf, nan]);
  });
});

describe('loweredProduct: convTranspose gradInput (convTransposeBackwardInputIm2col)', () => {
  it('matches the reference on random geometries, through tiny tiles as through one tile', () => {
    fc.assert(
      fc.property(randomConvCase(true), fc.integer({ min: 1, max: 7 }), (c, width) => {
        const g = c.geometry;
        const { weight, gradOutput } = data(g, c.seed);
        const adjoint = adjointConvGeometry(g);
        const budget = adjoint ? budgetOf(adjoint, width) : 4;
        const tiled = convTransposeBackwardInputIm2col(gradOutput, weight, g, budget);
        const whole = convTransposeBackwardInputIm2col(gradOutput, weight, g);
        assertClose(whole, convTransposeBackwardInputReference(gradOutput, weight, g));
        assertClose(tiled, whole, TIGHT);
      }),
      { numRuns: 80, seed: 3102 },
    );
  });

  it('reads gradOutput through the cropped adjoint geometry when outputPadding exceeds padAfter', () => {
    // dilation 3 > stride 1 allows outputPadding 2; the last 2 output positions get no tap.
    const g = convGeometry({
      transposed: true,
      batch: 2,
      inChannels: 4,
      outChannels: 6,
      groups: 2,
      inputSpatial: [4, 3],
      kernelSize: [3, 2],
      dilation: [3, 1],
      outputPadding: [2, 0],
      stride: [1, 2],
    });
    expect(adjointConvGeometry(g)!.inputSpatial[0]).toBe(g.outputSpatial[0]! - 2);
    const { weight, gradOutput } = data(g, 11);
    const want = convTransposeBackwardInputReference(gradOutput, weight, g);
    assertClose(convTransposeBackwardInputIm2col(gradOutput, weight, g), want);
    assertClose(
      convTransposeBackwardInputIm2col(gradOutput, weight, g, budgetOf(adjointConvGeometry(g)!, 2)),
      want,
    );
  });
});
