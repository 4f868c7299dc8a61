import {
  assertClose,
  convGeometry,
  createRng,
  LAYOUTS,
  PADDING_MODES,
  type Padding,
  type PaddingMode,
  type Tensor,
  tensor,
  UnsupportedError,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { convAlgorithmLimit, selectConvAlgorithm } from '../algorithms';
import { conv, conv2d } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { convBackwardWeightDepthwise } from './depthwise-kernels';
import { initWasmSync, type WasmBuild, wasmSupport } from './wasm-runtime';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

interface DepthwiseCase {
  transposed: boolean;
  batch: number;
  channels: number;
  multiplier: number;
  inputSpatial: number[];
  kernelSize: number[];
  options: {
    stride: number[];
    dilation: number[];
    padding: Padding;
    paddingMode?: PaddingMode;
    outputPadding?: number[];
    groups: number;
    layout: (typeof LAYOUTS)[number];
  };
  hasBias: boolean;
  seed: number;
}

/**
 * Random depthwise problems: 1-3-D, widths that leave every tail (1-3 columns past the last
 * whole vector) and span several vectors, kernels 1-5 (3x3 and 5x5 often), strides 1-3,
 * dilation, every padding form and mode, multipliers, 1 to 70 channels, batch, bias, both
 * layouts. Transposed cases add output padding.
 */
function depthwiseCase(transposed: boolean): fc.Arbitrary<DepthwiseCase> {
  return fc
    .integer({ min: 1, max: 3 })
    .chain((dims) => {
      const perDim = (arb: fc.Arbitrary<number>) => fc.array(arb, { minLength: dims, maxLength: dims });
      const size = dims === 3 ? fc.integer({ min: 1, max: 7 }) : fc.integer({ min: 1, max: 19 });
      const amount = fc.integer({ min: 0, max: 3 });
      const paddings: fc.Arbitrary<Padding>[] = [
        amount,
        perDim(amount),
        fc.array(fc.tuple(amount, amount), { minLength: dims, maxLength: dims }),
        fc.constant('valid' as const),
      ];
      if (!transposed) paddings.push(fc.constant('same' as const));
      return fc.record({
        dims: fc.constant(dims),
        batch: fc.integer({ min: 1, max: 2 }),
        channels: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(70)),
        multiplier: fc.integer({ min: 1, max: 3 }),
        inputSpatial: perDim(size),
        kernelSize: fc.oneof(
          perDim(fc.integer({ min: 1, max: 5 })),
          fc.constantFrom(3, 5).map((k) => Array(dims).fill(k)),
          // A square kernel over the last two dims only (1x3x3 in 3-D): the 2-D fast paths'
          // shapes, which must still walk every output depth slice.
          fc.constantFrom(3, 5).map((k) => Array.from({ length: dims }, (_, d) => (d < dims - 2 ? 1 : k))),
        ),
        stride: perDim(fc.integer({ min: 1, max: 3 })),
        dilation: perDim(fc.integer({ min: 1, max: 2 })),
        padding: fc.oneof(...paddings),
        paddingMode: transposed ? fc.constant<PaddingMode>('zeros') : fc.constantFrom(...PADDING_MODES),
        outputPaddingDraw: perDim(fc.integer({ min: 0, max: 2 })),
        layout: fc.constantFrom(...LAYOUTS),
        hasBias: fc.boolean(),
        seed: fc.integer({ min: 0, max: 0x7fffffff }),
      });
    })
    .map((d): DepthwiseCase | null => {
      const options: DepthwiseCase['options'] = {
        stride: d.stride,
        dilation: d.dilation,
        padding: d.padding,
        groups: d.channels,
        layout: d.layout,
      };
      if (transposed) {
        options.outputPadding = d.outputPaddingDraw.map((v, i) => v % Math.max(d.stride[i]!, d.dilation[i]!));
      } else {
        options.paddingMode = d.paddingMode;
      }
      const outChannels = d.channels * d.multiplier;
      try {
        convGeometry({
          ...options,
          transposed,
          batch: d.batch,
          inChannels: d.channels,
          outChannels,
          inputSpatial: d.inputSpatial,
          kernelSize: d.kernelSize,
        });
      } catch {
        return null; // an empty output or too much reflect padding
      }
      return {
        transposed,
        batch: d.batch,
        channels: d.channels,
        multiplier: d.multiplier,
        inputSpatial: d.inputSpatial,
        kernelSize: d.kernelSize,
        options,
        hasBias: d.hasBias,
        seed: d.seed,
      };
    })
    .filter((c): c is DepthwiseCase => c !== null);
}

function caseTensors(c: DepthwiseCase) {
  const rng = createRng(c.seed);
  const geometry = convGeometry({
    ...c.options,
    transposed: c.transposed,
    batch: c.batch,
    inChannels: c.channels,
    outChannels: c.channels * c.multiplier,
    inputSpatial: c.inputSpatial,
    kernelSize: c.kernelSize,
  });
  return {
    geometry,
    input: rng.normalTensor(geometry.inputShape),
    weight: rng.normalTensor(geometry.weightShape),
    bias: c.hasBias ? rng.normalTensor([geometry.outChannels]) : null,
    gradOutput: rng.normalTensor(geometry.outputShape),
  };
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`depthwise kernels [${build}]`, () => {
    it('convolution forward and backward match the reference on random depthwise geometries', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(depthwiseCase(false), (c) => {
          const { geometry, input, weight, bias, gradOutput } = caseTensors(c);
          expect(convAlgorithmLimit('depthwise', geometry, 'forward')).toBeNull();
          const options = { ...c.options, bias };
          assertClose(
            conv(input, weight, { ...options, algorithm: 'depthwise' }),
            conv(input, weight, { ...options, algorithm: 'reference' }),
          );
          const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'depthwise' });
          const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
          assertClose(got.gradInput, want.gradInput);
          assertClose(got.gradWeight, want.gradWeight);
          assertClose(got.gradBias, want.gradBias);
        }),
        { numRuns: 300, seed: 811 },
      );
    });

    it('transposed convolution forward and backward match the reference on random depthwise geometries', () => {
      initWasmSync({ build });
      fc.assert(
        fc.property(depthwiseCase(true), (c) => {
          const { input, weight, bias, gradOutput } = caseTensors(c);
          // depthwiseCase(true) never draws 'same' nor a padding mode.
          const { paddingMode: _zeros, ...rest } = c.options;
          const options = { ...rest, padding: rest.padding as Exclude<Padding, 'same'>, bias };
          assertClose(
            convTranspose(input, weight, { ...options, algorithm: 'depthwise' }),
            convTranspose(input, weight, { ...options, algorithm: 'reference' }),
          );
          const got = convTransposeBackward(gradOutput, input, weight, {
            ...options,
            algorithm: 'depthwise',
          });
          const want = convTransposeBackward(gradOutput, input, weight, {
            ...options,
            algorithm: 'reference',
          });
          assertClose(got.gradInput, want.gradInput);
          assertClose(got.gradWeight, want.gradWeight);
          assertClose(got.gradBias, want.gradBias);
        }),
        { numRuns: 200, seed: 812 },
      );
    });

    it('runs the bench geometries (MobileNet 3x3, 5x5 at stride 2, the depthwise tconv) like the reference', () => {
      initWasmSync({ build });
      const rng = createRng(813);
      const cases = [
        { x: [1, 32, 28, 28], w: [32, 1, 3, 3], options: { padding: 1, groups: 32 } },
        { x: [2, 16, 29, 31], w: [16, 1, 5, 5], options: { padding: 2, stride: 2, groups: 16 } },
        { x: [1, 8, 30, 33], w: [24, 1, 3, 3], options: { padding: 2, dilation: 2, groups: 8 } },
      ];
      for (const { x, w, options } of cases) {
        const input = rng.normalTensor(x);
        const weight = rng.normalTensor(w);
        const gradOutput = rng.normalTensor([
          ...conv2d(input, weight, { ...options, algorithm: 'reference' }).shape,
        ]);
        assertClose(
          conv2d(input, weight, { ...options, algorithm: 'depthwise' }),
          conv2d(input, weight, { ...options, algorithm: 'reference' }),
        );
        const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'depthwise' });
        const want = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
        assertClose(got.gradInput, want.gradInput);
        assertClose(got.gradWeight, want.gradWeight);
      }
      const input = rng.normalTensor([1, 16, 28, 28]);
      const weight = rng.normalTensor([16, 1, 4, 4]);
      const options = { stride: 2, padding: 1, groups: 16 };
      const want = convTranspose(input, weight, { ...options, algorithm: 'reference' });
      assertClose(convTranspose(input, weight, { ...options, algorithm: 'depthwise' }), want);
      const gradOutput = rng.normalTensor([...want.shape]);
      const got = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm: 'depthwise' });
      const ref = convTransposeBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
      assertClose(got.gradInput, ref.gradInput);
      assertClose(got.gradWeight, ref.gradWeight);
    });

    it('propagates NaN and Infinity as the reference does, in every pass (padding zeros count in the forward and gradWeight, only landing taps elsewhere)', () => {
      initWasmSync({ build });
      const poison = (t: Tensor, rng: ReturnType<typeof createRng>) => {
        const data = t.toFloat32Array();
        for (const value of [Number.POSITIVE_INFINITY, Number.NaN, Number.NEGATIVE_INFINITY]) {
          if (rng.uniform() < 0.5) data[Math.floor(rng.uniform() * data.length)] = value;
        }
        return tensor(data, t.shape);
      };
      for (const transposed of [false, true]) {
        fc.assert(
          fc.property(depthwiseCase(transposed), fc.integer({ min: 0, max: 3 }), (c, which) => {
            const t = caseTensors(c);
            const rng = createRng(c.seed + 7);
            const input = which === 0 ? poison(t.input, rng) : t.input;
            const weight = which === 1 ? poison(t.weight, rng) : t.weight;
            const gradOutput = which === 2 ? poison(t.gradOutput, rng) : t.gradOutput;
            const { paddingMode: _zeros, ...rest } = c.options;
            const transposeOptions = {
              ...rest,
              padding: rest.padding as Exclude<Padding, 'same'>,
              bias: t.bias,
            };
            const convOptions = { ...c.options, bias: t.bias };
            const run = (algorithm: 'depthwise' | 'reference') =>
              transposed
                ? [
                    convTranspose(input, weight, { ...transposeOptions, algorithm }),
                    convTransposeBackward(gradOutput, input, weight, { ...transposeOptions, algorithm }),
                  ]
                : [
                    conv(input, weight, { ...convOptions, algorithm }),
                    convBackward(gradOutput, input, weight, { ...convOptions, algorithm }),
                  ];
            const [gotY, got] = run('depthwise') as [Tensor, ReturnType<typeof convBackward>];
            const [wantY, want] = run('reference') as [Tensor, ReturnType<typeof convBackward>];
            assertClose(gotY, wantY);
            assertClose(got.gradInput, want.gradInput);
            assertClose(got.gradWeight, want.gradWeight);
          }),
          { numRuns: 100, seed: transposed ? 817 : 816 },
        );
      }
    });

    it('walks every output depth slice with a 1xkxk kernel (the 2-D fast-path shapes in 3-D), every pass', () => {
      initWasmSync({ build });
      const rng = createRng(818);
      for (const [x, w, options] of [
        [[1, 2, 3, 5, 6], [2, 1, 1, 3, 3], { groups: 2, padding: [0, 1, 1] }],
        [[2, 3, 4, 6, 9], [6, 1, 1, 5, 5], { groups: 3, padding: 2, stride: [1, 1, 2] }],
        [[1, 1, 3, 1, 1], [1, 1, 1, 3, 3], { padding: [0, 1, 1] }],
      ] as const) {
        const input = rng.normalTensor([...x]);
        const weight = rng.normalTensor([...w]);
        const want = conv(input, weight, { ...options, algorithm: 'reference' });
        assertClose(conv(input, weight, { ...options, algorithm: 'depthwise' }), want);
        const gradOutput = rng.normalTensor([...want.shape]);
        const got = convBackward(gradOutput, input, weight, { ...options, algorithm: 'depthwise' });
        const ref = convBackward(gradOutput, input, weight, { ...options, algorithm: 'reference' });
        assertClose(got.gradInput, ref.gradInput);
        assertClose(got.gradWeight, ref.gradWeight);
        // The same shapes transposed (weight [C_in, C_out/groups, ...k]).
        const tWeight = rng.normalTensor([x[1], w[0] / x[1], ...w.slice(2)]);
        const tOptions = { groups: options.groups ?? 1, stride: 'stride' in options ? options.stride : 1 };
        const tWant = convTranspose(input, tWeight, { ...tOptions, algorithm: 'reference' });
        assertClose(convTranspose(input, tWeight, { ...tOptions, algorithm: 'depthwise' }), tWant);
        const tGrad = rng.normalTensor([...tWant.shape]);
        const tGot = convTransposeBackward(tGrad, input, tWeight, { ...tOptions, algorithm: 'depthwise' });
        const tRef = convTransposeBackward(tGrad, input, tWeight, { ...tOptions, algorithm: 'reference' });
        assertClose(tGot.gradInput, tRef.gradInput);
        assertClose(tGot.gradWeight, tRef.gradWeight);
      }
    });

    it('sums the weight gradient of a large plane and batch within 1e-4 of float64', () => {
      initWasmSync({ build });
      const rng = createRng(814);
      const geometry = convGeometry({
        batch: 4,
        inChannels: 2,
        outChannels: 2,
        groups: 2,
        inputSpatial: [150, 150],
        kernelSize: 3,
        padding: 1,
      });
      // A constant offset makes the terms share a sign, the worst case for a float32 running sum.
      const input = rng.normalTensor(geometry.inputShape).data.map((v) => v + 3);
      const gradOutput = rng.normalTensor(geometry.outputShape).data.map((v) => v + 3);
      const got = convBackwardWeightDepthwise(gradOutput, input, geometry);
      const want = new Float64Array(got.length);
      const [h, w] = [150, 150];
      for (let n = 0; n < 4; n++) {
        for (let c = 0; c < 2; c++) {
          const plane = (n * 2 + c) * h * w;
          for (let kh = 0; kh < 3; kh++) {
            for (let kw = 0; kw < 3; kw++) {
              let sum = 0;
              for (let oh = 0; oh < h; oh++) {
                const ih = oh + kh - 1;
                if (ih < 0 || ih >= h) continue;
                for (let ow = 0; ow < w; ow++) {
                  const iw = ow + kw - 1;
                  if (iw >= 0 && iw < w)
                    sum += gradOutput[plane + oh * w + ow]! * input[plane + ih * w + iw]!;
                }
              }
              want[c * 9 + kh * 3 + kw]! += sum;
            }
          }
        }
      }
      assertClose(tensor(got, [2, 9]), tensor(Float32Array.from(want), [2, 9]), { atol: 1e-4, rtol: 1e-4 });
    });
  });
}

describe('depthwise limits', () => {
  it('refuses convolutions with more than one input channel per group, naming the counts', () => {
    const rng = createRng(815);
    const input = rng.normalTensor([1, 4, 6, 6]);
    const dense = () => conv2d(input, rng.normalTensor([4, 4, 3, 3]), { algorithm: 'depthwise' });
    expect(dense).toThrow(UnsupportedError);
    expect(dense).toThrow(
      "conv2d: algorithm 'depthwise' runs depthwise convolutions only (one input channel per group, groups = input channels), got 4 input channels in 1 group",
    );
    const grouped = () =>
      convBackward(rng.normalTensor([1, 4, 4, 4]), input, rng.normalTensor([4, 2, 3, 3]), {
        groups: 2,
        algorithm: 'depthwise',
      });
    expect(grouped).toThrow('got 4 input channels in 2 groups');
    const transposed = () =>
      convTranspose(input, rng.normalTensor([4, 1, 2, 2]), { groups: 2, algorithm: 'depthwise' });
    expect(transposed).toThrow(UnsupportedError);
  });

  it('runs every depthwise geometry, forward and backward, and a single input channel', () => {
    const g = (groups: number, inChannels: number, transposed = false) =>
      convGeometry({
        transposed,
        inChannels,
        outChannels: inChannels * 2,
        groups,
        inputSpatial: [5, 5],
        kernelSize: 3,
      });
    for (const pass of ['forward', 'backward'] as const) {
      expect(convAlgorithmLimit('depthwise', g(8, 8), pass)).toBeNull();
      expect(convAlgorithmLimit('depthwise', g(1, 1), pass)).toBeNull();
      expect(convAlgorithmLimit('depthwise', g(8, 8, true), pass)).toBeNull();
      expect(convAlgorithmLimit('depthwise', g(4, 8), pass)).not.toBeNull();
    }
  });
});

describe("'auto' and depthwise", () => {
  it("picks 'depthwise' with the WebAssembly kernels for one input channel per group and up to 16 outputs per group, every pass", () => {
    const g = (args: Partial<Parameters<typeof convGeometry>[0]>) =>
      convGeometry({
        inChannels: 64,
        outChannels: 64,
        inputSpatial: [28, 28],
        kernelSize: 3,
        padding: 1,
        ...args,
      });
    const wasm = { wasm: true };
    const table: [string, ReturnType<typeof convGeometry>, 'forward' | 'backward', boolean][] = [
      ['dw3x3 C256', g({ inChannels: 256, outChannels: 256, groups: 256 }), 'forward', true],
      ['dw3x3 C256 backward', g({ inChannels: 256, outChannels: 256, groups: 256 }), 'backward', true],
      ['dw5x5 stride 2', g({ groups: 64, kernelSize: 5, stride: 2, padding: 2 }), 'forward', true],
      ['1-D', g({ groups: 64, inputSpatial: [1024] as number[], kernelSize: 3 }), 'forward', true],
      ['multiplier 4', g({ outChannels: 256, groups: 64 }), 'forward', true],
      ['multiplier 8', g({ outChannels: 512, groups: 64 }), 'backward', true],
      ['multiplier 16', g({ outChannels: 1024, groups: 64 }), 'forward', true],
      ['multiplier 17', g({ outChannels: 17 * 64, groups: 64 }), 'forward', false],
      ['one input channel, 8 outputs', g({ inChannels: 1, outChannels: 8 }), 'backward', true],
      ['one input channel, 32 outputs', g({ inChannels: 1, outChannels: 32 }), 'forward', false],
      ['two input channels per group', g({ groups: 32 }), 'forward', false],
      ['dense', g({}), 'forward', false],
      [
        'depthwise tconv backward',
        g({ transposed: true, groups: 64, kernelSize: 4, stride: 2 }),
        'backward',
        true,
      ],
      [
        'depthwise tconv forward',
        g({ transposed: true, groups: 64, kernelSize: 4, stride: 2 }),
        'forward',
        true,
      ],
      [
        'tconv, 2 inputs per group',
        g({ transposed: true, groups: 32, kernelSize: 4, stride: 2 }),
        'forward',
        false,
      ],
    ];
    for (const [name, geometry, pass, depthwise] of table) {
      expect(selectConvAlgorithm(geometry, pass, wasm) === 'depthwise', name).toBe(depthwise);
      // Without the WebAssembly kernels 'auto' never picks a WebAssembly algorithm.
      expect(selectConvAlgorithm(geometry, pass, { wasm: false }), name).not.toBe('depthwise');
    }
  });
});
