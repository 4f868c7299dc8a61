import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { ArgumentError, assertClose, type ConvGeometry, convGeometry, setMemoryLimit } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineCaps } from './algorithms';
import { DEFORM_CONV_ALGORITHMS, deformConvKernelsFor, selectDeformConvAlgorithm } from './deform-algorithms';
import { deformConv } from './deform-conv';
import { randomDeformCase } from './reference/random-deform-case';

const deformGeometry = (inChannels: number, kernelSize: number, outChannels = 8, groups = 1) =>
  convGeometry({
    op: 'deformConv2d',
    inChannels,
    outChannels,
    groups,
    inputSpatial: [16, 16],
    kernelSize,
    padding: 1,
    offsetGroups: 1,
  });

describe('deformable algorithms', () => {
  it("lists 'reference', 'im2col' and 'wasm'", () => {
    expect(DEFORM_CONV_ALGORITHMS).toEqual(['reference', 'im2col', 'wasm']);
    expect(Object.isFrozen(DEFORM_CONV_ALGORITHMS)).toBe(true);
  });

  it("selects 'im2col' with enough output channels per group and a column within the tile budget", () => {
    // One column holds C_in * kh * kw floats (twice in the backward pass).
    const fits = DEFAULT_TILE_BYTES / 4 / 9;
    const table: [string, ConvGeometry, 'forward' | 'backward', string][] = [
      ['deform3x3 (C64 -> 64)', deformGeometry(64, 3, 64), 'forward', 'im2col'],
      ['deform3x3 backward', deformGeometry(64, 3, 64), 'backward', 'im2col'],
      ['8 outputs per group', deformGeometry(16, 3, 8), 'forward', 'im2col'],
      ['4 outputs per group', deformGeometry(16, 3, 4), 'forward', 'reference'],
      ['4 outputs per group, backward', deformGeometry(16, 3, 4), 'backward', 'im2col'],
      ['2 outputs per group, backward', deformGeometry(16, 3, 2), 'backward', 'im2col'],
      ['1 output, backward', deformGeometry(16, 3, 1), 'backward', 'reference'],
      ['depthwise', deformGeometry(64, 3, 64, 64), 'forward', 'reference'],
      ['depthwise backward', deformGeometry(64, 3, 64, 64), 'backward', 'reference'],
      ['multiplier 8, grouped', deformGeometry(8, 3, 64, 8), 'forward', 'im2col'],
      ['column at the budget', deformGeometry(Math.floor(fits), 3), 'forward', 'im2col'],
      ['two columns over the budget', deformGeometry(Math.floor(fits), 3), 'backward', 'reference'],
      ['two columns within it', deformGeometry(Math.floor(fits / 2), 3), 'backward', 'im2col'],
      ['column over the budget', deformGeometry(Math.floor(fits) + 1, 3), 'forward', 'reference'],
    ];
    for (const [name, geometry, pass, want] of table) {
      expect(selectDeformConvAlgorithm(geometry, pass), name).toBe(want);
    }
    // The default pass is 'forward'.
    expect(selectDeformConvAlgorithm(deformGeometry(16, 3, 4))).toBe('reference');
    expect(selectDeformConvAlgorithm(deformGeometry(16, 3, 8))).toBe('im2col');
  });

  it("selects 'wasm' wherever the WebAssembly kernels are loaded and the working set fits the memory limit", () => {
    const wasm = { wasm: true };
    for (const [geometry, pass] of [
      [deformGeometry(64, 3, 64), 'forward'],
      [deformGeometry(64, 3, 64), 'backward'],
      [deformGeometry(16, 3, 1), 'forward'],
      [deformGeometry(16, 3, 1), 'backward'],
      [deformGeometry(64, 3, 64, 64), 'forward'],
    ] as const) {
      expect(selectDeformConvAlgorithm(geometry, pass, wasm)).toBe('wasm');
    }
    // A working set over the memory limit (2 GiB by default) falls back to the TypeScript rule:
    // 932067 input channels on 16x16 hold about 1 GB of input alone.
    expect(
      selectDeformConvAlgorithm(deformGeometry(Math.floor(DEFAULT_TILE_BYTES / 4 / 9), 3), 'backward', wasm),
    ).toBe('reference');
    const limit = setMemoryLimit(1 << 16);
    try {
      expect(selectDeformConvAlgorithm(deformGeometry(64, 3, 64), 'forward', wasm)).toBe('im2col');
      expect(selectDeformConvAlgorithm(deformGeometry(16, 3, 1), 'forward', wasm)).toBe('reference');
    } finally {
      setMemoryLimit(limit);
    }
  });

  it("resolves 'auto' to the selection and refuses unknown names, naming the op", () => {
    const g = deformGeometry(2, 3, 8);
    const auto = selectDeformConvAlgorithm(g, 'forward', engineCaps());
    expect(deformConvKernelsFor('deformConv2d', 'auto', g, 'forward')).toBe(
      deformConvKernelsFor('deformConv2d', auto, g, 'forward'),
    );
    expect(deformConvKernelsFor('deformConv2d', 'reference', g, 'forward')).not.toBe(
      deformConvKernelsFor('deformConv2d', 'im2col', g, 'forward'),
    );
    expect(() => deformConvKernelsFor('deformConv2d', 'fft', g, 'backward')).toThrow(ArgumentError);
    expect(() => deformConvKernelsFor('deformConv2d', 'fft', g, 'backward')).toThrow(
      "deformConv2d: algorithm must be 'auto' or one of 'reference', 'im2col', 'wasm', got 'fft'",
    );
  });

  it('every algorithm matches the reference through deformConv on random problems', () => {
    fc.assert(
      fc.property(randomDeformCase(), fc.constantFrom(...DEFORM_CONV_ALGORITHMS, 'auto'), (c, algorithm) => {
        const options = { ...c.options, bias: c.bias };
        assertClose(
          deformConv(c.input, c.weight, c.offset, { ...options, algorithm }),
          deformConv(c.input, c.weight, c.offset, { ...options, algorithm: 'reference' }),
        );
      }),
      { numRuns: 40, seed: 3701 },
    );
  });
});
