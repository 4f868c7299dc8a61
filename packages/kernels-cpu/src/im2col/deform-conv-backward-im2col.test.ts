import { planColumnTiles } from '@convkit/im2col';
import { assertClose, type ConvGeometry, shapeSize } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeformConvGradientData } from '../deform-algorithms';
import { deformConvBackward } from '../deform-conv-backward';
import { deformConvBackwardReference } from '../reference/deform-conv-backward-reference';
import { type DeformCase, randomDeformCase } from '../reference/random-deform-case';
import { deformConvBackwardIm2col } from './deform-conv-backward-im2col';

/** Gradient buffers filled with NaN, so an element a kernel forgets to write shows. */
function gradientBuffers(g: ConvGeometry, withMask: boolean): DeformConvGradientData {
  const poisoned = (shape: readonly number[]) => new Float32Array(shapeSize(shape)).fill(Number.NaN);
  return {
    gradInput: poisoned(g.inputShape),
    gradWeight: poisoned(g.weightShape),
    gradBias: poisoned([g.outChannels]),
    gradOffset: poisoned(g.offsetShape!),
    gradMask: withMask ? poisoned(g.maskShape!) : null,
  };
}

function expectGradientsClose(
  got: DeformConvGradientData,
  want: DeformConvGradientData,
  label: string,
): void {
  for (const key of ['gradInput', 'gradWeight', 'gradBias', 'gradOffset', 'gradMask'] as const) {
    if (want[key] === null) expect(got[key], `${label} ${key}`).toBeNull();
    else assertClose(got[key]!, want[key]!, { label: `${label} ${key}` });
  }
}

function run(c: DeformCase, maxTileBytes?: number): DeformConvGradientData {
  const data = {
    input: c.input.data,
    weight: c.weight.data,
    offset: c.offset.data,
    mask: c.mask?.data ?? null,
    bias: null,
  };
  const out = gradientBuffers(c.geometry, c.mask !== null);
  deformConvBackwardIm2col(c.geometry, c.gradOutput.data, data, out, maxTileBytes);
  return out;
}

describe('deformConvBackwardIm2col', () => {
  it('matches the reference (gradInput, gradWeight, gradBias, gradOffset, gradMask) on random problems, through tiny tiles as through one', () => {
    let multiTile = 0;
    fc.assert(
      fc.property(randomDeformCase(), fc.integer({ min: 1, max: 5 }), (c, width) => {
        const g = c.geometry;
        const want = gradientBuffers(g, c.mask !== null);
        deformConvBackwardReference(
          g,
          c.gradOutput.data,
          { input: c.input.data, weight: c.weight.data, offset: c.offset.data, mask: c.mask?.data ?? null },
          want,
        );
        // Two buffers (columns and their gradient) of `width` columns each.
        const budget = 2 * g.inChannels * g.kernelVolume * 4 * width;
        if (planColumnTiles(g, { maxBytes: budget / 2 }).tilesPerSample > 1) multiTile++;
        expectGradientsClose(run(c), want, 'one tile');
        expectGradientsClose(run(c, budget), want, `tiles of ${width}`);
      }),
      { numRuns: 80, seed: 3601 },
    );
    expect(multiTile).toBeGreaterThan(20);
  });

  it('is what deformConvBackward runs for algorithm im2col, and agrees with the reference through the op', () => {
    fc.assert(
      fc.property(randomDeformCase(), (c) => {
        const got = deformConvBackward(c.gradOutput, c.input, c.weight, c.offset, {
          ...c.options,
          algorithm: 'im2col',
        });
        const want = deformConvBackward(c.gradOutput, c.input, c.weight, c.offset, {
          ...c.options,
          algorithm: 'reference',
        });
        assertClose(got.gradInput, want.gradInput);
        assertClose(got.gradWeight, want.gradWeight);
        assertClose(got.gradBias, want.gradBias);
        assertClose(got.gradOffset, want.gradOffset);
        if (want.gradMask) assertClose(got.gradMask!, want.gradMask);
        else expect(got.gradMask).toBeNull();
      }),
      { numRuns: 30, seed: 3602 },
    );
  });
});
