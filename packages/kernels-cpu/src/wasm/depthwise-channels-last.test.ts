import {
  assertClose,
  convGeometry,
  createRng,
  type Padding,
  tensor,
  UnsupportedError,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { conv } from '../conv';
import { convDepthwiseChannelsLast, depthwiseChannelsLastLimit } from './depthwise-channels-last';
import { initWasmSync, type WasmBuild, wasmSupport } from './wasm-runtime';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

/** Random channels-last depthwise problems without multiplier: every channel tail, 1-3-D. */
const channelsLastCase = fc
  .integer({ min: 1, max: 3 })
  .chain((dims) => {
    const perDim = (arb: fc.Arbitrary<number>) => fc.array(arb, { minLength: dims, maxLength: dims });
    const amount = fc.integer({ min: 0, max: 3 });
    return fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      channels: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(32, 70)),
      inputSpatial: perDim(fc.integer({ min: 1, max: dims === 3 ? 6 : 12 })),
      kernelSize: perDim(fc.integer({ min: 1, max: 5 })),
      stride: perDim(fc.integer({ min: 1, max: 3 })),
      dilation: perDim(fc.integer({ min: 1, max: 2 })),
      padding: fc.oneof<fc.Arbitrary<Padding>[]>(
        amount,
        perDim(amount),
        fc.array(fc.tuple(amount, amount), { minLength: dims, maxLength: dims }),
        fc.constant('same' as const),
      ),
      hasBias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    });
  })
  .filter((c) => {
    try {
      convGeometry({
        batch: c.batch,
        inChannels: c.channels,
        outChannels: c.channels,
        groups: c.channels,
        inputSpatial: c.inputSpatial,
        kernelSize: c.kernelSize,
        stride: c.stride,
        dilation: c.dilation,
        padding: c.padding,
      });
      return true;
    } catch {
      return false; // an empty output
    }
  });

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`depthwise channels-last kernel [${build}]`, () => {
    it('matches the reference conv in the channels-last layout on random geometries', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(channelsLastCase, (c) => {
          const options = {
            stride: c.stride,
            dilation: c.dilation,
            padding: c.padding,
            groups: c.channels,
            layout: 'channels-last' as const,
          };
          const geometry = convGeometry({
            ...options,
            batch: c.batch,
            inChannels: c.channels,
            outChannels: c.channels,
            inputSpatial: c.inputSpatial,
            kernelSize: c.kernelSize,
          });
          const rng = createRng(c.seed);
          const input = rng.normalTensor([...geometry.inputShape]);
          const weight = rng.normalTensor([...geometry.weightShape]);
          const bias = c.hasBias ? rng.normalTensor([c.channels]) : null;
          const got = convDepthwiseChannelsLast(input.data, weight.data, bias?.data ?? null, geometry);
          const want = conv(input, weight, { ...options, bias, algorithm: 'reference' });
          assertClose(tensor(got, [...geometry.outputShape]), want);
        }),
        { numRuns: 200, seed: 821 },
      );
    });

    it('runs 2-D 3x3 kernels (packed weights, padding taps read a pixel of zeros) like the reference, NaN and Infinity included', () => {
      initWasmSync({ build });
      const pad = fc.integer({ min: 0, max: 3 });
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 2 }),
            channels: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(32, 70)),
            height: fc.integer({ min: 1, max: 9 }),
            width: fc.integer({ min: 1, max: 9 }),
            stride: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
            dilation: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
            padding: fc.array(fc.tuple(pad, pad), { minLength: 2, maxLength: 2 }),
            hasBias: fc.boolean(),
            poison: fc.constantFrom('none', 'none', 'input', 'weight'),
            seed: fc.integer({ min: 0, max: 0x7fffffff }),
          }),
          (c) => {
            const options = {
              stride: c.stride,
              dilation: c.dilation,
              padding: c.padding as [number, number][],
              groups: c.channels,
              layout: 'channels-last' as const,
            };
            let geometry: ReturnType<typeof convGeometry>;
            try {
              geometry = convGeometry({
                ...options,
                batch: c.batch,
                inChannels: c.channels,
                outChannels: c.channels,
                inputSpatial: [c.height, c.width],
                kernelSize: 3,
              });
            } catch {
              return; // an empty output
            }
            const rng = createRng(c.seed);
            const input = rng.normalTensor([...geometry.inputShape]);
            const weight = rng.normalTensor([...geometry.weightShape]);
            const poisoned = c.poison === 'input' ? input : c.poison === 'weight' ? weight : null;
            if (poisoned) {
              for (const value of [Number.POSITIVE_INFINITY, Number.NaN, Number.NEGATIVE_INFINITY]) {
                poisoned.data[Math.floor(rng.uniform() * poisoned.data.length)] = value;
              }
            }
            const bias = c.hasBias ? rng.normalTensor([c.channels]) : null;
            const got = convDepthwiseChannelsLast(input.data, weight.data, bias?.data ?? null, geometry);
            const want = conv(input, weight, { ...options, bias, algorithm: 'reference' });
            assertClose(tensor(got, [...geometry.outputShape]), want);
          },
        ),
        { numRuns: 200, seed: 825 },
      );
    });

    it('multiplies the padding like PyTorch when a weight is infinite (Inf * 0 = NaN)', () => {
      initWasmSync({ build });
      const geometry = convGeometry({
        inChannels: 5,
        outChannels: 5,
        groups: 5,
        inputSpatial: [4, 6],
        kernelSize: 3,
        padding: 1,
        layout: 'channels-last',
      });
      const rng = createRng(822);
      const input = rng.normalTensor([...geometry.inputShape]);
      const weight = rng.normalTensor([...geometry.weightShape]);
      weight.data[0] = Number.POSITIVE_INFINITY; // channel 0, top-left tap: reads the top padding
      const got = tensor(convDepthwiseChannelsLast(input.data, weight.data, null, geometry), [
        ...geometry.outputShape,
      ]);
      const want = conv(input, weight, {
        padding: 1,
        groups: 5,
        layout: 'channels-last',
        algorithm: 'reference',
      });
      assertClose(got, want);
      expect(got.data.some((v) => Number.isNaN(v))).toBe(true);
    });

    it('conv with layout channels-last runs it (no transposes) where its limit allows, and the channels-first kernels elsewhere, matching the reference in both layouts', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(
          channelsLastCase,
          fc.integer({ min: 1, max: 2 }),
          fc.constantFrom('zeros', 'zeros', 'reflect', 'circular'),
          fc.boolean(),
          (c, multiplier, paddingMode, poison) => {
            const options = {
              stride: c.stride,
              dilation: c.dilation,
              padding: c.padding,
              groups: c.channels,
            };
            let geometry: ReturnType<typeof convGeometry>;
            try {
              geometry = convGeometry({
                ...options,
                paddingMode: paddingMode as 'zeros',
                batch: c.batch,
                inChannels: c.channels,
                outChannels: c.channels * multiplier,
                inputSpatial: c.inputSpatial,
                kernelSize: c.kernelSize,
                layout: 'channels-last',
              });
            } catch {
              return; // more reflect or circular padding than the input has
            }
            const rng = createRng(c.seed);
            const input = rng.normalTensor([...geometry.inputShape]);
            const weight = rng.normalTensor([...geometry.weightShape]);
            if (poison) weight.data[0] = Number.POSITIVE_INFINITY;
            const bias = c.hasBias ? rng.normalTensor([geometry.outChannels]) : null;
            const last = {
              ...options,
              paddingMode: paddingMode as 'zeros',
              bias,
              layout: 'channels-last' as const,
            };
            const want = conv(input, weight, { ...last, algorithm: 'reference' });
            for (const algorithm of ['auto', 'depthwise'] as const) {
              const got = conv(input, weight, { ...last, algorithm });
              expect(got.shape).toEqual(want.shape);
              assertClose(got, want);
              if (depthwiseChannelsLastLimit(geometry) === null) {
                // The op handed the channels-last data to the channels-last kernel itself.
                const direct = convDepthwiseChannelsLast(
                  input.data,
                  weight.data,
                  bias?.data ?? null,
                  geometry,
                );
                expect(got.data).toEqual(direct);
              }
            }
            // The same problem in the channels-first layout.
            const first = { ...last, layout: 'channels-first' as const };
            const inputFirst = input.permute([
              0,
              geometry.dims + 1,
              ...Array.from({ length: geometry.dims }, (_, i) => i + 1),
            ]);
            assertClose(
              conv(inputFirst, weight, { ...first, algorithm: 'depthwise' }),
              conv(inputFirst, weight, { ...first, algorithm: 'reference' }),
            );
          },
        ),
        { numRuns: 150, seed: 823 },
      );
    });

    it('reads strided and offset channels-last views as their elements', () => {
      initWasmSync({ build });
      const rng = createRng(824);
      const big = rng.normalTensor([2, 9, 11, 6]);
      // A batch slice (contiguous, with an offset) and a spatial crop (strided).
      for (const input of [big.slice(0, 1, 2), big.slice(1, 1, 10).slice(2, 2, 9)]) {
        const weight = rng.normalTensor([6, 1, 3, 3]);
        const options = { padding: 1, groups: 6, layout: 'channels-last' as const };
        assertClose(
          conv(input, weight, { ...options, algorithm: 'depthwise' }),
          conv(input, weight, { ...options, algorithm: 'reference' }),
        );
      }
    });
  });
}

describe('depthwise channels-last limits', () => {
  it('runs depthwise convolutions without multiplier and with zero padding only, and says why not', () => {
    const g = (args: Partial<Parameters<typeof convGeometry>[0]>) =>
      convGeometry({
        inChannels: 8,
        outChannels: 8,
        groups: 8,
        inputSpatial: [6, 6],
        kernelSize: 3,
        ...args,
      });
    expect(depthwiseChannelsLastLimit(g({}))).toBeNull();
    expect(depthwiseChannelsLastLimit(g({ outChannels: 16 }))).toBe(
      'runs depthwise convolutions without channel multiplier only (groups = input = output channels), got 8 -> 16 channels in 8 groups',
    );
    expect(depthwiseChannelsLastLimit(g({ padding: 1, paddingMode: 'reflect' }))).toBe(
      "runs zero padding only, got paddingMode 'reflect'",
    );
    expect(depthwiseChannelsLastLimit(g({ transposed: true }))).toBe(
      'runs convolution only, not transposed convolution',
    );
    const dense = g({ groups: 1 });
    expect(() =>
      convDepthwiseChannelsLast(new Float32Array(8 * 36), new Float32Array(8 * 8 * 9), null, dense),
    ).toThrow(UnsupportedError);
    expect(() =>
      convDepthwiseChannelsLast(new Float32Array(8 * 36), new Float32Array(8 * 8 * 9), null, dense),
    ).toThrow(
      'conv2d: the channels-last depthwise kernel runs depthwise convolutions without channel multiplier only',
    );
  });
});
