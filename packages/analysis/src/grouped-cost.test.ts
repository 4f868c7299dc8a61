import { ArgumentError, ShapeError } from '@convkit/tensor';
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

  it('refuses missing, unknown and ill-typed fields with an ArgumentError naming the function and the field', () => {
    const ok = { inputSpatial: [8, 8], inChannels: 4, outChannels: 8, kernelSize: 3, groups: 2 };
    const cases: [unknown, string][] = [
      [{ ...ok, groups: undefined }, 'groupedCost: groups must be a positive integer, got undefined'],
      [{ ...ok, groups: 1.5 }, 'groupedCost: groups must be a positive integer, got 1.5'],
      [
        { ...ok, inputSpatial: { h: 8, w: 8 } },
        'groupedCost: inputSpatial must be a list of 1 to 3 positive integers',
      ],
      [{ ...ok, inChannels: null }, 'groupedCost: inChannels must be a positive integer, got null'],
      [{ ...ok, kernelSize: '3x3' }, 'groupedCost: kernelSize must be a positive integer or a list of them'],
      [{ ...ok, group: 2 }, "groupedCost: unknown option 'group'; the options are"],
      ['AlexNet', 'groupedCost: its argument must be an object'],
    ];
    for (const [args, message] of cases) {
      const call = () => groupedCost(args as never);
      expect(call, message).toThrow(ArgumentError);
      expect(call, message).toThrow(message);
    }
  });
});
