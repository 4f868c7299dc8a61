import { ArgumentError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { bottleneckCost, pointwiseCost } from './pointwise-cost';

describe('pointwiseCost', () => {
  it('keeps height and width and changes the channels: H*W*M*N MACs, M*N weights', () => {
    const cost = pointwiseCost({ inputSpatial: [64, 64], inChannels: 192, outChannels: 32 });
    expect(cost.outputSpatial).toEqual([64, 64]);
    expect(cost.params).toBe(192 * 32);
    expect(cost.macs).toBe(64 * 64 * 192 * 32);
    expect(pointwiseCost({ inputSpatial: [15], inChannels: 4, outChannels: 8 }).outputSpatial).toEqual([15]);
  });

  it('refuses bad channel counts', () => {
    expect(() => pointwiseCost({ inputSpatial: [4, 4], inChannels: 2.5, outChannels: 8 })).toThrow(
      'pointwiseCost: inChannels must be a positive integer, got 2.5',
    );
  });

  it('refuses missing, unknown and ill-typed fields with an ArgumentError naming the function and the field', () => {
    const ok = { inputSpatial: [4, 4], inChannels: 2, outChannels: 8 };
    const cases: [unknown, string][] = [
      [{ height: 4, width: 4, inChannels: 2, outChannels: 8 }, "pointwiseCost: unknown option 'height'"],
      [
        { ...ok, inputSpatial: undefined },
        'pointwiseCost: inputSpatial must be a list of 1 to 3 positive integers',
      ],
      [
        { ...ok, inputSpatial: [4, 0] },
        'pointwiseCost: inputSpatial must be a list of 1 to 3 positive integers',
      ],
      [
        { ...ok, outChannels: undefined },
        'pointwiseCost: outChannels must be a positive integer, got undefined',
      ],
      // A 1x1 convolution has no kernel size to give.
      [{ ...ok, kernelSize: 1 }, "pointwiseCost: unknown option 'kernelSize'"],
      [undefined, 'pointwiseCost: its argument must be an object'],
    ];
    for (const [args, message] of cases) {
      const call = () => pointwiseCost(args as never);
      expect(call, message).toThrow(ArgumentError);
      expect(call, message).toThrow(message);
    }
  });
});

describe('bottleneckCost', () => {
  it('Inception: 28x28x192 to 32 channels by 5x5 costs 120M MACs, 12.4M through a 16-channel 1x1', () => {
    const cost = bottleneckCost({
      inputSpatial: [28, 28],
      inChannels: 192,
      bottleneckChannels: 16,
      outChannels: 32,
      kernelSize: 5,
      padding: 'same',
    });
    expect(cost.outputSpatial).toEqual([28, 28]);
    expect(cost.direct.macs).toBe(120_422_400);
    expect(cost.reduce.macs).toBe(2_408_448);
    expect(cost.conv.macs).toBe(10_035_200);
    expect(cost.bottleneck.macs).toBe(12_443_648);
    expect(cost.macsRatio).toBeCloseTo(0.1033, 4);
    expect(cost.direct.params).toBe(192 * 32 * 25);
    expect(cost.bottleneck.params).toBe(192 * 16 + 16 * 32 * 25);
    expect(cost.paramsRatio).toBeCloseTo(cost.bottleneck.params / cost.direct.params, 12);
  });

  it('refuses bad windows, naming the comparison', () => {
    expect(() =>
      bottleneckCost({
        inputSpatial: [8, 8],
        inChannels: 4,
        bottleneckChannels: 2,
        outChannels: 4,
        kernelSize: 3,
        stride: 0,
      }),
    ).toThrow(ArgumentError);
  });

  it('refuses missing, unknown and ill-typed fields with an ArgumentError naming the function and the field', () => {
    const ok = { inputSpatial: [8, 8], inChannels: 4, bottleneckChannels: 2, outChannels: 4, kernelSize: 3 };
    const cases: [unknown, string][] = [
      [
        { ...ok, bottleneckChannels: undefined },
        'bottleneckCost: bottleneckChannels must be a positive integer, got undefined',
      ],
      [{ ...ok, stride: 0 }, 'bottleneckCost: stride must be a positive integer or a list of them'],
      [{ ...ok, padding: [[1, 1, 1]] }, 'bottleneckCost: padding must be a non-negative integer'],
      [
        { ...ok, inputSpatial: '8x8' },
        'bottleneckCost: inputSpatial must be a list of 1 to 3 positive integers',
      ],
      [{ ...ok, reduceTo: 2 }, "bottleneckCost: unknown option 'reduceTo'"],
    ];
    for (const [args, message] of cases) {
      const call = () => bottleneckCost(args as never);
      expect(call, message).toThrow(ArgumentError);
      expect(call, message).toThrow(message);
    }
  });
});
