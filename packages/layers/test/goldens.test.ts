/**
 * The PyTorch equivalence of @convkit/layers (tooling/goldens/layers.json and the
 * safetensors files in tooling/goldens/layers/, written by gen_layers.py): for each of the 12
 * models, the PyTorch-saved weights load with strict keys; the eval and train outputs, the
 * loss, every parameter's gradient, the running statistics after the train step, and every
 * parameter after 3 steps of SGD with momentum and of AdamW match at atol = rtol = 1e-4.
 * Then the optimizers step by step and the learning-rate schedules, against PyTorch.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertClose, type Tensor, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { type GoldenCase, loadGoldens } from '../../../tooling/goldens/load';
import {
  Adam,
  AdamW,
  adaptiveAvgPool,
  avgPool,
  batchNorm,
  bceWithLogits,
  CosineAnnealingLR,
  conv,
  convTranspose,
  crossEntropy,
  gelu,
  groupNorm,
  interpolate,
  l1Loss,
  layerNorm,
  leakyRelu,
  linear,
  loadSafetensors,
  logSoftmax,
  type Module,
  maxPool,
  mseLoss,
  nllLoss,
  noGrad,
  OneCycleLR,
  Parameter,
  pad,
  pixelShuffle,
  SGD,
  StepLR,
  silu,
  softmax,
  Variable,
} from '../src/index';
import { GOLDEN_MODELS, plainCnn } from './golden-models';

const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, '../../../tooling/goldens/layers');
const { cases } = loadGoldens('layers');
const close = { atol: 1e-4, rtol: 1e-4 };

function lossOf(kind: string, output: Variable, target: Tensor): Variable {
  switch (kind) {
    case 'crossEntropySmooth':
      return crossEntropy(output, target, { labelSmoothing: 0.1 });
    case 'crossEntropy':
      return crossEntropy(output, target);
    case 'nll':
      return nllLoss(output, target);
    case 'mse':
      return mseLoss(output, target);
    case 'l1':
      return l1Loss(output, target);
    case 'bce':
      return bceWithLogits(output, target);
    default:
      throw new Error(`unknown loss ${kind}`);
  }
}

function loaded(c: GoldenCase): Module {
  const model = GOLDEN_MODELS[c.name]!();
  const bytes = new Uint8Array(readFileSync(join(goldenDir, `${c.name}.safetensors`)));
  const report = model.loadStateDict(loadSafetensors(bytes));
  expect(report).toEqual({ missingKeys: [], unexpectedKeys: [] });
  return model;
}

function inputsOf(c: GoldenCase): Tensor[] {
  return (c.options.inputs as string[]).map((n) => c.tensors[`input.${n}`]!);
}

function trainSteps(c: GoldenCase, model: Module, optimizer: { zeroGrad(): void; step(): void }): void {
  for (let i = 0; i < 3; i++) {
    optimizer.zeroGrad();
    lossOf(c.options.loss as string, model.forward(...inputsOf(c)), c.tensors.target!).backward();
    optimizer.step();
  }
}

function expectState(c: GoldenCase, model: Module, prefix: string): void {
  const state = model.stateDict();
  const keys = Object.keys(c.tensors).filter((k) => k.startsWith(`${prefix}.`));
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) {
    assertClose(state[key.slice(prefix.length + 1)]!, c.tensors[key]!, {
      ...close,
      label: `${c.name} ${key}`,
    });
  }
}

const modelCases = cases.filter((c) => c.op === 'model');

describe('layers goldens: 12 models against PyTorch', () => {
  it('has the 12 models', () => {
    expect(modelCases.map((c) => c.name).sort()).toEqual(Object.keys(GOLDEN_MODELS).sort());
  });

  for (const c of modelCases) {
    describe(c.name, () => {
      it('eval forward', () => {
        const model = loaded(c).eval();
        const y = noGrad(() => model.forward(...inputsOf(c)));
        assertClose(y.data, c.tensors.outputEval!, { ...close, label: `${c.name} outputEval` });
      });

      it('train forward, loss, every gradient and the running statistics', () => {
        const model = loaded(c).train();
        const y = model.forward(...inputsOf(c));
        assertClose(y.data, c.tensors.output!, { ...close, label: `${c.name} output` });
        const loss = lossOf(c.options.loss as string, y, c.tensors.target!);
        assertClose(loss.data.reshape([1]), c.tensors.loss!, { ...close, label: `${c.name} loss` });
        loss.backward();
        const params = model.namedParameters();
        const gradKeys = Object.keys(c.tensors).filter((k) => k.startsWith('grad.'));
        expect(params.map(([k]) => `grad.${k}`).sort()).toEqual(gradKeys.sort());
        for (const [key, p] of params) {
          assertClose(p.grad!, c.tensors[`grad.${key}`]!, { ...close, label: `${c.name} grad.${key}` });
        }
        const state = model.stateDict();
        for (const key of Object.keys(c.tensors).filter((k) => k.startsWith('buffer.'))) {
          assertClose(state[key.slice(7)]!, c.tensors[key]!, { ...close, label: `${c.name} ${key}` });
        }
      });

      it('3 steps of SGD with momentum', () => {
        const model = loaded(c).train();
        trainSteps(c, model, new SGD(model.parameters(), c.options.sgd as { lr: number }));
        expectState(c, model, 'sgd');
      });

      it('3 steps of AdamW', () => {
        const model = loaded(c).train();
        trainSteps(c, model, new AdamW(model.parameters(), c.options.adamw as { lr: number }));
        expectState(c, model, 'adamw');
      });
    });
  }
});

describe('layers goldens: optimizers step by step', () => {
  for (const c of cases.filter((k) => k.op === 'optimizer')) {
    it(c.name, () => {
      const { optimizer, ...options } = c.options as { optimizer: string } & Record<string, unknown>;
      const p = new Parameter(c.tensors.start!.clone());
      const make = {
        SGD: () => new SGD([p], options as { lr: number }),
        Adam: () => new Adam([p], options),
        AdamW: () => new AdamW([p], options),
      };
      const opt = make[optimizer as keyof typeof make]();
      const grads = c.tensors.grads!;
      const params = c.tensors.params!;
      for (let i = 0; i < grads.shape[0]!; i++) {
        p.grad = grads
          .slice(0, i, i + 1)
          .squeeze(0)
          .contiguous();
        opt.step();
        assertClose(p.data, params.slice(0, i, i + 1).squeeze(0), {
          ...close,
          label: `${c.name} step ${i + 1}`,
        });
      }
    });
  }
});

describe('layers goldens: learning-rate schedules', () => {
  for (const c of cases.filter((k) => k.op === 'schedule')) {
    it(c.name, () => {
      const { scheduler, optimizer, lr, ...options } = c.options as Record<string, unknown>;
      const p = new Parameter(c.tensors.lr!.slice(0, 0, 1).contiguous());
      const opt =
        optimizer === 'SGD'
          ? new SGD([p], { lr: lr as number, momentum: 0.9 })
          : new Adam([p], { lr: lr as number });
      const sched =
        scheduler === 'StepLR'
          ? new StepLR(opt, options as { stepSize: number })
          : scheduler === 'CosineAnnealingLR'
            ? new CosineAnnealingLR(opt, options as { tMax: number })
            : new OneCycleLR(opt, options as { maxLr: number; totalSteps: number });
      const lrs: number[] = [];
      const momenta: number[] = [];
      for (let i = 0; i < c.tensors.lr!.size; i++) {
        const h = opt.paramGroups[0]!.hyper as { lr: number; momentum?: number; betas?: [number, number] };
        lrs.push(h.lr);
        momenta.push(h.betas ? h.betas[0] : h.momentum!);
        sched.step();
      }
      assertClose(lrs, c.tensors.lr!, { atol: 1e-7, rtol: 1e-6, label: `${c.name} lr` });
      assertClose(momenta, c.tensors.momentum!, { atol: 1e-7, rtol: 1e-6, label: `${c.name} momentum` });
    });
  }
});

/** Runs one single-op case through the functional op its `fn` names, inputs as Variables. */
function runOp(c: GoldenCase, inputs: Variable[]): Variable {
  const { fn, ...o } = c.options as { fn: string } & Record<string, unknown>;
  const [x, w, b] = inputs as [Variable, Variable | undefined, Variable | undefined];
  const dims = o.dims as 1 | 2 | 3;
  switch (fn) {
    case 'maxPool':
      return maxPool(x, dims, o as never);
    case 'avgPool':
      return avgPool(x, dims, o as never);
    case 'adaptiveAvgPool':
      return adaptiveAvgPool(x, dims, o.outputSize as number);
    case 'interpolate':
      return interpolate(x, o as never);
    case 'softmax':
      return softmax(x, o.dim as number);
    case 'logSoftmax':
      return logSoftmax(x, o.dim as number);
    case 'gelu':
      return gelu(x, (o.approximate as 'tanh' | undefined) ?? 'none');
    case 'silu':
      return silu(x);
    case 'leakyRelu':
      return leakyRelu(x, o.negativeSlope as number);
    case 'groupNorm':
      return groupNorm(x, o.numGroups as number, w!, b!);
    case 'layerNorm':
      return layerNorm(x, o.normalizedShape as number[], w!, b!);
    case 'batchNorm':
      return batchNorm(x, { weight: w!, bias: b!, training: true });
    case 'pixelShuffle':
      return pixelShuffle(x, o.upscaleFactor as number);
    case 'pad':
      return pad(x, o.amounts as number[], o.value as number);
    case 'convTranspose':
      return convTranspose(x, w!, b!, o as never);
    case 'conv':
      return conv(x, w!, b!, o as never);
    case 'linear':
      return linear(x, w!, b!);
    case 'crossEntropy':
      return crossEntropy(x, c.tensors.target!, o as never);
    case 'bceWithLogits':
      return bceWithLogits(x, c.tensors.target!, o as never);
    default:
      throw new Error(`unknown op ${fn}`);
  }
}

describe('layers goldens: single ops against PyTorch, forward and backward', () => {
  for (const c of cases.filter((k) => k.op === 'functional')) {
    it(c.name, () => {
      const inputs = Object.keys(c.tensors)
        .filter((k) => /^input\d$/.test(k))
        .sort()
        .map((k) => new Variable(c.tensors[k]!.clone(), true));
      const y = runOp(c, inputs);
      assertClose(y.data.reshape(c.tensors.output!.shape), c.tensors.output!, {
        ...close,
        label: `${c.name} output`,
      });
      y.backward(c.tensors.gradOutput!.reshape(y.shape));
      inputs.forEach((v, i) => {
        assertClose(v.grad!, c.tensors[`grad${i}`]!, { ...close, label: `${c.name} grad${i}` });
      });
    });
  }
});

describe('the convkit-saved checkpoint that the generator loads into PyTorch', () => {
  it('reloads into the plain CNN and gives the outputs recorded beside it', () => {
    const bytes = new Uint8Array(readFileSync(join(goldenDir, 'convkit-plain-cnn.safetensors')));
    const recorded = JSON.parse(readFileSync(join(goldenDir, 'convkit-plain-cnn.json'), 'utf8')) as Record<
      'input' | 'output',
      { shape: number[]; data: number[] }
    >;
    const model = plainCnn();
    expect(model.loadStateDict(loadSafetensors(bytes))).toEqual({ missingKeys: [], unexpectedKeys: [] });
    model.eval();
    const y = noGrad(() => model.forward(tensor(recorded.input.data, recorded.input.shape)));
    assertClose(y.data, tensor(recorded.output.data, recorded.output.shape), close);
  });
});
