import { ArgumentError, ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { separableCost } from './separable-cost';

describe('separableCost', () => {
  it('7x7x3 input to 128 channels with 3x3 kernels: 86,400 multiplications against 10,275', () => {
    const cost = separableCost({ inputSpatial: [7, 7], inChannels: 3, outChannels: 128, kernelSize: 3 });
    expect(cost.outputSpatial).toEqual([5, 5]);
    // 128 filters of 3x3x3 moved 5x5 times.
    expect(cost.standard).toEqual({ macs: 86_400, params: 3456 });
    // 3 filters of 3x3x1 moved 5x5 times, then 128 filters of 1x1x3 moved 5x5 times.
    expect(cost.depthwise).toEqual({ macs: 675, params: 27 });
    expect(cost.pointwise).toEqual({ macs: 9600, params: 384 });
    expect(cost.separable).toEqual({ macs: 10_275, params: 411 });
    expect(cost.macsRatio).toBeCloseTo(0.1189, 4);
    expect(cost.macsRatio).toBeCloseTo(1 / 128 + 1 / 9, 12);
    expect(cost.paramsRatio).toBeCloseTo(1 / 128 + 1 / 9, 12);
    expect(cost.formulaRatio).toBe(1 / 128 + 1 / 9);
  });

  it('H*W*K*K*M*N against H*W*M*K*K + H*W*M*N on a MobileNet layer (14x14x512 to 512, same padding)', () => {
    const [H, W, K, M, N] = [14, 14, 3, 512, 512];
    const cost = separableCost({
      inputSpatial: [H, W],
      inChannels: M,
      outChannels: N,
      kernelSize: K,
      padding: 'same',
    });
    expect(cost.standard.macs).toBe(H * W * K * K * M * N);
    expect(cost.separable.macs).toBe(H * W * M * K * K + H * W * M * N);
    expect(cost.standard.params).toBe(M * N * K * K);
    expect(cost.separable.params).toBe(M * K * K + M * N);
    expect(cost.macsRatio).toBeCloseTo(1 / N + 1 / (K * K), 12);
    // Between 8 and 9 times less computation for 3x3 kernels.
    expect(1 / cost.macsRatio).toBeGreaterThan(8);
    expect(1 / cost.macsRatio).toBeLessThan(9);
  });

  it('uses prod(k) for other kernels and the strided output size', () => {
    const cost = separableCost({
      inputSpatial: [16],
      inChannels: 8,
      outChannels: 16,
      kernelSize: 5,
      stride: 2,
      padding: 2,
    });
    expect(cost.outputSpatial).toEqual([8]);
    expect(cost.standard.macs).toBe(8 * 5 * 8 * 16);
    expect(cost.macsRatio).toBeCloseTo(1 / 16 + 1 / 5, 12);
    const rect = separableCost({ inputSpatial: [9, 9], inChannels: 4, outChannels: 4, kernelSize: [1, 3] });
    expect(rect.formulaRatio).toBe(1 / 4 + 1 / 3);
    expect(rect.macsRatio).toBeCloseTo(rect.formulaRatio, 12);
  });

  it('refuses sizes that give no output, naming the comparison', () => {
    expect(() =>
      separableCost({ inputSpatial: [2, 2], inChannels: 3, outChannels: 4, kernelSize: 3 }),
    ).toThrow(ShapeError);
    expect(() =>
      separableCost({ inputSpatial: [2, 2], inChannels: 3, outChannels: 4, kernelSize: 3 }),
    ).toThrow('separableCost: output would be empty in spatial dim 0');
    expect(() =>
      separableCost({ inputSpatial: [4, 4], inChannels: 0, outChannels: 4, kernelSize: 3 }),
    ).toThrow('separableCost: inChannels must be a positive integer, got 0');
  });

  it('refuses missing, unknown and ill-typed fields with an ArgumentError naming the function and the field', () => {
    const ok = { inputSpatial: [10, 10], inChannels: 3, outChannels: 8, kernelSize: 3 };
    const cases: [unknown, string][] = [
      [
        { height: 10, width: 10, inChannels: 3, outChannels: 8, kernelSize: 3 },
        "separableCost: unknown option 'height'; the options are 'inputSpatial', 'kernelSize'",
      ],
      [
        { ...ok, inputSpatial: undefined },
        "separableCost: inputSpatial must be a list of 1 to 3 positive integers (the input's spatial size, e.g. [224, 224]), got undefined",
      ],
      [{ ...ok, inputSpatial: 10 }, 'separableCost: inputSpatial must be a list of 1 to 3 positive integers'],
      [{ ...ok, inputSpatial: [10, '10'] }, 'separableCost: inputSpatial must be a list of 1 to 3'],
      [{ ...ok, inputSpatial: [2, 2, 2, 2] }, 'separableCost: inputSpatial must be a list of 1 to 3'],
      [
        { ...ok, kernelSize: undefined },
        'separableCost: kernelSize must be a positive integer or a list of them (one per spatial dim), got undefined',
      ],
      [{ ...ok, outChannels: '8' }, 'separableCost: outChannels must be a positive integer, got "8"'],
      [{ ...ok, stride: {} }, 'separableCost: stride must be a positive integer or a list of them'],
      [
        { ...ok, padding: 'full' },
        `separableCost: padding must be a non-negative integer, one per spatial dim, [before, after] pairs, 'same' or 'valid', got "full"`,
      ],
      [{ ...ok, dilation: [1, 0] }, 'separableCost: dilation must be a positive integer or a list of them'],
      [null, 'separableCost: its argument must be an object with inputSpatial, kernelSize'],
      [[10, 10], 'separableCost: its argument must be an object'],
    ];
    for (const [args, message] of cases) {
      const call = () => separableCost(args as never);
      expect(call, message).toThrow(ArgumentError);
      expect(call, message).toThrow(message);
    }
  });
});
