import { assertClose, type ConvGeometry, convGeometry, createRng, tensor } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convTranspose2d } from '../conv-transpose';
import { convBackwardInputReference } from '../reference/conv-backward-input-reference';
import { convBackwardWeightReference } from '../reference/conv-backward-weight-reference';
import { convReference } from '../reference/conv-reference';
import { convTransposeBackwardInputReference } from '../reference/conv-transpose-backward-input-reference';
import { convTransposeBackwardWeightReference } from '../reference/conv-transpose-backward-weight-reference';
import { convTransposeReference } from '../reference/conv-transpose-reference';
import { randomConvCase } from '../reference/random-conv-case';
import { convBackwardInputIm2col } from './conv-backward-input-im2col';
import { convBackwardWeightIm2col } from './conv-backward-weight-im2col';
import { convIm2col } from './conv-im2col';
import { convTransposeBackwardInputIm2col } from './conv-transpose-backward-input-im2col';
import { convTransposeBackwardWeightIm2col } from './conv-transpose-backward-weight-im2col';
import { convTransposeIm2col } from './conv-transpose-im2col';
import { needsTapTiles, planTapTiles } from './tap-tile-plan';

function data(g: ConvGeometry, seed: number) {
  const rng = createRng(seed);
  return {
    input: rng.normalTensor([g.batch, g.inChannels, ...g.inputSpatial]).data,
    weight: rng.normalTensor(g.weightShape).data,
    bias: rng.normalTensor([g.outChannels]).data,
    gradOutput: rng.normalTensor([g.batch, g.outChannels, ...g.outputSpatial]).data,
  };
}

/** Channels in one column of the lowering each kernel runs (transposed: the adjoint's). */
function columnChannels(g: ConvGeometry): number {
  return g.transposed ? g.outChannelsPerGroup : g.inChannelsPerGroup;
}

describe('planTapTiles', () => {
  it('fits the budget, about square, taps taking the rest when there are few columns', () => {
    expect(planTapTiles('op', 9_000_000, 1, 32 * 2 ** 20)).toEqual({
      tapsPerTile: 8_388_608,
      columnsPerTile: 1,
    });
    expect(planTapTiles('op', 100, 10_000, 400)).toEqual({ tapsPerTile: 10, columnsPerTile: 10 });
    expect(planTapTiles('op', 3, 2, 4)).toEqual({ tapsPerTile: 1, columnsPerTile: 1 });
    expect(needsTapTiles(2, 9, 71)).toBe(true);
    expect(needsTapTiles(2, 9, 72)).toBe(false);
  });
});

describe('im2col kernels tiled over kernel taps (one column above the budget)', () => {
  // Budgets from 4 bytes (one float per tile) to just below one column.
  const tapCases = (transposed: boolean) =>
    (transposed ? randomConvCase(true) : randomConvCase(false)).chain(
      (c: { geometry: ConvGeometry; seed: number }) => {
        const columnBytes = columnChannels(c.geometry) * c.geometry.kernelVolume * 4;
        return fc.tuple(fc.constant(c), fc.integer({ min: 4, max: Math.max(4, columnBytes - 1) }));
      },
    );

  it('conv forward, gradInput and gradWeight match the reference', () => {
    fc.assert(
      fc.property(tapCases(false), ([c, budget]) => {
        const g = c.geometry;
        const { input, weight, bias, gradOutput } = data(g, c.seed);
        assertClose(convIm2col(input, weight, bias, g, budget), convReference(input, weight, bias, g));
        assertClose(
          convBackwardInputIm2col(gradOutput, weight, g, budget),
          convBackwardInputReference(gradOutput, weight, g),
        );
        assertClose(
          convBackwardWeightIm2col(gradOutput, input, g, budget),
          convBackwardWeightReference(gradOutput, input, g),
        );
      }),
      { numRuns: 40, seed: 1401 },
    );
  });

  it('transposed forward, gradInput and gradWeight match the reference', () => {
    fc.assert(
      fc.property(tapCases(true), ([c, budget]) => {
        const g = c.geometry;
        const { input, weight, bias, gradOutput } = data(g, c.seed);
        assertClose(
          convTransposeIm2col(input, weight, bias, g, budget),
          convTransposeReference(input, weight, bias, g),
        );
        assertClose(
          convTransposeBackwardInputIm2col(gradOutput, weight, g, budget),
          convTransposeBackwardInputReference(gradOutput, weight, g),
        );
        assertClose(
          convTransposeBackwardWeightIm2col(gradOutput, input, g, budget),
          convTransposeBackwardWeightReference(gradOutput, input, g),
        );
      }),
      { numRuns: 40, seed: 1402 },
    );
  });

  it('a 2-D case with groups, padding modes and tiles that split rows and taps', () => {
    const g = convGeometry({
      batch: 2,
      inChannels: 4,
      outChannels: 6,
      groups: 2,
      inputSpatial: [7, 6],
      kernelSize: [3, 2],
      padding: 1,
      paddingMode: 'reflect',
    });
    const { input, weight, bias } = data(g, 5);
    // A column is 2 channels * 6 taps = 48 bytes; 20 bytes gives tiles of 2 taps x 2 columns.
    expect(planTapTiles('op', 6, g.outputVolume, 20)).toEqual({ tapsPerTile: 2, columnsPerTile: 2 });
    assertClose(convIm2col(input, weight, bias, g, 20), convReference(input, weight, bias, g));
  });

  it("runs the issue's 1x1 input with a 3000x3000 transposed kernel through im2col under 'auto'", () => {
    const x = tensor([2], [1, 1, 1, 1]);
    const w = createRng(3).normalTensor([1, 1, 3000, 3000]);
    const y = convTranspose2d(x, w);
    expect(y.shape).toEqual([1, 1, 3000, 3000]);
    // Every output is 2 * w at the same position.
    for (const i of [0, 1, 4_499_999, 8_999_999]) expect(y.data[i]).toBeCloseTo(2 * w.data[i]!, 5);
  });
});
