import { ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { groupedCost } from './grouped-cost';

describe('groupedCost', () => {
  it("AlexNet's conv2 (96 -> 256, 5x5, 2 groups on 27x27) halves the weights and the MACs", () => {
    const cost = groupedCost({
      inputSpatial: [27, 27],
      inChannels: 96,
      outChannels: 256,
      kernelSize: 5,
      padding: 2,
      groups: 2,
    });
    expect(cost.outputSpatial).toEqual([27, 27]);
    expect(cost.standard).toEqual({ params: 614_400, macs: 447_897_600 });
    // C1 * h1 * w1 * C2 / g.
    expect(cost.grouped).toEqual({ params: (96 * 5 * 5 * 256) / 2, macs: 223_948_800 });
    expect(cost.ratio).toBe(0.5);
    expect(cost.formulaRatio).toBe(0.5);
  });

  it('depthwise is the case g = C1 = C2: 1/C of the standard', () => {
    const cost = groupedCost({
      inputSpatial: [56, 56],
      inChannels: 32,
      outChannels: 32,
      kernelSize: 3,
      padding: 1,
      groups: 32,
    });
    expect(cost.grouped.params).toBe(32 * 9);
    expect(cost.ratio).toBe(1 / 32);
    expect(cost.grouped.macs / cost.standard.macs).toBe(1 / 32);
  });

  it('refuses groups that do not divide the channels', () => {
    expect(() =>
      groupedCost({ inputSpatial: [8, 8], inChannels: 6, outChannels: 8, kernelSize: 3, groups: 4 }),
    ).toThrow(ShapeError);
    expect(() =>
      groupedCost({ inputSpatial: [8, 8], inChannels: 6, outChannels: 8, kernelSize: 3, groups: 4 }),
    ).toThrow('groupedCost: groups=4 must divide the 6 input channels');
  });
});
