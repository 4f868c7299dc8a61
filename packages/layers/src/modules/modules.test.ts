import { summary } from '@convkit/analysis';
import { ArgumentError, createRng, ShapeError, tensor, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../autograd/grad-mode';
import { manualSeed } from '../init/global-rng';
import { GELU, LeakyReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Tanh } from './activations';
import { BasicBlock, InvertedResidual, SeparableConv2d } from './blocks';
import { ModuleDict, ModuleList, Sequential } from './containers';
import { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './conv';
import { DeformConv2d } from './deform-conv2d';
import { BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss } from './losses';
import { Module } from './module';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm } from './normalization';
import {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
} from './pooling';
import { Dropout, Embedding, Flatten, Identity, Linear, PixelShuffle, Upsample } from './simple';

const rng = createRng(5);

describe('PyTorch defaults, parameters and initialisation', () => {
  it('Conv2d: weight [out, in/groups, k, k] within 1/sqrt(fan_in), bias within the same bound', () => {
    manualSeed(1);
    const c = new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2 });
    expect(c.weight.data.shape).toEqual([6, 2, 3, 3]);
    const bound = 1 / Math.sqrt(2 * 9);
    const w = c.weight.data.toFloat32Array();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(Math.max(...c.bias!.data.toFloat32Array().map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Object.keys(c.stateDict())).toEqual(['weight', 'bias']);
    expect(c.stride).toEqual([1, 1]);
    expect(c.padding).toBe(0);
  });
  it('transposed convs: weight [in, out/groups, k...], fan_in from dim 1', () => {
    const t = new ConvTranspose2d({ inChannels: 4, outChannels: 6, kernelSize: 2, groups: 2, bias: false });
    expect(t.weight.data.shape).toEqual([4, 3, 2, 2]);
    expect(t.bias).toBeNull();
    expect(Object.keys(t.stateDict())).toEqual(['weight']);
    expect(new ConvTranspose1d({ inChannels: 2, outChannels: 3, kernelSize: 3 }).weight.data.shape).toEqual([
      2, 3, 3,
    ]);
    expect(
      new ConvTranspose3d({ inChannels: 2, outChannels: 3, kernelSize: [1, 2, 3] }).weight.data.shape,
    ).toEqual([2, 3, 1, 2, 3]);
    expect(new Conv1d({ inChannels: 2, outChannels: 3, kernelSize: 5 }).weight.data.shape).toEqual([3, 2, 5]);
    expect(new Conv3d({ inChannels: 2, outChannels: 3, kernelSize: 2 }).weight.data.shape).toEqual([
      3, 2, 2, 2, 2,
    ]);
  });
  it('BatchNorm: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0-d', () => {
    const bn = new BatchNorm2d({ numFeatures: 3 });
    const s = bn.stateDict();
    expect(Object.keys(s)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect([...s.running_var!.toFloat32Array()]).toEqual([1, 1, 1]);
    expect(s.num_batches_tracked!.shape).toEqual([]);
    bn.forward(rng.normalTensor([4, 3, 2, 2]));
    expect(bn.stateDict().num_batches_tracked!.toFloat32Array()[0]).toBe(1);
    bn.eval().forward(rng.normalTensor([4, 3, 2, 2]));
    expect(bn.stateDict().num_batches_tracked!.toFloat32Array()[0]).toBe(1);
    const noStats = new BatchNorm1d({ numFeatures: 2, affine: false, trackRunningStats: false });
    expect(Object.keys(noStats.stateDict())).toEqual([]);
    expect(
      noStats
        .eval()
        .forward(tensor([1, 2, 3, 6], [2, 2]))
        .data.toFloat32Array()[0],
    ).toBeCloseTo(-1, 3);
  });
  it('BatchNorm momentum null is the cumulative average of the batch statistics', () => {
    const bn = new BatchNorm1d({ numFeatures: 1, momentum: null });
    bn.forward(tensor([0, 2], [2, 1]));
    bn.forward(tensor([4, 6], [2, 1]));
    expect(bn.getBuffer('running_mean')!.toFloat32Array()[0]).toBeCloseTo(3, 6);
    expect(bn.getBuffer('running_var')!.toFloat32Array()[0]).toBeCloseTo(2, 6);
  });
  it('Linear, Embedding, GroupNorm, LayerNorm parameters', () => {
    const l = new Linear({ inFeatures: 16, outFeatures: 3 });
    expect(l.weight.data.shape).toEqual([3, 16]);
    expect(Math.max(...l.weight.data.toFloat32Array().map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(new Embedding({ numEmbeddings: 5, embeddingDim: 2 }).forward(tensor([4, 0], [2])).shape).toEqual([
      2, 2,
    ]);
    expect(Object.keys(new GroupNorm({ numGroups: 2, numChannels: 4 }).stateDict())).toEqual([
      'weight',
      'bias',
    ]);
    expect(new LayerNorm({ normalizedShape: [2, 3] }).weight!.data.shape).toEqual([2, 3]);
    expect(new LayerNorm({ normalizedShape: 4, elementwiseAffine: false }).weight).toBeNull();
  });
});

describe('state dicts with PyTorch keys', () => {
  class Net extends Module {
    readonly typeName = 'Net';
    features = this.registerModule(
      'features',
      new Sequential(
        new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3 }),
        new ReLU(),
        new MaxPool2d({ kernelSize: 2 }),
        new BatchNorm2d({ numFeatures: 2 }),
      ),
    );
    head = this.registerModule('head', new ModuleDict({ fc: new Linear({ inFeatures: 2, outFeatures: 1 }) }));
    forward(x: Parameters<Module['forward']>[0]) {
      return this.head.get('fc').forward(this.features.forward(x));
    }
  }
  it('nests keys as features.3.weight, head.fc.bias', () => {
    expect(Object.keys(new Net().stateDict())).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.3.weight',
      'features.3.bias',
      'features.3.running_mean',
      'features.3.running_var',
      'features.3.num_batches_tracked',
      'head.fc.weight',
      'head.fc.bias',
    ]);
    expect(new Net().namedParameters().map(([k]) => k)).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.3.weight',
      'features.3.bias',
      'head.fc.weight',
      'head.fc.bias',
    ]);
    expect(new Net().namedModules().map(([k]) => k)).toEqual([
      '',
      'features',
      'features.0',
      'features.1',
      'features.2',
      'features.3',
      'head',
      'head.fc',
    ]);
  });
  it('blocks use torchvision names', () => {
    expect(
      Object.keys(new BasicBlock({ inChannels: 2, outChannels: 4, stride: 2 }).stateDict()).filter((k) =>
        k.endsWith('weight'),
      ),
    ).toEqual([
      'conv1.weight',
      'bn1.weight',
      'conv2.weight',
      'bn2.weight',
      'downsample.0.weight',
      'downsample.1.weight',
    ]);
    expect(new BasicBlock({ inChannels: 4, outChannels: 4 }).downsample).toBeNull();
    expect(
      Object.keys(
        new InvertedResidual({ inChannels: 4, outChannels: 4, stride: 1, expandRatio: 2 }).stateDict(),
      )[0],
    ).toBe('conv.0.0.weight');
    expect(
      Object.keys(new SeparableConv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 }).stateDict()),
    ).toEqual(['depthwise.weight', 'pointwise.weight', 'pointwise.bias']);
  });
  it('loadStateDict: strict reports missing and unexpected keys; non-strict loads the rest', () => {
    const a = new Net();
    const b = new Net();
    const record = { ...a.stateDict() };
    delete record['head.fc.bias'];
    record.extra = tensor([1], [1]);
    expect(() => b.loadStateDict(record)).toThrow(/missing keys: "head.fc.bias"; unexpected keys: "extra"/);
    const report = b.loadStateDict(record, { strict: false });
    expect(report).toEqual({ missingKeys: ['head.fc.bias'], unexpectedKeys: ['extra'] });
    expect([...b.stateDict()['features.0.weight']!.toFloat32Array()]).toEqual([
      ...a.stateDict()['features.0.weight']!.toFloat32Array(),
    ]);
  });
  it('loadStateDict: a size mismatch names the key; bad records are refused', () => {
    const n = new Net();
    expect(() => n.loadStateDict({ ...n.stateDict(), 'head.fc.weight': tensor([1, 2, 3], [1, 3]) })).toThrow(
      ShapeError,
    );
    expect(() => n.loadStateDict({ ...n.stateDict(), 'head.fc.weight': tensor([1, 2, 3], [1, 3]) })).toThrow(
      /size mismatch for head.fc.weight/,
    );
    expect(() => n.loadStateDict(null as never)).toThrow(ArgumentError);
    expect(() => n.loadStateDict({ ...n.stateDict(), 'head.fc.weight': [1, 2] as never })).toThrow(
      /must be a Tensor/,
    );
  });
  it('train/eval reach every module; zeroGrad clears gradients', () => {
    const n = new Net();
    n.eval();
    expect(n.namedModules().every(([, m]) => !m.training)).toBe(true);
    n.train();
    expect(n.features.at(3).training).toBe(true);
    expect(() => n.train('yes' as never)).toThrow(ArgumentError);
    const y = n.forward(rng.normalTensor([2, 1, 6, 6]));
    y.backward(tensor([1, 1, 1, 1, 1, 1, 1, 1], y.shape));
    expect(n.parameters().every((p) => p.grad !== null)).toBe(true);
    n.zeroGrad();
    expect(n.parameters().every((p) => p.grad === null)).toBe(true);
    expect(n.numParameters()).toBe(2 * 9 + 2 + 2 + 2 + 2 + 1);
    expect(n.toString()).toContain('(features): Sequential(');
  });
  it('registerModule / registerParameter refuse bad names and values', () => {
    const n = new Net();
    expect(() => n.registerModule('a.b', new ReLU())).toThrow(/without '\.'/);
    expect(() => n.registerModule('x', {} as never)).toThrow(/must be a Module/);
    expect(() => n.setBuffer('nope', tensor([1], [1]))).toThrow(/no buffer named 'nope'/);
  });
});

describe('module options are read the one convkit way', () => {
  const cases: [string, () => unknown, RegExp, (typeof ArgumentError | typeof ShapeError)?][] = [
    [
      'unknown key',
      () => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, padding_mode: 'zeros' } as never),
      /unknown option 'padding_mode'.*did you mean 'paddingMode'/,
    ],
    [
      'required',
      () => new Conv2d({ inChannels: 1 } as never),
      /inChannels, outChannels and kernelSize are required/,
    ],
    ['bad kernel', () => new Conv1d({ inChannels: 1, outChannels: 1, kernelSize: 0 }), /kernelSize must be/],
    [
      'groups',
      () => new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1, groups: 2 }),
      /groups=2 must divide/,
      ShapeError,
    ],
    [
      'padding mode on transposed',
      () =>
        new ConvTranspose2d({
          inChannels: 1,
          outChannels: 1,
          kernelSize: 2,
          paddingMode: 'reflect' as never,
        }),
      /paddingMode must be one of 'zeros'/,
    ],
    [
      'outputPadding too big',
      () =>
        new ConvTranspose2d({ inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, outputPadding: 2 }),
      /outputPadding/,
    ],
    [
      'bias type',
      () => new Linear({ inFeatures: 2, outFeatures: 2, bias: 'no' as never }),
      /bias must be true or false/,
    ],
    ['linear required', () => new Linear({ inFeatures: 2 } as never), /required/],
    ['bn momentum', () => new BatchNorm2d({ numFeatures: 2, momentum: 2 }), /momentum must be/],
    ['bn required', () => new BatchNorm3d({} as never), /numFeatures is required/],
    ['groupnorm divides', () => new GroupNorm({ numGroups: 3, numChannels: 4 }), /divisible/],
    ['layernorm', () => new LayerNorm({ normalizedShape: [0] }), /normalizedShape/],
    ['leaky slope', () => new LeakyReLU({ negativeSlope: 'x' as never }), /negativeSlope must be/],
    ['gelu', () => new GELU({ approximate: 'erf' as never }), /approximate must be 'none' or 'tanh'/],
    ['relu inplace', () => new ReLU({ inplace: 1 as never }), /inplace must be true or false/],
    ['softmax dim', () => new Softmax({ dim: 1.5 }), /dim must be/],
    ['pool kernel', () => new MaxPool2d({} as never), /kernelSize is required/],
    [
      'pool return indices',
      () => new MaxPool1d({ kernelSize: 2, returnIndices: true } as never),
      /returnIndices is not supported/,
    ],
    ['avg divisor', () => new AvgPool2d({ kernelSize: 2, divisorOverride: 0 }), /divisorOverride must be/],
    ['adaptive size', () => new AdaptiveAvgPool2d({ outputSize: [1] }), /outputSize must be/],
    ['dropout p', () => new Dropout({ p: 1.5 }), /p must be/],
    ['upsample both', () => new Upsample({ size: 4, scaleFactor: 2 }), /exactly one of size and scaleFactor/],
    [
      'upsample corners',
      () => new Upsample({ scaleFactor: 2, alignCorners: true }),
      /alignCorners applies to mode 'bilinear'/,
    ],
    ['pixel shuffle', () => new PixelShuffle({ upscaleFactor: 0 }), /upscaleFactor must be/],
    ['embedding', () => new Embedding({ numEmbeddings: 3 } as never), /required/],
    [
      'deform groups',
      () => new DeformConv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2 }),
      /groups=2 must divide/,
      ShapeError,
    ],
    [
      'separable',
      () => new SeparableConv2d({ inChannels: 2, outChannels: 2, kernelSize: 3, depthMultiplier: 0 }),
      /depthMultiplier must be/,
    ],
    ['basic block', () => new BasicBlock({ inChannels: 2 } as never), /required/],
    [
      'inverted residual',
      () => new InvertedResidual({ inChannels: 2, outChannels: 2, stride: 3 as never, expandRatio: 1 }),
      /stride must be 1 or 2/,
    ],
    ['loss reduction', () => new MSELoss({ reduction: 'avg' as never }), /reduction must be one of/],
    ['loss smoothing', () => new CrossEntropyLoss({ labelSmoothing: 2 }), /labelSmoothing must be/],
    ['options object', () => new Flatten([1] as never), /options must be a plain object/],
  ];
  for (const [name, make, message, kind] of cases) {
    it(name, () => {
      expect(make).toThrow(kind ?? ArgumentError);
      expect(make).toThrow(message);
    });
  }
});

describe('forward passes check their inputs', () => {
  it('conv modules name the expected input', () => {
    const c = new Conv2d({ inChannels: 3, outChannels: 2, kernelSize: 3 });
    expect(() => c.forward(rng.normalTensor([1, 2, 5, 5]))).toThrow(
      /Conv2d: input must be \[N, 3, H, W\], got \[1, 2, 5, 5\]/,
    );
    expect(() => c.forward(3 as never)).toThrow(/input must be a Tensor/);
    expect(() => new BatchNorm2d({ numFeatures: 3 }).forward(rng.normalTensor([2, 3, 4]))).toThrow(
      ShapeError,
    );
    expect(() => new GroupNorm({ numGroups: 1, numChannels: 3 }).forward(rng.normalTensor([2, 4]))).toThrow(
      ShapeError,
    );
    expect(() =>
      new DeformConv2d({ inChannels: 2, outChannels: 2, kernelSize: 1 }).forward(
        rng.normalTensor([1, 3, 2, 2]),
        rng.normalTensor([1, 2, 2, 2]),
      ),
    ).toThrow(ShapeError);
  });
  it('ConvTranspose2d forward(x, outputSize) picks the output padding, and refuses sizes out of reach', () => {
    const t = new ConvTranspose2d({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: 1 });
    const x = rng.normalTensor([1, 1, 4, 4]);
    expect(t.forward(x).shape).toEqual([1, 1, 7, 7]);
    expect(t.forward(x, [8, 8]).shape).toEqual([1, 1, 8, 8]);
    expect(t.forward(x, [1, 1, 8, 7]).shape).toEqual([1, 1, 8, 7]);
    expect(() => t.forward(x, [9, 9])).toThrow(/not between \[7, 7\] and \[8, 8\]/);
    expect(() => t.forward(x, [8])).toThrow(ArgumentError);
  });
  it('activations and simple layers', () => {
    const x = tensor([-1, 0.5, 7, -3], [2, 2]);
    expect([...new ReLU().forward(x).data.toFloat32Array()]).toEqual([0, 0.5, 7, 0]);
    expect([...new ReLU6().forward(x).data.toFloat32Array()]).toEqual([0, 0.5, 6, 0]);
    expect(new LeakyReLU({ negativeSlope: 0.5 }).forward(x).data.toFloat32Array()[0]).toBe(-0.5);
    expect(new Sigmoid().forward(x).data.toFloat32Array()[1]).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
    expect(new Tanh().forward(x).data.toFloat32Array()[0]).toBeCloseTo(Math.tanh(-1), 6);
    expect(new SiLU().forward(x).data.toFloat32Array()[1]).toBeCloseTo(0.5 / (1 + Math.exp(-0.5)), 6);
    expect(new GELU().forward(x).data.toFloat32Array()[0]).toBeCloseTo(-0.15865525, 6);
    const sm = new Softmax({ dim: 1 }).forward(x).data.toFloat32Array();
    expect(sm[0]! + sm[1]!).toBeCloseTo(1, 6);
    expect(new Identity().forward(x).data).toBe(x);
    expect(new Flatten({ startDim: 0 }).forward(x).shape).toEqual([4]);
    expect(new PixelShuffle({ upscaleFactor: 2 }).forward(rng.normalTensor([1, 4, 2, 3])).shape).toEqual([
      1, 1, 4, 6,
    ]);
    expect(
      new Upsample({ size: [3, 5], mode: 'bilinear' }).forward(rng.normalTensor([1, 1, 2, 2])).shape,
    ).toEqual([1, 1, 3, 5]);
    expect(() => new Embedding({ numEmbeddings: 2, embeddingDim: 2 }).forward([1] as never)).toThrow(
      ArgumentError,
    );
  });
  it('pooling modules', () => {
    const x = rng.normalTensor([1, 2, 7]);
    expect(new MaxPool1d({ kernelSize: 3, stride: 2, ceilMode: true }).forward(x).shape).toEqual([1, 2, 3]);
    expect(new AvgPool1d({ kernelSize: 2 }).forward(x).shape).toEqual([1, 2, 3]);
    expect(new AdaptiveAvgPool1d({ outputSize: 4 }).forward(x).shape).toEqual([1, 2, 4]);
    const v = rng.normalTensor([1, 1, 4, 4, 4]);
    expect(new MaxPool3d({ kernelSize: 2 }).forward(v).shape).toEqual([1, 1, 2, 2, 2]);
    expect(new AvgPool3d({ kernelSize: [1, 2, 2] }).forward(v).shape).toEqual([1, 1, 4, 2, 2]);
    expect(new AdaptiveAvgPool3d({ outputSize: [1, null, 2] }).forward(v).shape).toEqual([1, 1, 1, 4, 2]);
    expect(() =>
      new MaxPool2d({ kernelSize: 2, padding: 2 }).forward(rng.normalTensor([1, 1, 4, 4])),
    ).toThrow(/padding 2 must be at most half/);
    expect(() => new MaxPool2d({ kernelSize: 2 }).forward(rng.normalTensor([1, 4, 4]))).toThrow(ShapeError);
  });
  it('dropout: identity in eval, zeros and 1/(1-p) scaling in training', () => {
    const d = new Dropout({ p: 0.25 });
    const x = tensor(new Array(4000).fill(1), [4000]);
    const y = d.forward(x).data.toFloat32Array();
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    expect(kept.length / 4000).toBeGreaterThan(0.72);
    expect(kept.length / 4000).toBeLessThan(0.78);
    expect(d.eval().forward(x).data).toBe(x);
  });
  it('loss modules', () => {
    const logits = tensor([2, 0, 0, 0, 3, 0], [2, 3]);
    const target = tensor([0, 1], [2]);
    expect(new CrossEntropyLoss().forward(logits, target).item()).toBeCloseTo(
      -Math.log(Math.exp(2) / (Math.exp(2) + 2)) / 2 - Math.log(Math.exp(3) / (Math.exp(3) + 2)) / 2,
      5,
    );
    expect(new NLLLoss({ reduction: 'sum' }).forward(logits, target).item()).toBe(-5);
    expect(new MSELoss().forward(tensor([1, 3], [2]), tensor([0, 0], [2])).item()).toBe(5);
    expect(
      new L1Loss({ reduction: 'none' }).forward(tensor([1, -3], [2]), tensor([0, 0], [2])).shape,
    ).toEqual([2]);
    expect(new BCEWithLogitsLoss().forward(tensor([0], [1]), tensor([1], [1])).item()).toBeCloseTo(
      Math.log(2),
      6,
    );
  });
});

describe('containers', () => {
  it('Sequential: children 0, 1, ...; append, at, length', () => {
    const s = new Sequential(new ReLU(), new Identity());
    s.append(new Tanh());
    expect(s.length).toBe(3);
    expect(s.at(2).typeName).toBe('Tanh');
    expect(() => s.at(3)).toThrow(/index 3 is outside \[0, 2\]/);
    expect(() => new Sequential({} as never)).toThrow(/module 0 must be a Module/);
  });
  it('ModuleList and ModuleDict', () => {
    const l = new ModuleList([new ReLU()]).append(new Tanh());
    expect(l.length).toBe(2);
    expect(l.at(1).typeName).toBe('Tanh');
    expect(() => l.at(5)).toThrow(ArgumentError);
    expect(() => l.forward()).toThrow(/has no forward/);
    expect(() => new ModuleList('x' as never)).toThrow(ArgumentError);
    const d = new ModuleDict({ a: new ReLU() });
    d.set('b', new Tanh());
    expect(d.keys()).toEqual(['a', 'b']);
    expect(d.get('b').typeName).toBe('Tanh');
    expect(() => d.get('c')).toThrow(/no module named 'c'/);
    expect(() => d.forward()).toThrow(ArgumentError);
    expect(() => new ModuleDict({ a: 1 as never })).toThrow(/'a' must be a Module/);
  });
});

describe('summary(model.toLayerSpecs(), inputShape) from @convkit/analysis', () => {
  it('reports a layers model with PyTorch paths, shapes and parameter counts', () => {
    const model = new Sequential(
      new Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
      new BatchNorm2d({ numFeatures: 8 }),
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
      new SeparableConv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1 }),
      new InvertedResidual({ inChannels: 16, outChannels: 16, stride: 1, expandRatio: 2 }),
      new AdaptiveAvgPool2d({ outputSize: 1 }),
      new Flatten(),
      new Linear({ inFeatures: 16, outFeatures: 10 }),
    );
    const report = JSON.parse(summary(model.toLayerSpecs(), [2, 1, 28, 28], { format: 'json' }));
    expect(report.outputShape).toEqual([2, 10]);
    expect(report.totals.params).toBe(model.numParameters());
    const paths = report.layers.map((l: { path: string }) => l.path);
    expect(paths).toContain('4.depthwise');
    expect(paths).toContain('5.conv.0.0');
    const y = noGrad(() => model.eval().forward(rng.normalTensor([2, 1, 28, 28])));
    expect(y.shape).toEqual(report.outputShape);
    expect(summary(model.toLayerSpecs(), [1, 1, 28, 28])).toContain('0 (Conv2d)');
  });
  it('ResNet basic blocks as residual specs with torchvision paths', () => {
    const model = new Sequential(
      new BasicBlock({ inChannels: 4, outChannels: 8, stride: 2 }),
      new BasicBlock({ inChannels: 8, outChannels: 8 }),
    );
    const report = JSON.parse(summary(model.toLayerSpecs(), [1, 4, 8, 8], { format: 'json' }));
    expect(report.totals.params).toBe(model.numParameters());
    expect(report.outputShape).toEqual([1, 8, 4, 4]);
    const paths = report.layers.map((l: { path: string }) => l.path);
    expect(paths).toContain('0.conv1');
    expect(paths).toContain('0.downsample.0');
    expect(paths).toContain('1.bn2');
  });
  it('a module without a spec form says so', () => {
    expect(() => new Identity().toLayerSpecs()).not.toThrow();
    expect(() => new PixelShuffle({ upscaleFactor: 2 }).toLayerSpec()).toThrow(UnsupportedError);
    expect(() => new Embedding({ numEmbeddings: 2, embeddingDim: 2 }).toLayerSpecs()).toThrow(
      /Embedding has no @convkit\/analysis layer spec/,
    );
  });
});
