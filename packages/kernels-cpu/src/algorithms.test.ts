import { ArgumentError, assertClose, convGeometry, createRng } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONV_ALGORITHMS, convKernelsFor, resolveAlgorithm, selectConvAlgorithm } from './algorithms';
import { conv } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose } from './conv-transpose';
import { convTransposeBackward } from './conv-transpose-backward';
import { convCaseTensors, randomConvCase } from './reference/random-conv-case';

describe('algorithm names', () => {
  it("lists 'reference' and selects it for 'auto'", () => {
    expect(CONV_ALGORITHMS).toEqual(['reference']);
    const g = convGeometry({ inChannels: 3, outChannels: 8, inputSpatial: [32, 32], kernelSize: 3 });
    expect(selectConvAlgorithm(g)).toBe('reference');
    expect(selectConvAlgorithm(g, 'backward')).toBe('reference');
    expect(CONV_ALGORITHMS).toContain(
      selectConvAlgorithm(
        convGeometry({ transposed: true, inChannels: 1, outChannels: 1, inputSpatial: [4], kernelSize: 2 }),
      ),
    );
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

  it('matches the reference kernels on random conv problems, forward and backward', () => {
    fc.assert(
      fc.property(randomConvCase(false), fc.constantFrom(...CONV_ALGORITHMS), (c, algorithm) => {
        const { input, weight, bias, gradOutput } = convCaseTensors(c);
        const options = { ...c.options, bias };
        assertClose(
          conv(input, weight, { ...options, algorithm }),
          conv(input, weight, { ...options, algorithm: 'reference' }),
        );
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
        assertClose(
          convTranspose(input, weight, { ...options, algorithm }),
          convTranspose(input, weight, { ...options, algorithm: 'reference' }),
        );
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
