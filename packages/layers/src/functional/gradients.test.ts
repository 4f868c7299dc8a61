/**
 * Every differentiable op against finite differences (gradCheck: central differences of
 * sum(y * r), summed in float64). Inputs are seeded and small; ops with kinks (relu, max
 * pooling, abs) get inputs away from them.
 */
import { createRng, type Tensor, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { type GradCheckOptions, gradCheck } from '../autograd/grad-check';
import { Variable } from '../autograd/variable';
import type { Backend } from '../backend/backend';
import { cpuBackend } from '../backend/cpu-backend';
import { setBackend } from '../backend/use-backend';
import {
  abs,
  exp,
  gelu,
  leakyRelu,
  log,
  logSoftmax,
  neg,
  relu,
  relu6,
  sigmoid,
  silu,
  softmax,
  sqrt,
  square,
  tanh,
} from './activations';
import { add, div, mean, mul, scale, sub, sum } from './arithmetic';
import { conv, convTranspose, deformConv } from './convolution';
import { dropout } from './dropout';
import { embedding } from './embedding';
import { interpolate } from './interpolate';
import { linear, matmul } from './linear';
import { bceWithLogits, crossEntropy, l1Loss, mseLoss, nllLoss } from './losses';
import { batchNorm, groupNorm, layerNorm } from './normalization';
import { adaptiveAvgPool, avgPool, maxPool } from './pooling';
import { cat, contiguous, flatten, pad, permute, pixelShuffle, reshape, split, transpose } from './shape-ops';

const rng = createRng(2024);
const u = (shape: number[], low = -1, high = 1): Tensor => rng.uniformTensor(shape, low, high);
/** Values at least 0.05 away from zero (for relu, abs, leakyRelu). */
const awayFromZero = (shape: number[]): Tensor => {
  const t = u(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.sign(d[i]! || 1) * (0.05 + Math.abs(d[i]!));
  return t;
};
/** Distinct values spaced at least 0.01 apart, shuffled (no near-ties for max pooling). */
const distinct = (shape: number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.013);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return tensor(values, shape);
};

function expectGrad(fn: (...v: Variable[]) => Variable, inputs: Tensor[], options?: GradCheckOptions): void {
  const report = gradCheck(fn, inputs, options);
  expect(report.worst, JSON.stringify(report)).not.toBeNull();
  expect(report.ok, JSON.stringify(report)).toBe(true);
}

describe('gradients: arithmetic', () => {
  it('add, sub, mul, div with broadcasting', () => {
    expectGrad(add, [u([2, 3, 4]), u([3, 1])]);
    expectGrad(sub, [u([2, 1, 4]), u([2, 3, 4])]);
    expectGrad(mul, [u([2, 3]), u([3])]);
    expectGrad(div, [u([2, 3]), u([2, 1], 0.5, 2)]);
  });
  it('scale, sum, mean', () => {
    expectGrad((x) => scale(x, -1.5, 2), [u([3, 2])]);
    expectGrad((x) => sum(x), [u([2, 3, 2])]);
    expectGrad((x) => sum(x, [0, 2], true), [u([2, 3, 2])]);
    expectGrad((x) => mean(x, 1), [u([2, 3, 2])]);
  });
});

describe('gradients: activations', () => {
  const smooth = {
    sigmoid,
    tanh,
    silu,
    exp,
    neg,
    square,
    gelu: (x: Variable) => gelu(x),
    geluTanh: (x: Variable) => gelu(x, 'tanh'),
  };
  for (const [name, fn] of Object.entries(smooth)) {
    it(name, () => expectGrad(fn, [u([3, 4], -2, 2)]));
  }
  it('relu, relu6, leakyRelu, abs (away from the kinks)', () => {
    expectGrad(relu, [awayFromZero([3, 4])]);
    expectGrad((x) => leakyRelu(x), [awayFromZero([3, 4])]);
    expectGrad((x) => leakyRelu(x, 0.3), [awayFromZero([3, 4])]);
    expectGrad(abs, [awayFromZero([3, 4])]);
    const r6 = u([3, 4], -1, 8);
    expectGrad(relu6, [awayFromZero([3, 4])]);
    expectGrad(relu6, [
      tensor(
        [...r6.toFloat32Array()].map((v) => (Math.abs(v - 6) < 0.1 ? 5 : v)),
        [3, 4],
      ),
    ]);
  });
  it('log, sqrt on positive inputs', () => {
    expectGrad(log, [u([3, 4], 0.5, 2)]);
    expectGrad(sqrt, [u([3, 4], 0.5, 2)]);
  });
  it('softmax and logSoftmax along each dim', () => {
    for (const dim of [0, 1, -1]) {
      expectGrad((x) => softmax(x, dim), [u([3, 4, 2], -2, 2)]);
      expectGrad((x) => logSoftmax(x, dim), [u([3, 4, 2], -2, 2)]);
    }
  });
});

describe('gradients: layout ops', () => {
  it('reshape, flatten, permute, transpose, contiguous', () => {
    expectGrad((x) => reshape(x, [4, -1]), [u([2, 3, 4])]);
    expectGrad((x) => flatten(x, 1), [u([2, 3, 2])]);
    expectGrad((x) => permute(x, [2, 0, 1]), [u([2, 3, 4])]);
    const w = u([4, 3, 2]);
    expectGrad((x) => mul(transpose(x, 0, 2), w), [u([2, 3, 4])]);
    expectGrad((x) => contiguous(permute(x, [1, 0])), [u([2, 3])]);
  });
  it('cat and split', () => {
    expectGrad((a, b) => cat([a!, b!], 1), [u([2, 3, 2]), u([2, 1, 2])]);
    const w = u([2, 2]);
    expectGrad(
      (x) => {
        const [p, q] = split(x, [1, 3], 1) as [Variable, Variable];
        return add(mul(sum(p, 1, true), w), sum(q, 1, true));
      },
      [u([2, 4, 2])],
    );
    expectGrad((x) => split(x, 2, 0)[1]!, [u([5, 2])]);
  });
  it('pad (grow and crop) and pixelShuffle', () => {
    expectGrad((x) => pad(x, [1, 2, 0, 1], 0.5), [u([1, 2, 3, 3])]);
    expectGrad((x) => pad(x, [-1, 1]), [u([2, 4])]);
    expectGrad((x) => pixelShuffle(x, 2), [u([1, 8, 2, 3])]);
  });
});

describe('gradients: convolutions (kernels-cpu backward passes)', () => {
  it('conv1d with stride, dilation and bias', () => {
    expectGrad(
      (x, w, b) => conv(x!, w!, b!, { stride: 2, dilation: 2, padding: 1 }),
      [u([2, 3, 9]), u([4, 3, 3]), u([4])],
    );
  });
  it('conv2d with groups, pairs and a padding mode', () => {
    expectGrad(
      (x, w, b) =>
        conv(x!, w!, b!, {
          groups: 2,
          padding: [
            [1, 0],
            [2, 1],
          ],
        }),
      [u([1, 4, 5, 5]), u([4, 2, 3, 2]), u([4])],
    );
    expectGrad(
      (x, w) => conv(x!, w!, null, { padding: 1, paddingMode: 'reflect' }),
      [u([1, 2, 4, 4]), u([3, 2, 3, 3])],
    );
    expectGrad(
      (x, w) => conv(x!, w!, null, { padding: 'same', stride: 2 }),
      [u([1, 2, 5, 5]), u([2, 2, 2, 2])],
    );
  });
  it('conv3d', () => {
    expectGrad(
      (x, w, b) => conv(x!, w!, b!, { padding: [0, 1, 1] }),
      [u([1, 2, 3, 4, 4]), u([2, 2, 2, 3, 3]), u([2])],
    );
  });
  it('convTranspose 1-D, 2-D (outputPadding, groups) and 3-D', () => {
    expectGrad(
      (x, w, b) => convTranspose(x!, w!, b!, { stride: 2, padding: 1 }),
      [u([2, 3, 4]), u([3, 2, 3]), u([2])],
    );
    expectGrad(
      (x, w, b) =>
        convTranspose(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1, groups: 2, dilation: 1 }),
      [u([1, 4, 3, 3]), u([4, 1, 3, 3]), u([2])],
    );
    expectGrad(
      (x, w) => convTranspose(x!, w!, null, { stride: [1, 2, 2] }),
      [u([1, 2, 2, 2, 2]), u([2, 1, 2, 2, 2])],
    );
  });
  it('deformConv v2: input, weight, offset, mask and bias', () => {
    // Offsets keep every sample away from integer positions, where the bilinear weights have kinks.
    const offset = u([1, 18, 3, 3], 0.1, 0.4);
    expectGrad(
      (x, w, o, m, b) => deformConv(x!, w!, o!, m!, b!, { padding: 1, stride: 2 }),
      [u([1, 2, 5, 5]), u([3, 2, 3, 3]), offset, u([1, 9, 3, 3], 0.2, 1), u([3])],
    );
    expectGrad(
      (x, w, o) => deformConv(x!, w!, o!),
      [u([1, 2, 4, 4]), u([2, 2, 2, 2]), u([1, 8, 3, 3], 0.1, 0.4)],
    );
  });
});

describe('gradients: dense, pooling, normalisation, resampling', () => {
  it('matmul and linear (leading dims, bias)', () => {
    expectGrad(matmul, [u([3, 4]), u([4, 2])]);
    expectGrad((x, w, b) => linear(x!, w!, b!), [u([2, 3, 4]), u([5, 4]), u([5])]);
    expectGrad((x, w) => linear(x!, w!), [u([3, 4]), u([2, 4])]);
  });
  it('maxPool 1-3-D with padding, dilation and ceil mode', () => {
    expectGrad((x) => maxPool(x, 1, { kernelSize: 3, stride: 2, padding: 1 }), [distinct([2, 2, 7])]);
    expectGrad((x) => maxPool(x, 2, { kernelSize: 2, ceilMode: true }), [distinct([1, 2, 5, 5])]);
    expectGrad((x) => maxPool(x, 2, { kernelSize: 2, dilation: 2, stride: 1 }), [distinct([1, 1, 5, 5])]);
    expectGrad((x) => maxPool(x, 3, { kernelSize: 2 }), [distinct([1, 2, 4, 4, 4])]);
    // Windows inside the input, no padding or dilation: the loops without bounds checks.
    expectGrad((x) => maxPool(x, 2, { kernelSize: [2, 3], stride: [2, 1] }), [distinct([2, 2, 5, 5])]);
    expectGrad((x) => maxPool(x, 1, { kernelSize: 3, stride: 2 }), [distinct([1, 3, 9])]);
    expectGrad((x) => maxPool(x, 2, { kernelSize: 2 }), [distinct([2, 2, 4, 6])]);
    expectGrad((x) => maxPool(x, 2, { kernelSize: 2, stride: 1 }), [distinct([1, 2, 3, 4])]);
  });
  it('avgPool (countIncludePad, divisorOverride, ceil mode) and adaptiveAvgPool', () => {
    expectGrad((x) => avgPool(x, 2, { kernelSize: 3, stride: 2, padding: 1 }), [u([1, 2, 5, 5])]);
    expectGrad(
      (x) => avgPool(x, 2, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true }),
      [u([1, 2, 6, 6])],
    );
    expectGrad((x) => avgPool(x, 1, { kernelSize: 2, divisorOverride: 3 }), [u([2, 2, 6])]);
    expectGrad((x) => avgPool(x, 3, { kernelSize: 2 }), [u([1, 1, 4, 4, 4])]);
    expectGrad((x) => adaptiveAvgPool(x, 2, [3, 2]), [u([1, 2, 7, 5])]);
    expectGrad((x) => adaptiveAvgPool(x, 1, 3), [u([2, 2, 5])]);
    expectGrad((x) => adaptiveAvgPool(x, 3, [2, null, 1]), [u([1, 1, 3, 2, 3])]);
  });
  it('batchNorm in training (batch statistics) and eval (running statistics)', () => {
    expectGrad(
      (x, w, b) => batchNorm(x!, { weight: w!, bias: b!, training: true }),
      [u([3, 2, 2, 2]), u([2], 0.5, 1.5), u([2])],
    );
    expectGrad((x) => batchNorm(x, { training: true, eps: 1e-3 }), [u([4, 3])]);
    const runningMean = u([2]);
    const runningVar = u([2], 0.5, 1.5);
    expectGrad(
      (x, w, b) => batchNorm(x!, { weight: w!, bias: b!, training: false, runningMean, runningVar }),
      [u([2, 2, 3]), u([2]), u([2])],
    );
  });
  it('groupNorm and layerNorm', () => {
    expectGrad((x, w, b) => groupNorm(x!, 2, w!, b!), [u([2, 4, 3]), u([4]), u([4])]);
    expectGrad((x, w, b) => layerNorm(x!, [3, 2], w!, b!), [u([2, 3, 2]), u([3, 2]), u([3, 2])]);
  });
  it('interpolate: nearest 1-3-D, bilinear with and without alignCorners', () => {
    expectGrad((x) => interpolate(x, { scaleFactor: 2 }), [u([1, 2, 3])]);
    expectGrad((x) => interpolate(x, { size: [5, 4] }), [u([1, 1, 3, 3])]);
    expectGrad((x) => interpolate(x, { scaleFactor: 2 }), [u([1, 1, 2, 2, 2])]);
    expectGrad((x) => interpolate(x, { size: [5, 7], mode: 'bilinear' }), [u([1, 2, 3, 4])]);
    expectGrad(
      (x) => interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
      [u([1, 1, 3, 3])],
    );
  });
  it('dropout (a fixed mask) and embedding', () => {
    expectGrad((x) => dropout(x, 0.4, true, createRng(3)), [u([4, 5])]);
    const ids = tensor([0, 3, 3, 1, 4, 0], [2, 3]);
    expectGrad((w) => embedding(ids, w!), [u([5, 2])]);
  });
});

describe('gradients: losses', () => {
  const target = tensor([2, 0, 1, 2], [4]);
  it('crossEntropy (plain, label smoothing, ignoreIndex, spatial targets, sum and none)', () => {
    expectGrad((x) => crossEntropy(x, target), [u([4, 3], -2, 2)]);
    expectGrad((x) => crossEntropy(x, target, { labelSmoothing: 0.2 }), [u([4, 3], -2, 2)]);
    expectGrad(
      (x) => crossEntropy(x, tensor([2, -100, 1, 0], [4]), { labelSmoothing: 0.1 }),
      [u([4, 3], -2, 2)],
    );
    expectGrad(
      (x) => crossEntropy(x, tensor([0, 1, 2, 1, 0, 2], [2, 3]), { reduction: 'sum' }),
      [u([2, 3, 3], -2, 2)],
    );
    expectGrad((x) => crossEntropy(x, target, { reduction: 'none' }), [u([4, 3], -2, 2)]);
  });
  it('nllLoss', () => {
    expectGrad((x) => nllLoss(x, target), [u([4, 3])]);
    expectGrad(
      (x) => nllLoss(x, tensor([2, 5, 1, 5], [4]), { ignoreIndex: 5, reduction: 'sum' }),
      [u([4, 3])],
    );
  });
  it('mseLoss, l1Loss, bceWithLogits (both arguments)', () => {
    expectGrad((a, b) => mseLoss(a!, b!), [u([3, 2]), u([3, 2])]);
    expectGrad(
      (a, b) => l1Loss(a!, b!, { reduction: 'sum' }),
      [awayFromZero([3, 2]), tensor([0, 0, 0, 0, 0, 0], [3, 2])],
    );
    expectGrad((a, b) => bceWithLogits(a!, b!), [u([3, 2], -3, 3), u([3, 2], 0, 1)]);
  });
});

describe('gradients: conv of an input that needs none', () => {
  it('asks the backend for no input gradient; the weight and bias gradients are unchanged', () => {
    const rng = createRng(3);
    const values = (shape: number[]) =>
      tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
        shape,
      );
    const [xt, wt, bt] = [values([2, 3, 6, 6]), values([4, 3, 3, 3]), values([4])];
    const asked: unknown[] = [];
    const previous = setBackend({
      ...cpuBackend,
      convBackward: (...args: Parameters<Backend['convBackward']>) => {
        asked.push(args[4]);
        return cpuBackend.convBackward(...args);
      },
    });
    try {
      const run = (inputRequiresGrad: boolean) => {
        const x = new Variable(xt, inputRequiresGrad);
        const w = new Variable(wt, true);
        const b = new Variable(bt, true);
        sum(mul(conv(x, w, b, { padding: 1 }), conv(x, w, b, { padding: 1 }))).backward();
        return { x, w, b };
      };
      const without = run(false);
      const withInput = run(true);
      expect(asked).toEqual([{ inputGradient: false }, { inputGradient: false }, undefined, undefined]);
      expect(without.x.grad).toBeNull();
      expect(withInput.x.grad?.shape).toEqual([2, 3, 6, 6]);
      expect(without.w.grad?.toFloat32Array()).toEqual(withInput.w.grad?.toFloat32Array());
      expect(without.b.grad?.toFloat32Array()).toEqual(withInput.b.grad?.toFloat32Array());
    } finally {
      setBackend(previous);
    }
  });
});

describe('batch norm with and without the backend fused forward', () => {
  it('gives the same output, gradients and running statistics either way', () => {
    const rng = createRng(11);
    const values = (shape: number[], offset = 0) =>
      tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => offset + rng.normal()),
        shape,
      );
    const [xt, wt, bt] = [values([3, 4, 5, 6], 2), values([4]), values([4])];
    const run = () => {
      const x = new Variable(xt, true);
      const w = new Variable(wt, true);
      const b = new Variable(bt, true);
      const runningMean = tensor(new Float32Array(4), [4]);
      const runningVar = tensor(new Float32Array(4).fill(1), [4]);
      const y = batchNorm(x, { weight: w, bias: b, runningMean, runningVar, training: true, eps: 1e-3 });
      sum(mul(y, y)).backward();
      return [y.data, x.grad!, w.grad!, b.grad!, runningMean, runningVar].map((t) => t.toFloat32Array());
    };
    const fused = run();
    const { batchNormForward: _, ...withoutFused } = cpuBackend;
    const previous = setBackend(withoutFused);
    try {
      expect(run()).toEqual(fused);
    } finally {
      setBackend(previous);
    }
  });
});
