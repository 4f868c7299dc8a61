import { assertClose, convGeometry, createRng, type Tensor, UnsupportedError } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type GoldenCase, loadGoldens } from '../../../../tooling/goldens/load';
import { convAlgorithmLimit, selectConvAlgorithm } from '../algorithms';
import { conv2d } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { prepareWeight } from '../prepare-weight';
import { convCaseTensors, randomConvCase } from '../reference/random-conv-case';
import { initWasmSync, type WasmBuild, wasmInfo, wasmSupport } from './wasm-runtime';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);
const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

afterAll(() => {
  initWasmSync();
});

/** convTranspose and its backward with 'phase' against the reference, every output. */
function expectPhaseMatches(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  gradOutput: Tensor,
  options: object,
) {
  const all = { ...options, bias };
  assertClose(
    convTranspose(input, weight, { ...all, algorithm: 'phase' }),
    convTranspose(input, weight, { ...all, algorithm: 'reference' }),
  );
  const got = convTransposeBackward(gradOutput, input, weight, { ...all, algorithm: 'phase' });
  const want = convTransposeBackward(gradOutput, input, weight, { ...all, algorithm: 'reference' });
  assertClose(got.gradInput, want.gradInput);
  assertClose(got.gradWeight, want.gradWeight);
  assertClose(got.gradBias, want.gradBias);
}

/** [N, C, ...spatial] -> [N, ...spatial, C], contiguous. */
function toChannelsLast(t: Tensor): Tensor {
  const rank = t.shape.length;
  return t.permute([0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1]).contiguous();
}

/** [N, ...spatial, C] -> [N, C, ...spatial] (a view). */
function fromChannelsLast(t: Tensor): Tensor {
  const rank = t.shape.length;
  return t.permute([0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)]);
}

function tensorOf(c: GoldenCase, name: string): Tensor {
  const t = c.tensors[name];
  if (!t) throw new Error(`${c.name}: the fixture has no '${name}' tensor`);
  return t;
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`algorithm 'phase' [${build}]`, () => {
    it('matches the reference on random transposed geometries, forward and backward', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(randomConvCase(true), (c) => {
          const { input, weight, bias, gradOutput } = convCaseTensors(c);
          expectPhaseMatches(input, weight, bias, gradOutput, c.options);
        }),
        { numRuns: 250, seed: 8801 },
      );
    });

    it('handles one channel, many channels, odd sizes, empty phases and 1-3 dims', () => {
      initWasmSync({ build });
      const rng = createRng(8802);
      const cases: { x: number[]; w: number[]; options: object }[] = [
        // tconv4x4 of the bench at a smaller size, batch 2.
        { x: [2, 64, 9, 10], w: [64, 32, 4, 4], options: { stride: 2, padding: 1 } },
        // One channel in and out.
        { x: [1, 1, 7, 5], w: [1, 1, 3, 3], options: { stride: 2 } },
        // Depth over the GEMM's K block (300 * 4 taps) and rows over its M block (130).
        { x: [1, 300, 5, 6], w: [300, 130, 2, 2], options: { stride: 2 } },
        // Dilation 2 at stride 2: the odd phases are reached by no tap (bias alone).
        { x: [1, 3, 6, 5], w: [3, 5, 3, 3], options: { stride: 2, dilation: 2, outputPadding: 1 } },
        // Phases over 512 positions (several column blocks), odd widths, asymmetric crops.
        {
          x: [1, 3, 41, 53],
          w: [3, 5, 3, 5],
          options: {
            stride: [2, 3],
            padding: [
              [2, 0],
              [1, 3],
            ],
          },
        },
        // Groups with a channel multiplier, 3-D, dilation per dim, outputPadding per dim.
        {
          x: [2, 4, 3, 4, 5],
          w: [4, 3, 2, 3, 2],
          options: { stride: [2, 1, 3], dilation: [1, 2, 1], groups: 2, outputPadding: [1, 1, 2] },
        },
        // 1-D, stride 4 > kernel 3 (phases without taps), padding that crops most of it.
        { x: [3, 6, 11], w: [6, 2, 3], options: { stride: 4, padding: 3, groups: 2 } },
        // Stride 1: one phase, a flipped-kernel correlation.
        { x: [1, 9, 6, 7], w: [9, 10, 3, 3], options: { padding: 1 } },
      ];
      for (const { x, w, options } of cases) {
        const input = rng.normalTensor(x);
        const weight = rng.normalTensor(w);
        const outChannels = w[1]! * ((options as { groups?: number }).groups ?? 1);
        const bias = rng.normalTensor([outChannels]);
        const y = convTranspose(input, weight, { ...options, bias, algorithm: 'reference' });
        expectPhaseMatches(input, weight, bias, rng.normalTensor([...y.shape]), options);
      }
    });

    it('keeps PyTorch values with non-finite weights, inputs and gradients (taps that do not land add nothing)', () => {
      initWasmSync({ build });
      const rng = createRng(8803);
      const input = rng.normalTensor([1, 2, 4, 4]);
      const weight = rng.normalTensor([2, 3, 4, 4]);
      weight.data[5] = Number.POSITIVE_INFINITY;
      const options = { stride: 2, padding: 1 };
      const got = convTranspose(input, weight, { ...options, algorithm: 'phase' });
      const want = convTranspose(input, weight, { ...options, algorithm: 'reference' });
      assertClose(got, want);
      const gradOutput = rng.normalTensor([...want.shape]);
      gradOutput.data[0] = Number.NaN;
      const finiteWeight = rng.normalTensor([2, 3, 4, 4]);
      const a = convTransposeBackward(gradOutput, input, finiteWeight, { ...options, algorithm: 'phase' });
      const b = convTransposeBackward(gradOutput, input, finiteWeight, {
        ...options,
        algorithm: 'reference',
      });
      assertClose(a.gradWeight, b.gradWeight);
      // A NaN and an infinity in the input: the weight gradient sums over real positions only.
      const poked = rng.normalTensor([1, 2, 4, 4]);
      poked.data[0] = Number.NaN;
      poked.data[7] = Number.NEGATIVE_INFINITY;
      const finiteGrad = rng.normalTensor([...want.shape]);
      const c = convTransposeBackward(finiteGrad, poked, finiteWeight, { ...options, algorithm: 'phase' });
      const d = convTransposeBackward(finiteGrad, poked, finiteWeight, {
        ...options,
        algorithm: 'reference',
      });
      assertClose(c.gradWeight, d.gradWeight);
      assertClose(
        convTranspose(poked, finiteWeight, { ...options, algorithm: 'phase' }),
        convTranspose(poked, finiteWeight, { ...options, algorithm: 'reference' }),
      );
    });

    it('keeps the phase weights of a prepared weight between calls and geometries', () => {
      initWasmSync({ build });
      const rng = createRng(8806);
      const weight = rng.normalTensor([6, 4, 4, 3]);
      const prepared = prepareWeight(weight);
      for (const options of [
        { stride: 2, padding: 1 },
        { stride: 3, padding: [0, 2] },
        { stride: 2, padding: 1, dilation: 2 },
        { stride: 2, padding: 1 },
      ]) {
        for (const batch of [1, 2]) {
          const x = rng.normalTensor([batch, 6, 5, 7]);
          assertClose(
            convTranspose(x, prepared, { ...options, algorithm: 'phase' }),
            convTranspose(x, weight, { ...options, algorithm: 'reference' }),
          );
        }
      }
      const infinite = rng.normalTensor([6, 4, 4, 3]);
      infinite.data[3] = Number.POSITIVE_INFINITY;
      const x = rng.normalTensor([1, 6, 5, 7]);
      const preparedInfinite = prepareWeight(infinite);
      for (let i = 0; i < 2; i++) {
        assertClose(
          convTranspose(x, preparedInfinite, { stride: 2, algorithm: 'phase' }),
          convTranspose(x, infinite, { stride: 2, algorithm: 'reference' }),
        );
      }
    });

    it('runs every PyTorch convTranspose golden in both layouts', () => {
      initWasmSync({ build });
      for (const c of loadGoldens('conv-transpose').cases) {
        for (const layout of ['channels-first', 'channels-last'] as const) {
          const last = layout === 'channels-last';
          const options = { ...c.options, bias: c.tensors.bias ?? null, layout, algorithm: 'phase' as const };
          const label = `${c.name} [phase, ${build}, ${layout}]`;
          const input = last ? toChannelsLast(tensorOf(c, 'input')) : tensorOf(c, 'input');
          const output = convTranspose(input, tensorOf(c, 'weight'), options);
          assertClose(last ? fromChannelsLast(output) : output, tensorOf(c, 'output'), {
            ...TOLERANCE,
            label,
          });
          const gradOutput = c.tensors.gradOutput;
          if (!gradOutput) continue;
          const grads = convTransposeBackward(
            last ? toChannelsLast(gradOutput) : gradOutput,
            input,
            tensorOf(c, 'weight'),
            options,
          );
          const gradInput = last ? fromChannelsLast(grads.gradInput) : grads.gradInput;
          assertClose(gradInput, tensorOf(c, 'gradInput'), { ...TOLERANCE, label: `${label} gradInput` });
          assertClose(grads.gradWeight, tensorOf(c, 'gradWeight'), {
            ...TOLERANCE,
            label: `${label} gradWeight`,
          });
        }
      }
    });
  });
}

describe("algorithm 'phase': limits, selection, memory", () => {
  const tconv4x4 = convGeometry({
    transposed: true,
    inChannels: 64,
    outChannels: 32,
    inputSpatial: [28, 28],
    kernelSize: 4,
    stride: 2,
    padding: 1,
  });

  it('refuses plain convolution with an UnsupportedError naming the op', () => {
    const rng = createRng(8804);
    const x = rng.normalTensor([1, 2, 5, 5]);
    const w = rng.normalTensor([3, 2, 3, 3]);
    expect(() => conv2d(x, w, { algorithm: 'phase' })).toThrow(UnsupportedError);
    expect(() => conv2d(x, w, { algorithm: 'phase' })).toThrow(
      "conv2d: algorithm 'phase' runs transposed convolution only",
    );
    expect(() => convBackward(rng.normalTensor([1, 3, 3, 3]), x, w, { algorithm: 'phase' })).toThrow(
      UnsupportedError,
    );
    expect(convAlgorithmLimit('phase', tconv4x4, 'forward')).toBeNull();
    expect(convAlgorithmLimit('phase', tconv4x4, 'backward')).toBeNull();
  });

  it("is what 'auto' runs for the transposed forward when the WebAssembly kernels are loaded", () => {
    expect(selectConvAlgorithm(tconv4x4, 'forward', { wasm: true })).toBe('phase');
    expect(selectConvAlgorithm(tconv4x4, 'backward', { wasm: true })).toBe('wasm');
    expect(selectConvAlgorithm(tconv4x4, 'forward', { wasm: false })).not.toBe('phase');
    const plain = convGeometry({
      inChannels: 64,
      outChannels: 64,
      inputSpatial: [28, 28],
      kernelSize: 3,
      stride: 2,
    });
    expect(selectConvAlgorithm(plain, 'forward', { wasm: true })).not.toBe('phase');
  });

  it('keeps WebAssembly memory flat over repeated calls of one shape', () => {
    initWasmSync();
    const rng = createRng(8805);
    const x = rng.normalTensor([1, 8, 9, 9]);
    const w = rng.normalTensor([8, 4, 4, 4]);
    const options = { stride: 2, padding: 1, algorithm: 'phase' as const };
    const y = convTranspose(x, w, options);
    const gy = rng.normalTensor([...y.shape]);
    convTransposeBackward(gy, x, w, options);
    const before = wasmInfo().memoryBytes;
    for (let i = 0; i < 300; i++) {
      convTranspose(x, w, options);
      convTransposeBackward(gy, x, w, options);
    }
    expect(wasmInfo().memoryBytes).toBe(before);
  });
});
