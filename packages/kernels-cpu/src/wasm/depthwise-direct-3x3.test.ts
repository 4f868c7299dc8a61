import { assertClose, createRng, type Tensor, tensor } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { conv2d } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose2d } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { initWasmSync, type WasmBuild, wasmSupport } from './wasm-runtime';

/*
 * The direct 3x3 paths of the depthwise kernels (stride 1, and width stride 2 with any
 * height stride; no dilation, padding 0-4 a side: the source planes read in place, edge
 * vectors masked, padding rows from a row of zeros) and the blocking of runConv over input
 * channels (several kernel calls per op, a partial last block), against the reference.
 */

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

/** 3x3 stride-1 depthwise problems: every width 1-40 (each edge and tail case), padding 0-4 a side. */
const direct3x3Case = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 4 }),
    multiplier: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 40 }),
    // [1, 1] and [h, 2] run the direct paths, [2, 1] the padded plane.
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), {
      minLength: 2,
      maxLength: 2,
    }),
    hasBias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  })
  .filter(
    (c) =>
      c.height + c.padding[0]![0] + c.padding[0]![1] >= 3 &&
      c.width + c.padding[1]![0] + c.padding[1]![1] >= 3,
  );

function checkForwardAndBackward(input: Tensor, weight: Tensor, options: Parameters<typeof conv2d>[2]): void {
  const want = conv2d(input, weight, { ...options, algorithm: 'reference' });
  assertClose(conv2d(input, weight, { ...options, algorithm: 'depthwise' }), want);
  const gradOutput = createRng(5).normalTensor([...want.shape]);
  const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'depthwise' });
  const ref = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
  assertClose(got.gradInput, ref.gradInput);
  assertClose(got.gradWeight, ref.gradWeight);
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`depthwise direct 3x3 and channel blocks [${build}]`, () => {
    it('the direct 3x3 paths match the reference on every width, padding and stride, forward and backward', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(direct3x3Case, (c) => {
          const rng = createRng(c.seed);
          const input = rng.normalTensor([c.batch, c.channels, c.height, c.width]);
          const weight = rng.normalTensor([c.channels * c.multiplier, 1, 3, 3]);
          const bias = c.hasBias ? rng.normalTensor([c.channels * c.multiplier]) : null;
          checkForwardAndBackward(input, weight, {
            padding: c.padding as [number, number][],
            stride: c.stride,
            groups: c.channels,
            bias,
          });
        }),
        { numRuns: 250, seed: 831 },
      );
    });

    it('the width-stride-2 path sums the planes of a channel (transposed gradInput, a multiplier) like the reference', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(direct3x3Case, (c) => {
          const rng = createRng(c.seed);
          // A transposed convolution's gradInput is the strided convolution of gradOutput,
          // summing the m planes of each input channel.
          const input = rng.normalTensor([c.batch, c.channels, c.height, c.width]);
          const weight = rng.normalTensor([c.channels, c.multiplier, 3, 3]);
          const padding = [Math.min(c.padding[0]![0], 2), Math.min(c.padding[1]![0], 2)];
          const options = { stride: [c.stride[0], 2], padding, groups: c.channels };
          let want: Tensor;
          try {
            want = convTranspose2d(input, weight, { ...options, algorithm: 'reference' });
          } catch {
            return; // more padding than the output has
          }
          const gradOutput = rng.normalTensor([...want.shape]);
          const got = convTransposeBackward(gradOutput, input, weight, {
            ...options,
            algorithm: 'depthwise',
          });
          const ref = convTransposeBackward(gradOutput, input, weight, {
            ...options,
            algorithm: 'reference',
          });
          assertClose(got.gradInput, ref.gradInput);
        }),
        { numRuns: 150, seed: 834 },
      );
    });

    it('keeps NaN and Infinity where the reference does on the direct path (edges, padding rows, infinite weights)', () => {
      initWasmSync({ build });
      const rng = createRng(832);
      for (const [height, width, padding, stride] of [
        [7, 7, 1, 1],
        [5, 13, 2, 1],
        [6, 28, [1, 0], 1],
        [9, 17, 1, 2],
        [8, 30, [0, 2], 2],
      ] as const) {
        const input = rng.normalTensor([1, 3, height, width]);
        const data = input.toFloat32Array();
        // The first and last column of the first row, the last row's last element.
        data[0] = Number.POSITIVE_INFINITY;
        data[width - 1] = Number.NaN;
        data[height * width * 2 - 1] = Number.NEGATIVE_INFINITY;
        const poisoned = tensor(data, input.shape);
        const weight = rng.normalTensor([3, 1, 3, 3]);
        const w = weight.toFloat32Array();
        w[2 * 9 + 4] = Number.POSITIVE_INFINITY; // channel 2's centre tap times the padding: NaN at the border
        const infiniteWeight = tensor(w, weight.shape);
        for (const [x, k] of [
          [poisoned, weight],
          [input, infiniteWeight],
        ] as const) {
          const options = { padding, stride, groups: 3 } as const;
          assertClose(
            conv2d(x, k, { ...options, algorithm: 'depthwise' }),
            conv2d(x, k, { ...options, algorithm: 'reference' }),
          );
        }
      }
    });

    it('splits large calls into blocks of channels (a partial last block), on every path', () => {
      initWasmSync({ build });
      const rng = createRng(833);
      // 70 channels of 28x28 are more than one block of source floats; batch 2 and a multiplier
      // exercise the block offsets of the weights, the bias and both modes (gradInput sums the m
      // planes of a channel).
      for (const [x, w, options] of [
        [[2, 70, 28, 28], [70, 1, 3, 3], { padding: 1, groups: 70 }],
        [[1, 70, 28, 27], [140, 1, 3, 3], { padding: [0, 2], groups: 70 }],
        [[1, 45, 30, 30], [45, 1, 5, 5], { padding: 2, stride: 2, groups: 45 }],
        [[1, 40, 33, 29], [80, 1, 3, 3], { padding: 1, stride: 2, groups: 40 }],
      ] as const) {
        const input = rng.normalTensor([...x]);
        const weight = rng.normalTensor([...w]);
        const bias = rng.normalTensor([w[0]]);
        checkForwardAndBackward(input, weight, { ...options, bias });
      }
      const input = rng.normalTensor([1, 48, 26, 26]);
      const weight = rng.normalTensor([48, 2, 4, 4]);
      const options = { stride: 2, padding: 1, groups: 48 } as const;
      const want = convTranspose2d(input, weight, { ...options, algorithm: 'reference' });
      assertClose(convTranspose2d(input, weight, { ...options, algorithm: 'depthwise' }), want);
      const gradOutput = rng.normalTensor([...want.shape]);
      const got = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm: 'depthwise' });
      const ref = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
      assertClose(got.gradInput, ref.gradInput);
      assertClose(got.gradWeight, ref.gradWeight);
    });
  });
}
