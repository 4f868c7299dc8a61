import { convGeometry } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dimPhases, phasePlan } from './phase-plan';

describe('phasePlan', () => {
  it('splits k4 s2 p1 into two phases of two taps each', () => {
    // out = (28 - 1) * 2 - 2 + 4 = 56. Even outputs o = 2a: taps 1 (input a) and 3 (input a - 1).
    expect(dimPhases(56, 4, 2, 1, 1)).toEqual([
      { start: 0, count: 28, taps: [1, 3], deltas: [0, -1] },
      { start: 1, count: 28, taps: [0, 2], deltas: [1, 0] },
    ]);
  });

  it('leaves the phases dilated taps never reach empty', () => {
    // k3, dilation 2, stride 2: tap positions 0, 2, 4 are all even.
    const phases = dimPhases(10, 3, 2, 2, 0);
    expect(phases.map((p) => p.taps)).toEqual([[0, 1, 2], []]);
    expect(phases.map((p) => p.count)).toEqual([5, 5]);
  });

  it('gives every (output, tap, input) triple of the definition exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (inSize, k, stride, dilation, padBefore, extra) => {
          const out = (inSize - 1) * stride - padBefore + dilation * (k - 1) + 1 + extra;
          fc.pre(out > 0);
          const expected: string[] = [];
          for (let i = 0; i < inSize; i++) {
            for (let t = 0; t < k; t++) {
              const o = i * stride - padBefore + t * dilation;
              if (o >= 0 && o < out) expected.push(`${o},${t},${i}`);
            }
          }
          const got: string[] = [];
          for (const phase of dimPhases(out, k, stride, dilation, padBefore)) {
            for (let a = 0; a < phase.count; a++) {
              phase.taps.forEach((t, j) => {
                const i = a + phase.deltas[j]!;
                if (i >= 0 && i < inSize) got.push(`${phase.start + stride * a},${t},${i}`);
              });
            }
          }
          expect(got.sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: 300, seed: 8810 },
    );
  });

  it('plans 1-3-D geometries as 3-D, phases the products of the per-dim ones', () => {
    const g = convGeometry({
      transposed: true,
      inChannels: 2,
      outChannels: 2,
      inputSpatial: [5, 6],
      kernelSize: [3, 4],
      stride: [2, 3],
      padding: 1,
    });
    const plan = phasePlan(g);
    expect(plan).toHaveLength(6);
    expect(plan.every((p) => p.start[0] === 0 && p.count[0] === 1 && p.stride[0] === 1)).toBe(true);
    expect(plan.reduce((sum, p) => sum + p.count[1] * p.count[2], 0)).toBe(g.outputVolume);
    // Every tap of the 3x4 kernel belongs to one phase.
    expect(plan.flatMap((p) => p.taps).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
  });
});
