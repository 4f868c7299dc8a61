import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import {
  ArgumentError,
  assertClose,
  type ConvGeometry,
  type ConvGeometryArgs,
  convGeometry,
  createRng,
  UnsupportedError,
} from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONV_ALGORITHMS,
  convAlgorithmLimit,
  convKernelsFor,
  resolveAlgorithm,
  selectConvAlgorithm,
} from './algorithms';
import { conv } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose } from './conv-transpose';
import { convTransposeBackward } from './conv-transpose-backward';
import { convCaseTensors, randomConvCase } from './reference/random-conv-case';

describe('algorithm names', () => {
  it('lists every registered algorithm, the TypeScript ones first', () => {
    expect(CONV_ALGORITHMS).toEqual(['reference', 'im2col', 'wasm', 'phase', 'depthwise', 'winograd']);
    expect(Object.isFrozen(CONV_ALGORITHMS)).toBe(true);
  });

  it("selects 'im2col' (tap-tiled when one column exceeds the tile budget) unless the groups are single-channel (a table of geometries)", () => {
    // Columns that fit: C/groups * prod(k) * 4 bytes <= DEFAULT_TILE_BYTES (32 MiB = 8 Mi floats).
    const limit = DEFAULT_TILE_BYTES / 4;
    const conv = (args: Partial<ConvGeometryArgs>) =>
      convGeometry({
        inChannels: 64,
        outChannels: 64,
        inputSpatial: [56, 56],
        kernelSize: 3,
        padding: 1,
        ...args,
      });
    const convT = (args: Partial<ConvGeometryArgs>) => conv({ transposed: true, padding: 0, ...args });
    const table: [string, ConvGeometry, 'forward' | 'backward', string][] = [
      ['c3x3', conv({}), 'forward', 'im2col'],
      ['c3x3 backward', conv({}), 'backward', 'im2col'],
      [
        'stem7x7',
        conv({ inChannels: 3, inputSpatial: [224, 224], kernelSize: 7, stride: 2, padding: 3 }),
        'forward',
        'im2col',
      ],
      [
        'pw1x1',
        conv({ inChannels: 128, outChannels: 256, inputSpatial: [28, 28], kernelSize: 1, padding: 0 }),
        'forward',
        'im2col',
      ],
      [
        'dw3x3',
        conv({ inChannels: 256, outChannels: 256, inputSpatial: [28, 28], groups: 256 }),
        'forward',
        'reference',
      ],
      [
        'dw3x3 with channel multiplier 4',
        conv({ inChannels: 64, outChannels: 256, inputSpatial: [28, 28], groups: 64 }),
        'forward',
        'im2col',
      ],
      [
        'dw3x3 backward',
        conv({ inChannels: 256, outChannels: 256, inputSpatial: [28, 28], groups: 256 }),
        'backward',
        'reference',
      ],
      [
        'dw3x3 backward with channel multiplier 4',
        conv({ inChannels: 64, outChannels: 256, inputSpatial: [28, 28], groups: 64 }),
        'backward',
        'im2col',
      ],
      [
        'grp3x3',
        conv({ inChannels: 128, outChannels: 128, inputSpatial: [28, 28], groups: 8 }),
        'forward',
        'im2col',
      ],
      [
        'conv1d',
        conv({ batch: 8, inChannels: 256, outChannels: 256, inputSpatial: [1024] }),
        'forward',
        'im2col',
      ],
      [
        'conv3d reflect',
        conv({ inChannels: 16, inputSpatial: [16, 56, 56], paddingMode: 'reflect' }),
        'forward',
        'im2col',
      ],
      [
        'tconv4x4',
        convT({ outChannels: 32, inputSpatial: [28, 28], kernelSize: 4, stride: 2, padding: 1 }),
        'forward',
        'im2col',
      ],
      [
        'tconv4x4 backward',
        convT({ outChannels: 32, inputSpatial: [28, 28], kernelSize: 4, stride: 2, padding: 1 }),
        'backward',
        'im2col',
      ],
      [
        'depthwise tconv',
        convT({ groups: 64, inputSpatial: [28, 28], kernelSize: 4, stride: 2, padding: 1 }),
        'forward',
        'im2col',
      ],
      [
        'depthwise tconv backward',
        convT({ groups: 64, inputSpatial: [28, 28], kernelSize: 4, stride: 2, padding: 1 }),
        'backward',
        'reference',
      ],
      [
        'one input channel, tconv backward',
        convT({ inChannels: 1, inputSpatial: [28, 28], kernelSize: 4, stride: 2 }),
        'backward',
        'reference',
      ],
      [
        'two input channels per group, tconv backward',
        convT({ groups: 32, inputSpatial: [28, 28], kernelSize: 4, stride: 2 }),
        'backward',
        'im2col',
      ],
      ['one output channel per group, conv backward', conv({ outChannels: 1 }), 'backward', 'im2col'],
      [
        'column at the budget',
        conv({ inChannels: limit / 4, outChannels: 1, kernelSize: 2, inputSpatial: [4, 4] }),
        'forward',
        'im2col',
      ],
      [
        'one float over',
        conv({ inChannels: limit / 4 + 1, outChannels: 1, kernelSize: 2, inputSpatial: [4, 4] }),
        'forward',
        'im2col',
      ],
      [
        'column over the budget',
        conv({ inChannels: limit / 8, outChannels: 1, inputSpatial: [4, 4] }),
        'backward',
        'im2col',
      ],
      [
        'grouped: per-group column fits',
        conv({ inChannels: limit / 8, outChannels: 2, groups: 2, inputSpatial: [4, 4] }),
        'forward',
        'im2col',
      ],
      [
        'transposed: C_out/g sets the rows',
        convT({ inChannels: 1, outChannels: limit / 8, inputSpatial: [4, 4] }),
        'forward',
        'im2col',
      ],
      [
        'a 3000x3000 transposed kernel on a 1x1 input (one column of 36 MB)',
        convT({ inChannels: 1, outChannels: 1, inputSpatial: [1, 1], kernelSize: 3000 }),
        'forward',
        'im2col',
      ],
      [
        'depthwise conv3d whose reference tap table exceeds the memory limit',
        conv({ inChannels: 1, outChannels: 1, inputSpatial: [64, 512, 512], kernelSize: 5, padding: 2 }),
        'forward',
        'im2col',
      ],
      [
        'transposed: C_in does not',
        convT({ inChannels: limit / 8, outChannels: 1, inputSpatial: [4, 4] }),
        'forward',
        'im2col',
      ],
    ];
    for (const [name, geometry, pass, want] of table) {
      expect(selectConvAlgorithm(geometry, pass), name).toBe(want);
      expect(CONV_ALGORITHMS).toContain(selectConvAlgorithm(geometry, pass));
    }
    // The default pass is 'forward'.
    expect(selectConvAlgorithm(convT({ groups: 64, inputSpatial: [8, 8], kernelSize: 2, stride: 2 }))).toBe(
      'im2col',
    );
    expect(selectConvAlgorithm(conv({}))).toBe('im2col');
  });

  it('resolves undefined and auto to the selection, a known name to itself', () => {
    expect(resolveAlgorithm('op', undefined, ['a', 'b'], 'b')).toBe('b');
    expect(resolveAlgorithm('op', 'auto', ['a', 'b'], 'b')).toBe('b');
    expect(resolveAlgorithm('op', 'a', ['a', 'b'], 'b')).toBe('a');
  });

  it('rejects an unknown name or a non-string with an ArgumentError listing the known names', () => {
    const attempt = (value: unknown) => () =>
      resolveAlgorithm('conv2d', value, ['reference', 'im2col'], 'reference');
    expect(attempt('gemm')).toThrow(
      "conv2d: algorithm must be 'auto' or one of 'reference', 'im2col', got 'gemm'",
    );
    expect(attempt(3)).toThrow(
      "conv2d: algorithm must be 'auto' or one of 'reference', 'im2col', got number 3",
    );
    try {
      attempt('REFERENCE')();
    } catch (e) {
      expect(ArgumentError.isInstance(e)).toBe(true);
    }
    expect.assertions(3);
  });

  it('hands out the registered kernel set', () => {
    const g = convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [3], kernelSize: 1 });
    const kernels = convKernelsFor('conv1d', 'reference', g, 'forward');
    expect(Array.from(kernels.conv(Float32Array.from([1, 2, 3]), Float32Array.from([2]), null, g))).toEqual([
      2, 4, 6,
    ]);
  });
});

describe('every registered algorithm', () => {
  it('kernels read channel counts and spatial sizes, not the (layout-dependent) shapes of the geometry', () => {
    const rng = createRng(51);
    const args = {
      batch: 2,
      inChannels: 4,
      outChannels: 6,
      groups: 2,
      inputSpatial: [5, 4],
      kernelSize: [3, 2],
      padding: 1,
    };
    const first = convGeometry(args);
    const last = convGeometry({ ...args, layout: 'channels-last' });
    const x = rng.normalTensor([2, 4, 5, 4]).data;
    const w = rng.normalTensor([...first.weightShape]).data;
    const gy = rng.normalTensor([2, 6, ...first.outputSpatial]).data;
    for (const name of CONV_ALGORITHMS) {
      // An algorithm whose limits refuse this geometry has no kernels to compare here.
      if (convAlgorithmLimit(name, first, 'forward') !== null) continue;
      const k = convKernelsFor('conv2d', name, first, 'forward');
      expect(Array.from(k.conv(x, w, null, last))).toEqual(Array.from(k.conv(x, w, null, first)));
      expect(Array.from(k.convBackwardInput(gy, w, last))).toEqual(
        Array.from(k.convBackwardInput(gy, w, first)),
      );
      expect(Array.from(k.convBackwardWeight(gy, x, last))).toEqual(
        Array.from(k.convBackwardWeight(gy, x, first)),
      );
      expect(Array.from(k.biasGradient(gy, last))).toEqual(Array.from(k.biasGradient(gy, first)));
    }
  });

  it('transposed kernels read channel counts and spatial sizes, not the shapes of the geometry', () => {
    const rng = createRng(52);
    const args = {
      transposed: true,
      batch: 2,
      inChannels: 4,
      outChannels: 6,
      groups: 2,
      inputSpatial: [4, 3],
      kernelSize: [3, 2],
      stride: 2,
      padding: 1,
      outputPadding: [1, 0],
    };
    const first = convGeometry(args);
    const last = convGeometry({ ...args, layout: 'channels-last' });
    const x = rng.normalTensor([2, 4, 4, 3]).data;
    const w = rng.normalTensor([...first.weightShape]).data;
    const b = rng.normalTensor([6]).data;
    const gy = rng.normalTensor([2, 6, ...first.outputSpatial]).data;
    for (const name of CONV_ALGORITHMS) {
      if (convAlgorithmLimit(name, first, 'forward') !== null) continue;
      const k = convKernelsFor('convTranspose2d', name, first, 'forward');
      expect(Array.from(k.convTranspose(x, w, b, last))).toEqual(Array.from(k.convTranspose(x, w, b, first)));
      expect(Array.from(k.convTransposeBackwardInput(gy, w, last))).toEqual(
        Array.from(k.convTransposeBackwardInput(gy, w, first)),
      );
      expect(Array.from(k.convTransposeBackwardWeight(gy, x, last))).toEqual(
        Array.from(k.convTransposeBackwardWeight(gy, x, first)),
      );
    }
  });

  it('matches the reference kernels on random conv problems, forward and backward', () => {
    fc.assert(
      fc.property(randomConvCase(false), fc.constantFrom(...CONV_ALGORITHMS), (c, algorithm) => {
        const { input, weight, bias, gradOutput } = convCaseTensors(c);
        const options = { ...c.options, bias };
        if (convAlgorithmLimit(algorithm, c.geometry, 'forward') !== null) {
          expect(() => conv(input, weight, { ...options, algorithm })).toThrow(UnsupportedError);
        } else {
          assertClose(
            conv(input, weight, { ...options, algorithm }),
            conv(input, weight, { ...options, algorithm: 'reference' }),
          );
        }
        if (convAlgorithmLimit(algorithm, c.geometry, 'backward') !== null) {
          expect(() => convBackward(gradOutput, input, weight, { ...options, algorithm })).toThrow(
            UnsupportedError,
          );
          return;
        }
        const got = convBackward(gradOutput, input, weight, { ...options, algorithm });
        const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
        assertClose(got.gradInput, want.gradInput);
        assertClose(got.gradWeight, want.gradWeight);
        assertClose(got.gradBias, want.gradBias);
      }),
      { numRuns: 50, seed: 501 },
    );
  });

  it('matches the reference kernels on random transposed problems, forward and backward', () => {
    fc.assert(
      fc.property(randomConvCase(true), fc.constantFrom(...CONV_ALGORITHMS), (c, algorithm) => {
        const { input, weight, bias, gradOutput } = convCaseTensors(c);
        const options = { ...c.options, bias };
        if (convAlgorithmLimit(algorithm, c.geometry, 'forward') !== null) {
          expect(() => convTranspose(input, weight, { ...options, algorithm })).toThrow(UnsupportedError);
        } else {
          assertClose(
            convTranspose(input, weight, { ...options, algorithm }),
            convTranspose(input, weight, { ...options, algorithm: 'reference' }),
          );
        }
        if (convAlgorithmLimit(algorithm, c.geometry, 'backward') !== null) {
          expect(() => convTransposeBackward(gradOutput, input, weight, { ...options, algorithm })).toThrow(
            UnsupportedError,
          );
          return;
        }
        const got = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm });
        const want = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
        assertClose(got.gradInput, want.gradInput);
        assertClose(got.gradWeight, want.gradWeight);
        assertClose(got.gradBias, want.gradBias);
      }),
      { numRuns: 50, seed: 502 },
    );
  });
});
