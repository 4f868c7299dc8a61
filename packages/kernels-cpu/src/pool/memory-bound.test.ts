import { convGeometryFromShapes } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { convIntensity, INLINE_INTENSITY, memoryBound } from './memory-bound';

// The measured calls of the rule's comment: multiply-adds per float of input + output, and
// which of them run on the caller.
const geometry = (inputShape: number[], weightShape: number[], options: Record<string, unknown> = {}) =>
  convGeometryFromShapes({ inputShape, weightShape, ...options });

describe('memoryBound', () => {
  const table: [string, ReturnType<typeof geometry>, number, boolean][] = [
    [
      'dw3x3 N1 C256 28x28',
      geometry([1, 256, 28, 28], [256, 1, 3, 3], { padding: 1, groups: 256 }),
      4.5,
      true,
    ],
    ['depthwise N8', geometry([8, 256, 28, 28], [256, 1, 3, 3], { padding: 1, groups: 256 }), 4.5, true],
    [
      'Fashion-MNIST conv1 N128',
      geometry([128, 1, 28, 28], [32, 1, 3, 3], { padding: 1 }),
      (32 * 9) / 33,
      true,
    ],
    ['1x1 N32 C16 -> 32', geometry([32, 16, 56, 56], [32, 16, 1, 1]), (16 * 32) / 48, true],
    ['3x3 N16 C3 -> 16', geometry([16, 3, 64, 64], [16, 3, 3, 3], { padding: 1 }), (16 * 27) / 19, true],
    ['1x1 N8 C64 -> 64', geometry([8, 64, 28, 28], [64, 64, 1, 1]), 32, false],
    ['3x3 N32 C8 -> 8', geometry([32, 8, 28, 28], [8, 8, 3, 3], { padding: 1 }), 36, false],
    ['pw1x1 N1 C128 -> 256', geometry([1, 128, 28, 28], [256, 128, 1, 1]), (128 * 256) / 384, false],
    ['Fashion-MNIST conv2 N128', geometry([128, 32, 14, 14], [64, 32, 3, 3], { padding: 1 }), 192, false],
    ['c3x3 N1 C64 56x56', geometry([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }), 288, false],
    ['grouped 8x8 channels', geometry([1, 64, 48, 48], [64, 8, 3, 3], { padding: 1, groups: 8 }), 36, false],
  ];
  for (const [name, g, intensity, bound] of table) {
    it(`${name}: ${intensity.toFixed(1)} multiply-adds per float, ${bound ? 'on the caller' : 'split'}`, () => {
      expect(convIntensity(g)).toBeCloseTo(intensity, 10);
      expect(memoryBound(g)).toBe(bound);
    });
  }

  it('is a threshold on the ratio alone: batch and image size do not move it; stride and channels-last count', () => {
    expect(INLINE_INTENSITY).toBe(32);
    const one = geometry([1, 8, 28, 28], [8, 8, 3, 3], { padding: 1 });
    const many = geometry([64, 8, 112, 112], [8, 8, 3, 3], { padding: 1 });
    expect(convIntensity(many)).toBeCloseTo(convIntensity(one), 10);
    // Stride 2: a quarter of the output, a quarter of the multiply-adds, the same input.
    const strided = geometry([1, 16, 28, 28], [16, 16, 3, 3], { padding: 1, stride: 2 });
    expect(convIntensity(strided)).toBeCloseTo((16 * 14 * 14 * 144) / (16 * 28 * 28 + 16 * 14 * 14), 10);
    const last = geometry([1, 28, 28, 16], [16, 16, 3, 3], {
      padding: 1,
      stride: 2,
      layout: 'channels-last',
    });
    expect(convIntensity(last)).toBeCloseTo(convIntensity(strided), 10);
    // Empty calls have no intensity (and no work): memory-bound.
    expect(convIntensity(geometry([0, 8, 28, 28], [8, 8, 3, 3]))).toBe(0);
    expect(memoryBound(geometry([0, 8, 28, 28], [8, 8, 3, 3]))).toBe(true);
  });
});
