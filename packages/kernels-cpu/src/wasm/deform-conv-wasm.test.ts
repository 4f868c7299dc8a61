import { assertClose, convGeometry, createRng, type Tensor, tensor } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import type { DeformConvOptions } from '../options';
import { randomDeformCase } from '../reference/random-deform-case';
import { initWasmSync, type WasmBuild, wasmInfo, wasmSupport } from './wasm-runtime';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

/** deformConv and every gradient with 'wasm' against the reference. */
function expectWasmMatches(
  input: Tensor,
  weight: Tensor,
  offset: Tensor,
  gradOutput: Tensor,
  options: DeformConvOptions,
): void {
  assertClose(
    deformConv(input, weight, offset, { ...options, algorithm: 'wasm' }),
    deformConv(input, weight, offset, { ...options, algorithm: 'reference' }),
  );
  const got = deformConvBackward(gradOutput, input, weight, offset, { ...options, algorithm: 'wasm' });
  const want = deformConvBackward(gradOutput, input, weight, offset, { ...options, algorithm: 'reference' });
  assertClose(got.gradInput, want.gradInput);
  assertClose(got.gradWeight, want.gradWeight);
  assertClose(got.gradBias, want.gradBias);
  assertClose(got.gradOffset, want.gradOffset);
  if (want.gradMask) assertClose(got.gradMask!, want.gradMask);
  else expect(got.gradMask).toBeNull();
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`deformable convolution 'wasm' [${build}]`, () => {
    it('matches the reference on random problems, forward and every gradient', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(randomDeformCase(), (c) => {
          expectWasmMatches(c.input, c.weight, c.offset, c.gradOutput, { ...c.options, bias: c.bias });
        }),
        { numRuns: 150, seed: 8901 },
      );
    });

    it('handles one channel, many channels, odd sizes, offset groups and strides', () => {
      initWasmSync({ build });
      const rng = createRng(8902);
      const cases: {
        x: number[];
        w: number[];
        offsetGroups: number;
        options: DeformConvOptions;
        mask: boolean;
      }[] = [
        { x: [1, 1, 7, 5], w: [1, 1, 3, 3], offsetGroups: 1, options: { padding: 1 }, mask: true },
        // Rows over the GEMM's K block (40 * 9 = 360), outputs over its M block (100), > 512 positions.
        { x: [1, 40, 23, 25], w: [100, 40, 3, 3], offsetGroups: 2, options: { padding: 1 }, mask: true },
        {
          x: [2, 6, 9, 13],
          w: [4, 3, 2, 3],
          offsetGroups: 3,
          options: {
            stride: [2, 1],
            dilation: [1, 2],
            padding: [
              [1, 0],
              [2, 1],
            ],
            groups: 2,
          },
          mask: false,
        },
        // Depthwise, stride 2.
        {
          x: [1, 8, 11, 10],
          w: [8, 1, 3, 3],
          offsetGroups: 8,
          options: { stride: 2, padding: 1, groups: 8 },
          mask: true,
        },
      ];
      for (const { x, w, offsetGroups, options, mask } of cases) {
        const input = rng.normalTensor(x);
        const weight = rng.normalTensor(w);
        const { stride, padding, dilation, groups } = options;
        const spatial = convGeometry({
          op: 'deformConv2d',
          inChannels: x[1]!,
          outChannels: w[0]!,
          inputSpatial: x.slice(2),
          kernelSize: w.slice(2),
          stride,
          padding: padding as never,
          dilation,
          groups,
          offsetGroups,
        }).outputSpatial;
        const taps = w[2]! * w[3]!;
        const offset = rng.normalTensor([x[0]!, 2 * offsetGroups * taps, ...spatial], 0, 2);
        const maskTensor = mask ? rng.normalTensor([x[0]!, offsetGroups * taps, ...spatial]) : null;
        const bias = rng.normalTensor([w[0]!]);
        const gradOutput = rng.normalTensor([x[0]!, w[0]!, ...spatial]);
        expectWasmMatches(input, weight, offset, gradOutput, { ...options, bias, mask: maskTensor });
      }
    });

    it('follows torchvision on the border: integer, half-integer, out-of-range and NaN samples, y = -1 exactly', () => {
      initWasmSync({ build });
      const rng = createRng(8903);
      const input = rng.normalTensor([1, 2, 4, 5]);
      const weight = rng.normalTensor([3, 2, 3, 3]);
      // Offsets drawn from values that put samples on integer lines, half-way, at -1, at H, far outside.
      const values = [0, 0.5, -0.5, 1, -1, -2, 2, 1.5, -1.5, 4, -4, 7.25, -7.25];
      const offsetData = Array.from(
        { length: 18 * 4 * 5 },
        () => values[Math.floor(rng.uniform() * values.length)]!,
      );
      // And one NaN offset: torchvision's range tests let it through (NaN sample and gradients).
      offsetData[37] = Number.NaN;
      // A NaN dx whose dy is far outside: the sample is 0 there (the range test on y decides).
      offsetData[40] = -40;
      offsetData[60] = Number.NaN;
      const offset = tensor(offsetData, [1, 18, 4, 5]);
      const mask = rng.normalTensor([1, 9, 4, 5]);
      expectWasmMatches(input, weight, offset, rng.normalTensor([1, 3, 4, 5]), { padding: 1, mask });
    });

    it('keeps an infinite input value out of samples that do not reach it', () => {
      initWasmSync({ build });
      const rng = createRng(8904);
      const input = rng.normalTensor([1, 1, 5, 5]);
      input.data[0] = Number.POSITIVE_INFINITY;
      const weight = rng.normalTensor([2, 1, 3, 3]);
      // Every sample far outside the image: the output is the bias alone, as in torchvision.
      const offset = tensor(new Array(18 * 25).fill(-40), [1, 18, 5, 5]);
      const bias = tensor([0.5, -1], [2]);
      const options = { padding: 1, bias };
      const got = deformConv(input, weight, offset, { ...options, algorithm: 'wasm' });
      assertClose(got, deformConv(input, weight, offset, { ...options, algorithm: 'reference' }));
      expect(Array.from(got.data).every(Number.isFinite)).toBe(true);
    });
  });
}

describe("deformable convolution 'wasm': memory", () => {
  it('keeps WebAssembly memory flat over repeated calls of one shape', () => {
    initWasmSync();
    const rng = createRng(8905);
    const input = rng.normalTensor([1, 4, 9, 9]);
    const weight = rng.normalTensor([6, 4, 3, 3]);
    const offset = rng.normalTensor([1, 18, 9, 9]);
    const mask = rng.normalTensor([1, 9, 9, 9]);
    const options = { padding: 1, mask, algorithm: 'wasm' as const };
    const y = deformConv(input, weight, offset, options);
    const gy = rng.normalTensor([...y.shape]);
    deformConvBackward(gy, input, weight, offset, options);
    const before = wasmInfo().memoryBytes;
    for (let i = 0; i < 300; i++) {
      deformConv(input, weight, offset, options);
      deformConvBackward(gy, input, weight, offset, options);
    }
    expect(wasmInfo().memoryBytes).toBe(before);
  });
});
