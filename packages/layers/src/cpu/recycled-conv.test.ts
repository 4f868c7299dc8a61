import * as kernels from '@convkit/kernels-cpu';
import { ArgumentError, createRng, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { Parameter } from '../autograd/parameter';
import type { Backend } from '../backend/backend';
import { cpuBackend } from '../backend/cpu-backend';
import { cpuBackendOn, type SyncConvOps } from '../backend/cpu-backend-on';
import { setBackend } from '../backend/use-backend';
import { mul, sum } from '../functional/arithmetic';
import { conv } from '../functional/convolution';
import { linear, matmul } from '../functional/linear';
import { manualSeed } from '../init/global-rng';
import { ReLU } from '../modules/activations';
import { Sequential } from '../modules/containers';
import { Conv2d } from '../modules/conv';
import { BatchNorm2d } from '../modules/normalization';
import { MaxPool2d } from '../modules/pooling';
import { Flatten, Linear } from '../modules/simple';
import { flatValues } from './flat-values';
import type { LinearGradients } from './linear';
import { pooledBytes, releaseBuffer, takeBuffer } from './recycled-buffers';
import { type ConvIntoOps, recycledConv, recycledConvBackward } from './recycled-conv';

/** kernels-cpu's module ops with their into-forms. */
const moduleOps: ConvIntoOps = {
  conv: kernels.conv,
  convInto: kernels.convInto,
  convBackward: kernels.convBackward,
};

/** The former linear kernels: fresh layerGemm results (the reference for the recycled ones). */
function plainLinear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [rows, inFeatures] = x.shape as [number, number];
  const out = weight.shape[0]!;
  const y = kernels.layerGemm(rows, out, inFeatures, flatValues(x), flatValues(weight), { transB: true });
  if (bias !== null) {
    const b = bias.toFloat32Array();
    for (let r = 0, at = 0; r < rows; r++) for (let o = 0; o < out; o++, at++) y[at]! += b[o]!;
  }
  return new Tensor(y, [rows, out]);
}

function plainLinearBackward(gradOutput: Tensor, x: Tensor, weight: Tensor): LinearGradients {
  const [rows, inFeatures] = x.shape as [number, number];
  const out = weight.shape[0]!;
  const g = flatValues(gradOutput);
  const sums = new Float64Array(out);
  for (let r = 0, at = 0; r < rows; r++) for (let o = 0; o < out; o++, at++) sums[o]! += g[at]!;
  return {
    gradInput: new Tensor(kernels.layerGemm(rows, inFeatures, out, g, flatValues(weight)), [
      rows,
      inFeatures,
    ]),
    gradWeight: new Tensor(kernels.layerGemm(out, inFeatures, rows, g, flatValues(x), { transA: true }), [
      out,
      inFeatures,
    ]),
    gradBias: new Tensor(Float32Array.from(sums), [out]),
  };
}

/** The CPU backend as it was: fresh kernel results everywhere, nothing recycled or in place. */
const plain: Backend = {
  ...cpuBackend,
  name: 'cpu-plain',
  conv: kernels.conv,
  convBackward: kernels.convBackward,
  linear: plainLinear,
  linearBackward: plainLinearBackward,
  matmul: (a, b, transA, transB) => {
    const m = transA ? a.shape[1]! : a.shape[0]!;
    const k = transA ? a.shape[0]! : a.shape[1]!;
    const n = transB ? b.shape[0]! : b.shape[1]!;
    return new Tensor(kernels.layerGemm(m, n, k, flatValues(a), flatValues(b), { transA, transB }), [m, n]);
  },
  release: undefined,
  releaseArgmax: undefined,
  unaryInPlace: undefined,
  unaryBackwardInPlace: undefined,
};

function withBackend<T>(backend: Backend, run: () => T): T {
  const previous = setBackend(backend);
  try {
    return run();
  } finally {
    setBackend(previous);
  }
}

/** A backend over `base` that records the buffers of conv outputs, conv input gradients and linear products. */
function recording(base: Backend) {
  const seen = {
    conv: [] as ArrayBufferLike[],
    convGrad: [] as ArrayBufferLike[],
    linear: [] as ArrayBufferLike[],
  };
  const backend: Backend = {
    ...base,
    conv: (input, weight, options) => {
      const y = base.conv(input, weight, options);
      seen.conv.push(y.data.buffer);
      return y;
    },
    convBackward: (gradOutput, input, weight, options, gradients) => {
      const grads = base.convBackward(gradOutput, input, weight, options, gradients);
      if (grads.gradInput) seen.convGrad.push(grads.gradInput.data.buffer);
      return grads;
    },
    linear: (x, weight, bias) => {
      const y = base.linear(x, weight, bias);
      seen.linear.push(y.data.buffer);
      return y;
    },
    linearBackward: (gradOutput, x, weight) => {
      const grads = base.linearBackward(gradOutput, x, weight);
      seen.linear.push(grads.gradInput.data.buffer);
      return grads;
    },
  };
  return { backend, seen };
}

function build(): Sequential {
  manualSeed(11);
  return new Sequential(
    new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1 }),
    new ReLU(),
    new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1 }),
    new BatchNorm2d({ numFeatures: 6 }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    new Linear({ inFeatures: 6 * 4 * 4, outFeatures: 10 }),
    new ReLU(),
    new Linear({ inFeatures: 10, outFeatures: 3 }),
  );
}

/** Three training steps: every step's gradients and output (a plain update between steps). */
function train(backend: Backend, x: Parameter): Float32Array[][] {
  return withBackend(backend, () => {
    const model = build();
    const params = model.parameters();
    const out: Float32Array[][] = [];
    for (let step = 0; step < 3; step++) {
      for (const p of [...params, x]) p.grad = null;
      const y = model.forward(x);
      sum(mul(y, y)).backward();
      out.push([
        ...params.map((p) => p.grad!.toFloat32Array()),
        x.grad!.toFloat32Array(),
        y.data.toFloat32Array(),
      ]);
      for (const p of params) p.data = p.data.clone();
    }
    return out;
  });
}

describe('recycled convolution and linear results', () => {
  it('trains with the same bits as fresh results, and reuses the conv outputs, input gradients and linear products', () => {
    const input = createRng(31).normalTensor([5, 2, 8, 8]);
    const x = new Parameter(input.clone());
    const fresh = train(plain, x);
    const { backend, seen } = recording(cpuBackend);
    const recycled = train(backend, x);
    expect(recycled).toEqual(fresh);
    // Inputs never written: the data and the parameter the input gradient reaches are intact.
    expect(x.data.toFloat32Array()).toEqual(input.toFloat32Array());
    // 2 convolutions a step; the later steps write into memory the earlier ones gave back.
    expect(seen.conv).toHaveLength(6);
    const first = new Set(seen.conv.slice(0, 2));
    expect(seen.conv.slice(4).some((b) => first.has(b))).toBe(true);
    const reused = (list: ArrayBufferLike[]) => new Set(list).size < list.length;
    // The second conv's input gradient (and the first's, which reaches the leaf x, kept as its .grad).
    expect(seen.convGrad).toHaveLength(6);
    expect(reused(seen.convGrad)).toBe(true);
    expect(reused(seen.linear)).toBe(true);
  });

  it('keeps conv outputs and input gradients while retainGraph holds the tape', () => {
    const x = new Parameter(createRng(32).normalTensor([2, 2, 6, 6]));
    const upstream = createRng(33).normalTensor([2, 5, 6, 6]);
    const run = (backend: Backend) =>
      withBackend(backend, () => {
        manualSeed(12);
        const model = new Sequential(
          new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 }),
          new ReLU(),
          new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: 3, padding: 1 }),
        );
        const params = [...model.parameters(), x];
        for (const p of params) p.grad = null;
        const loss = sum(mul(model.forward(x), upstream));
        loss.backward(undefined, { retainGraph: true });
        const once = params.map((p) => p.grad!.toFloat32Array());
        // Whatever the pool holds of these sizes is overwritten: nothing the tape keeps may be there.
        for (const size of [2 * 3 * 36, 2 * 5 * 36, 2 * 2 * 36]) {
          for (let i = 0; i < 4; i++) takeBuffer(size).fill(Number.NaN);
        }
        loss.backward();
        return { once, twice: params.map((p) => p.grad!.toFloat32Array()) };
      });
    const fresh = run(plain);
    const recycled = run(cpuBackend);
    expect(recycled).toEqual(fresh);
    expect(recycled.twice).toEqual(recycled.once.map((g) => g.map((v) => 2 * v)));
  });

  it('matches the plain ops for 1-D, 3-D, grouped, strided and channels-last calls, inputs untouched', () => {
    const rng = createRng(34);
    const cases: [number[], number[], kernels.ConvOptions][] = [
      [[2, 4, 9], [6, 2, 3], { groups: 2, stride: 2, padding: 1 }],
      [[1, 2, 4, 5, 6], [3, 2, 2, 3, 3], { padding: 'same', dilation: [1, 2, 1] }],
      [
        [2, 7, 7, 3],
        [4, 3, 3, 3],
        {
          layout: 'channels-last',
          padding: [
            [1, 0],
            [0, 2],
          ],
        },
      ],
      [[3, 3, 10, 10], [8, 3, 1, 1], { bias: rng.normalTensor([8]), stride: 3 }],
    ];
    for (const [inputShape, weightShape, options] of cases) {
      const input = rng.normalTensor(inputShape);
      const weight = rng.normalTensor(weightShape);
      const copies = [input.toFloat32Array(), weight.toFloat32Array()];
      const y = cpuBackend.conv(input, weight, options);
      const expected = kernels.conv(input, weight, options);
      expect(y.shape).toEqual(expected.shape);
      expect(y.toFloat32Array()).toEqual(expected.toFloat32Array());
      const g = rng.normalTensor(expected.shape);
      const { bias: _bias, ...backwardOptions } = options;
      const grads = cpuBackend.convBackward(g, input, weight, backwardOptions);
      const want = kernels.convBackward(g, input, weight, backwardOptions);
      expect(grads.gradInput!.shape).toEqual(input.shape);
      expect(grads.gradInput!.toFloat32Array()).toEqual(want.gradInput.toFloat32Array());
      expect(grads.gradWeight.toFloat32Array()).toEqual(want.gradWeight.toFloat32Array());
      expect(grads.gradBias.toFloat32Array()).toEqual(want.gradBias.toFloat32Array());
      const skipped = cpuBackend.convBackward(g, input, weight, backwardOptions, { inputGradient: false });
      expect(skipped.gradInput).toBeNull();
      expect([input.toFloat32Array(), weight.toFloat32Array()]).toEqual(copies);
    }
  });

  it("throws the ops' own errors for calls they reject and gives the taken buffer back", () => {
    const rng = createRng(35);
    const input = rng.normalTensor([1, 3, 5, 5]);
    const weight = rng.normalTensor([2, 3, 3, 3]);
    const bad = rng.normalTensor([2, 4, 3, 3]);
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
      return 'no error';
    };
    const g = rng.normalTensor([1, 2, 3, 3]);
    for (const [ours, theirs] of [
      [() => cpuBackend.conv(input, bad, {}), () => kernels.conv(input, bad, {})],
      [() => cpuBackend.conv(input, weight, { stride: 0 }), () => kernels.conv(input, weight, { stride: 0 })],
      [
        () => cpuBackend.convBackward(rng.normalTensor([1, 2, 4, 4]), input, weight, {}),
        () => kernels.convBackward(rng.normalTensor([1, 2, 4, 4]), input, weight, {}),
      ],
      [
        () => cpuBackend.convBackward(g, input, weight, {}, { inputGradient: 'yes' as never }),
        () => kernels.convBackward(g, input, weight, {}, { inputGradient: 'yes' as never }),
      ],
      [
        () => cpuBackend.convBackward(g, input, weight, {}, 7 as never),
        () => kernels.convBackward(g, input, weight, {}, 7 as never),
      ],
    ] as const) {
      const got = message(ours);
      expect(got).not.toBe('no error');
      expect(got).toBe(message(theirs));
    }
    // A buffer taken for a result that an op then refused goes back to the pool.
    const failing = {
      ...moduleOps,
      convInto: (out: Tensor): Tensor => {
        taken.push(out.data);
        throw new ArgumentError('convInto: refused');
      },
      convBackward: ((_g, _i, _w, _o, gradients) => {
        taken.push(gradients.inputGradientInto!.data);
        throw new ArgumentError('convBackward: refused');
      }) as ConvIntoOps['convBackward'],
    };
    const taken: Float32Array[] = [];
    const before = pooledBytes();
    expect(() => recycledConv(failing, input, weight, {})).toThrow('convInto: refused');
    expect(pooledBytes()).toBe(before + 2 * 3 * 3 * 4);
    expect(takeBuffer(2 * 3 * 3)).toBe(taken[0]);
    expect(() => recycledConvBackward(failing, g, input, weight, {})).toThrow('convBackward: refused');
    expect(takeBuffer(3 * 5 * 5)).toBe(taken[1]);
  });

  it('linear and matmul products match the plain layerGemm bits (transposes, bias, empty)', () => {
    const rng = createRng(36);
    const a = new Parameter(rng.normalTensor([7, 5]));
    const w = new Parameter(rng.normalTensor([4, 5]));
    const b = new Parameter(rng.normalTensor([4]));
    const m = new Parameter(rng.normalTensor([4, 6]));
    const run = (backend: Backend) =>
      withBackend(backend, () => {
        for (const p of [a, w, b, m]) p.grad = null;
        const y = linear(a, w, b);
        const z = matmul(y, m);
        sum(mul(z, z)).backward();
        const empty = backend.linear(new Tensor(new Float32Array(0), [0, 5]), w.data, b.data);
        return [z.data.toFloat32Array(), ...[a, w, b, m].map((p) => p.grad!.toFloat32Array()), empty.shape];
      });
    expect(run(cpuBackend)).toEqual(run(plain));
    for (const [transA, transB] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const p = rng.normalTensor([3, 3]);
      const q = rng.normalTensor([3, 3]);
      expect(cpuBackend.matmul(p, q, transA, transB).toFloat32Array()).toEqual(
        plain.matmul(p, q, transA, transB).toFloat32Array(),
      );
    }
    // The products are written into the pool's buffers: a released one of the size comes back filled.
    const spare = takeBuffer(7 * 4);
    spare.fill(Number.NaN);
    releaseBuffer(spare);
    const y = cpuBackend.linear(a.data, w.data, b.data);
    expect(y.data).toBe(spare);
    expect(y.toFloat32Array()).toEqual(plain.linear(a.data, w.data, b.data).toFloat32Array());
  });

  it('conv through recycledConv writes into the given ops, and recycledConvBackward asks only for a wanted input gradient', () => {
    const rng = createRng(37);
    const input = rng.normalTensor([2, 3, 6, 6]);
    const weight = rng.normalTensor([4, 3, 3, 3]);
    const ops = moduleOps;
    const outs: Tensor[] = [];
    const intos: unknown[] = [];
    const spying = {
      conv: ops.conv,
      convInto: (out: Tensor, i: Tensor, w: Tensor, o?: kernels.ConvOptions) => {
        outs.push(out);
        return ops.convInto(out, i, w, o);
      },
      convBackward: ops.convBackward,
    };
    const spyingBackward = {
      ...spying,
      convBackward: ((g, i, w, o, gradients) => {
        intos.push(gradients.inputGradientInto);
        return ops.convBackward(g, i, w, o, gradients);
      }) as typeof ops.convBackward,
    };
    const y = recycledConv(spying, input, weight, { padding: 1 });
    expect(y).toBe(outs[0]);
    expect(y.toFloat32Array()).toEqual(kernels.conv(input, weight, { padding: 1 }).toFloat32Array());
    const g = rng.normalTensor([2, 4, 6, 6]);
    const grads = recycledConvBackward(spyingBackward, g, input, weight, { padding: 1 });
    expect(grads.gradInput).toBe(intos[0]);
    recycledConvBackward(spyingBackward, g, input, weight, { padding: 1 }, { inputGradient: false });
    expect(intos[1]).toBeUndefined();
  });
});

describe('cpuBackendOn with into-forms', () => {
  const intoOps = (): { ops: SyncConvOps; into: number } => {
    const state = {
      into: 0,
      ops: {
        threads: 1,
        conv: kernels.conv,
        convInto: (out: Tensor, input: Tensor, weight: Tensor, options?: kernels.ConvOptions) => {
          state.into++;
          return kernels.convInto(out, input, weight, options);
        },
        convBackward: kernels.convBackward,
        convTranspose: kernels.convTranspose,
        convTransposeBackward: kernels.convTransposeBackward,
        deformConv: kernels.deformConv,
        deformConvBackward: kernels.deformConvBackward,
      } satisfies SyncConvOps,
    };
    return state;
  };

  it('writes conv outputs through ops.convInto and trains with the plain bits', () => {
    const state = intoOps();
    const x = new Parameter(createRng(38).normalTensor([5, 2, 8, 8]));
    const fresh = train(plain, x);
    expect(train(cpuBackendOn(state.ops), x)).toEqual(fresh);
    expect(state.into).toBe(6);
  });

  it('rejects an ops.convInto that is not a function', () => {
    const { ops } = intoOps();
    expect(() => cpuBackendOn({ ...ops, convInto: 3 as never })).toThrow(ArgumentError);
    expect(() => cpuBackendOn({ ...ops, convInto: 3 as never })).toThrow(
      'cpuBackendOn: ops.convInto must be a function when given, got number 3',
    );
  });

  it('conv outside the tape: a functional call with plain tensors returns the recycled result', () => {
    const rng = createRng(39);
    const input = rng.normalTensor([1, 1, 4, 4]);
    const weight = rng.normalTensor([1, 1, 3, 3]);
    const y = withBackend(cpuBackend, () => conv(input, weight));
    expect(y.data.toFloat32Array()).toEqual(kernels.conv(input, weight).toFloat32Array());
  });
});
