import { ArgumentError, convGeometry, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import {
  DEPTHWISE_MAX_TAPS,
  gpuAlgorithmSupports,
  implicitGemmFits,
  resolveGpuAlgorithm,
  selectGpuConvAlgorithm,
} from './gpu-algorithms';

const DEVICE = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };

function geometry(args: Partial<Parameters<typeof convGeometry>[0]> = {}) {
  return convGeometry({
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    ...args,
  });
}

describe('selectGpuConvAlgorithm', () => {
  it.each(
    (
      [
        ['dense 3x3, 64 -> 64', geometry(), 'forward', 'implicit-gemm'],
        [
          'pointwise 1x1, 128 -> 256',
          geometry({ inChannels: 128, outChannels: 256, kernelSize: 1, padding: 0 }),
          'forward',
          'implicit-gemm',
        ],
        [
          'grouped, 16 per group',
          geometry({ inChannels: 128, outChannels: 128, groups: 8 }),
          'forward',
          'implicit-gemm',
        ],
        [
          'grouped, 4 per group',
          geometry({ inChannels: 128, outChannels: 128, groups: 32 }),
          'forward',
          'direct',
        ],
        [
          'depthwise 3x3',
          geometry({ inChannels: 256, outChannels: 256, groups: 256 }),
          'forward',
          'depthwise',
        ],
        [
          'depthwise, multiplier 4',
          geometry({ inChannels: 64, outChannels: 256, groups: 64 }),
          'forward',
          'depthwise',
        ],
        [
          'depthwise 9x9 (81 taps)',
          geometry({ inChannels: 8, outChannels: 8, groups: 8, kernelSize: 9, padding: 4 }),
          'forward',
          'direct',
        ],
        ['tiny 1 -> 1', geometry({ inChannels: 1, outChannels: 1 }), 'forward', 'direct'],
        [
          '1-D, 256 -> 256',
          convGeometry({ inChannels: 256, outChannels: 256, inputSpatial: [1024], kernelSize: 3 }),
          'forward',
          'implicit-gemm',
        ],
        ['dense 3x3 backward', geometry(), 'backward', 'implicit-gemm'],
        [
          'grouped backward, 4 per group',
          geometry({ inChannels: 128, outChannels: 128, groups: 32 }),
          'backward',
          'direct',
        ],
        [
          'depthwise backward',
          geometry({ inChannels: 256, outChannels: 256, groups: 256 }),
          'backward',
          'direct',
        ],
        ['transposed 64 -> 64', geometry({ transposed: true }), 'forward', 'implicit-gemm'],
        ['transposed 64 -> 64 backward', geometry({ transposed: true }), 'backward', 'implicit-gemm'],
        [
          'transposed depthwise',
          geometry({ transposed: true, inChannels: 64, outChannels: 64, groups: 64 }),
          'forward',
          'direct',
        ],
        ['deformable 64 -> 64', geometry({ offsetGroups: 1 }), 'forward', 'implicit-gemm'],
        [
          'deformable 4 -> 4',
          geometry({ inChannels: 4, outChannels: 4, offsetGroups: 1 }),
          'forward',
          'direct',
        ],
        [
          'deformable depthwise',
          geometry({ inChannels: 8, outChannels: 8, groups: 8, offsetGroups: 1 }),
          'forward',
          'direct',
        ],
        ['deformable backward', geometry({ offsetGroups: 1 }), 'backward', 'implicit-gemm'],
        [
          'deformable backward, 4 -> 4',
          geometry({ inChannels: 4, outChannels: 4, offsetGroups: 1 }),
          'backward',
          'direct',
        ],
      ] as const
    ).map(([name, g, pass, expected]) => ({ name, g, pass, expected })),
  )('$name, $pass pass -> $expected', ({ g, pass, expected }) => {
    expect(selectGpuConvAlgorithm(g, pass, DEVICE)).toBe(expected);
  });

  it('falls back to direct where the tiled workgroup does not fit the device', () => {
    const small = { maxComputeWorkgroupStorageSize: 1024, maxComputeInvocationsPerWorkgroup: 256 };
    expect(implicitGemmFits(DEVICE)).toBe(true);
    expect(implicitGemmFits(small)).toBe(false);
    expect(
      implicitGemmFits({ maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 128 }),
    ).toBe(false);
    expect(selectGpuConvAlgorithm(geometry(), 'forward', small)).toBe('direct');
  });

  it('unrolls depthwise windows up to the tap limit', () => {
    expect(DEPTHWISE_MAX_TAPS).toBe(64);
    const at = geometry({ inChannels: 8, outChannels: 8, groups: 8, kernelSize: 8, padding: 0 });
    expect(selectGpuConvAlgorithm(at, 'forward', DEVICE)).toBe('depthwise');
  });
});

describe('resolveGpuAlgorithm', () => {
  it("reads undefined and 'auto' as the selection", () => {
    expect(resolveGpuAlgorithm('conv2d', undefined, geometry(), 'forward')).toBe('implicit-gemm');
    expect(resolveGpuAlgorithm('conv2d', 'auto', geometry(), 'backward')).toBe('implicit-gemm');
    expect(
      resolveGpuAlgorithm('conv2d', 'auto', geometry({ inChannels: 4, outChannels: 4 }), 'backward'),
    ).toBe('direct');
  });

  it('refuses an unknown name with an ArgumentError naming the op and the choices', () => {
    expect(() => resolveGpuAlgorithm('conv2d', 'im2col', geometry(), 'forward')).toThrow(ArgumentError);
    expect(() => resolveGpuAlgorithm('conv2d', 'im2col', geometry(), 'forward')).toThrow(
      "conv2d: algorithm must be 'auto' or one of 'direct', 'implicit-gemm', 'depthwise', got 'im2col'",
    );
  });

  it('refuses a known algorithm on a case it does not run with an UnsupportedError', () => {
    const deformable = geometry({ inChannels: 8, outChannels: 8, groups: 8, offsetGroups: 1 });
    expect(() => resolveGpuAlgorithm('deformConv2d', 'depthwise', deformable, 'forward')).toThrow(
      UnsupportedError,
    );
    expect(() => resolveGpuAlgorithm('deformConv2d', 'depthwise', deformable, 'forward')).toThrow(
      "deformConv2d: algorithm 'depthwise' does not run the forward pass of deformable convolution (it runs forward convolution with one input channel per group); 'direct' and 'auto' run every case",
    );
    expect(() => resolveGpuAlgorithm('conv2d', 'depthwise', geometry(), 'forward')).toThrow(
      /forward convolution with one input channel per group/,
    );
    expect(() =>
      resolveGpuAlgorithm('convBackward', 'depthwise', geometry({ groups: 64 }), 'backward'),
    ).toThrow(UnsupportedError);
    expect(gpuAlgorithmSupports('implicit-gemm', geometry(), 'backward')).toBe(true);
    expect(gpuAlgorithmSupports('implicit-gemm', geometry({ offsetGroups: 1 }), 'backward')).toBe(true);
    expect(gpuAlgorithmSupports('direct', geometry({ transposed: true }), 'backward')).toBe(true);
    expect(gpuAlgorithmSupports('implicit-gemm', geometry({ offsetGroups: 1 }), 'forward')).toBe(true);
    expect(
      gpuAlgorithmSupports(
        'depthwise',
        geometry({ inChannels: 8, outChannels: 8, groups: 8, offsetGroups: 1 }),
        'forward',
      ),
    ).toBe(false);
  });
});
