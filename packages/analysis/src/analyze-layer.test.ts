import { ArgumentError, ShapeError, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { analyzeLayer } from './analyze-layer';
import type { LayerSpec } from './layer-spec';

describe('analyzeLayer: convolutions', () => {
  it('Conv1d(256 -> 128, k=3) on (32, 256, 15) gives (32, 128, 13) with weight [128, 256, 3] and bias [128]', () => {
    const a = analyzeLayer(
      { type: 'Conv1d', inChannels: 256, outChannels: 128, kernelSize: 3 },
      [32, 256, 15],
    );
    expect(a.outputShape).toEqual([32, 128, 13]);
    expect(a.params).toBe(256 * 3 * 128 + 128);
    expect(a.params).toBe(98_432);
    expect(a.macs).toBe(128 * 13 * 256 * 3);
    expect(a.flops).toBe(2 * a.macs);
    expect(a.activationBytes).toBe(32 * 128 * 13 * 4);
    expect(a.paramBytes).toBe(98_432 * 4);
    expect(a.buffers).toBe(0);
  });

  it('Conv2d(1, 1, 3, dilation=2) on 5x5 gives 1x1 where dilation=1 gives 3x3', () => {
    const spec = { type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 3 } as const;
    expect(analyzeLayer({ ...spec, dilation: 2 }, [1, 1, 5, 5]).outputShape).toEqual([1, 1, 1, 1]);
    expect(analyzeLayer(spec, [1, 1, 5, 5]).outputShape).toEqual([1, 1, 3, 3]);
    // The parameter count does not change with the rate.
    expect(analyzeLayer({ ...spec, dilation: 2 }, [1, 1, 5, 5]).params).toBe(10);
  });

  it('counts grouped and depthwise weights C_out * C_in/groups * prod(k), bias optional', () => {
    const grouped = analyzeLayer(
      { type: 'Conv2d', inChannels: 96, outChannels: 256, kernelSize: 5, padding: 2, groups: 2 },
      [1, 96, 27, 27],
    );
    expect(grouped.outputShape).toEqual([1, 256, 27, 27]);
    expect(grouped.params).toBe(256 * 48 * 25 + 256);
    expect(grouped.macs).toBe(256 * 27 * 27 * 48 * 25);
    const depthwise = analyzeLayer(
      {
        type: 'Conv2d',
        inChannels: 32,
        outChannels: 32,
        kernelSize: 3,
        stride: 2,
        padding: 1,
        groups: 32,
        bias: false,
      },
      [1, 32, 112, 112],
    );
    expect(depthwise.outputShape).toEqual([1, 32, 56, 56]);
    expect(depthwise.params).toBe(32 * 9);
    expect(depthwise.macs).toBe(32 * 56 * 56 * 9);
  });

  it("takes per-dim sizes, [before, after] pairs, 'same' and 'valid'", () => {
    const conv3d = analyzeLayer(
      {
        type: 'Conv3d',
        inChannels: 2,
        outChannels: 4,
        kernelSize: [1, 3, 3],
        stride: [1, 2, 2],
        padding: [0, 1, 1],
      },
      [1, 2, 8, 12, 12],
    );
    expect(conv3d.outputShape).toEqual([1, 4, 8, 6, 6]);
    expect(conv3d.params).toBe(4 * 2 * 9 + 4);
    const pairs = analyzeLayer(
      {
        type: 'Conv2d',
        inChannels: 1,
        outChannels: 1,
        kernelSize: 3,
        padding: [
          [2, 0],
          [0, 1],
        ],
      },
      [1, 1, 5, 5],
    );
    expect(pairs.outputShape).toEqual([1, 1, 5, 4]);
    // 'same' is TensorFlow's SAME at any stride: ceil(in / stride).
    const same = analyzeLayer(
      { type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 4, stride: 2, padding: 'same' },
      [1, 1, 7, 7],
    );
    expect(same.outputShape).toEqual([1, 1, 4, 4]);
    // Accepted where PyTorch refuses: SAME_UPPER pads 2 before and 3 after (total (112 - 1) * 2 + 7 - 224 = 5).
    const stem = analyzeLayer(
      {
        type: 'Conv2d',
        inChannels: 3,
        outChannels: 64,
        kernelSize: 7,
        stride: 2,
        padding: 'same',
        bias: false,
      },
      [1, 3, 224, 224],
    );
    expect(stem.outputShape).toEqual([1, 64, 112, 112]);
    expect(stem.macs).toBe(64 * 112 * 112 * 3 * 49);
    // DeformConv2d takes every padding form of Conv2d (torchvision: numbers only).
    const deform = analyzeLayer(
      { type: 'DeformConv2d', inChannels: 2, outChannels: 2, kernelSize: 3, stride: 2, padding: 'same' },
      [1, 2, 7, 7],
    );
    expect(deform.outputShape).toEqual([1, 2, 4, 4]);
    const valid = analyzeLayer(
      { type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 4, padding: 'valid' },
      [1, 1, 7],
    );
    expect(valid.outputShape).toEqual([1, 1, 4]);
  });

  it('ConvTranspose2d(1 -> 3, k=2, s=1) maps 3x3 to 4x4, and with s=2 and 3 channels to 6x6', () => {
    const up = analyzeLayer(
      { type: 'ConvTranspose2d', inChannels: 1, outChannels: 3, kernelSize: 2 },
      [1, 1, 3, 3],
    );
    expect(up.outputShape).toEqual([1, 3, 4, 4]);
    // Weight [C_in, C_out/groups, kh, kw] = [1, 3, 2, 2], bias [3].
    expect(up.params).toBe(1 * 3 * 4 + 3);
    // C_in * prod(in) * C_out/groups * prod(k).
    expect(up.macs).toBe(1 * 9 * 3 * 4);
    const strided = analyzeLayer(
      { type: 'ConvTranspose2d', inChannels: 3, outChannels: 3, kernelSize: 2, stride: 2 },
      [1, 3, 3, 3],
    );
    expect(strided.outputShape).toEqual([1, 3, 6, 6]);
    expect(strided.macs).toBe(3 * 9 * 3 * 4);
  });

  it('ConvTranspose with outputPadding, dilation and groups', () => {
    const a = analyzeLayer(
      {
        type: 'ConvTranspose1d',
        inChannels: 8,
        outChannels: 4,
        kernelSize: 3,
        stride: 2,
        padding: 2,
        dilation: 2,
        outputPadding: 1,
        groups: 2,
        bias: false,
      },
      [1, 8, 96],
    );
    expect(a.outputShape).toEqual([1, 4, (96 - 1) * 2 - 4 + 5 + 1]);
    expect(a.params).toBe(8 * 2 * 3);
    expect(a.macs).toBe(8 * 96 * 2 * 3);
  });

  it('DeformConv2d reports the torchvision layer, the sampling and its offset (and mask) convs', () => {
    const spec = {
      type: 'DeformConv2d',
      inChannels: 8,
      outChannels: 16,
      kernelSize: 3,
      padding: 1,
      offsetGroups: 2,
    } as const;
    const v1 = analyzeLayer(spec, [1, 8, 12, 12]);
    expect(v1.outputShape).toEqual([1, 16, 12, 12]);
    const positions = 144;
    expect(v1.parts).toEqual([
      { name: 'deform', params: 16 * 8 * 9 + 16, macs: 16 * positions * 8 * 9 },
      { name: 'sampling', params: 0, macs: 8 * 9 * positions * 4 },
      // 2 * offsetGroups * kh * kw = 36 offset channels.
      { name: 'offset', params: 36 * 8 * 9 + 36, macs: 36 * positions * 8 * 9 },
    ]);
    expect(v1.params).toBe(1168 + 2628);
    expect(v1.macs).toBe(v1.parts!.reduce((s, p) => s + p.macs, 0));
    const v2 = analyzeLayer({ ...spec, mask: true, stride: 2, groups: 2 }, [1, 8, 12, 12]);
    expect(v2.outputShape).toEqual([1, 16, 6, 6]);
    expect(v2.parts!.map((p) => p.name)).toEqual(['deform', 'sampling', 'offset', 'mask']);
    expect(v2.parts![0]!.params).toBe(16 * 4 * 9 + 16);
    expect(v2.parts![1]!.macs).toBe(8 * 9 * 36 * 5);
    expect(v2.parts![3]!).toEqual({ name: 'mask', params: 18 * 8 * 9 + 18, macs: 18 * 36 * 8 * 9 });
    const alone = analyzeLayer({ ...spec, offsetConv: false, bias: false }, [1, 8, 12, 12]);
    expect(alone.params).toBe(16 * 8 * 9);
    expect(alone.parts!.map((p) => p.name)).toEqual(['deform', 'sampling']);
  });

  it('SeparableConv2d is a depthwise conv then a 1x1 conv', () => {
    const a = analyzeLayer(
      { type: 'SeparableConv2d', inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1 },
      [1, 32, 10, 10],
    );
    expect(a.outputShape).toEqual([1, 64, 10, 10]);
    // Depthwise 32 * 9 (no bias), pointwise 32 * 64 + 64.
    expect(a.params).toBe(288 + 2112);
    expect(a.macs).toBe(100 * 32 * 9 + 100 * 32 * 64);
    const multiplied = analyzeLayer(
      {
        type: 'SeparableConv1d',
        inChannels: 4,
        outChannels: 6,
        kernelSize: 3,
        depthMultiplier: 2,
        depthwiseBias: true,
        bias: false,
      },
      [1, 4, 9],
    );
    expect(multiplied.outputShape).toEqual([1, 6, 7]);
    expect(multiplied.params).toBe(8 * 3 + 8 + 8 * 6);
  });

  it('refuses bad convolutions with the layer and the field in the message', () => {
    const conv = { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3 } as const;
    expect(() => analyzeLayer(conv, [1, 4, 8, 8])).toThrow(ShapeError);
    expect(() => analyzeLayer(conv, [1, 4, 8, 8])).toThrow(
      'Conv2d: input has 4 channels but inChannels is 3',
    );
    expect(() => analyzeLayer({ ...conv, name: 'stem' }, [3, 8, 8])).toThrow(
      "Conv2d 'stem': input must be [N, C, H, W] (rank 4), got [3, 8, 8]; add the batch dimension",
    );
    expect(() => analyzeLayer({ ...conv, kernelSize: [3, 3, 3] }, [1, 3, 8, 8])).toThrow(
      'Conv2d: kernelSize must be a positive integer or 2 of them (one per spatial dim), got [3, 3, 3]',
    );
    expect(() => analyzeLayer({ ...conv, kernelSize: 9 }, [1, 3, 8, 8])).toThrow(
      'Conv2d: output would be empty in spatial dim 0',
    );
    expect(() => analyzeLayer({ ...conv, groups: 2 }, [1, 3, 8, 8])).toThrow(
      'Conv2d: groups=2 must divide the 3 input channels',
    );
    expect(() => analyzeLayer({ ...conv, padding: 3, paddingMode: 'reflect' }, [1, 3, 3, 3])).toThrow(
      "Conv2d: paddingMode 'reflect' needs padding < the input size",
    );
    const transposed = {
      type: 'ConvTranspose2d',
      inChannels: 3,
      outChannels: 3,
      kernelSize: 3,
      stride: 2,
    } as const;
    expect(() => analyzeLayer({ ...transposed, paddingMode: 'reflect' }, [1, 3, 4, 4])).toThrow(
      UnsupportedError,
    );
    expect(() => analyzeLayer({ ...transposed, padding: 'same' }, [1, 3, 4, 4])).toThrow(UnsupportedError);
    expect(() => analyzeLayer({ ...transposed, outputPadding: 2 }, [1, 3, 4, 4])).toThrow(
      'ConvTranspose2d: outputPadding 2 in spatial dim 0 must be smaller than max(stride, dilation) = 2',
    );
    expect(() =>
      analyzeLayer(
        { type: 'DeformConv2d', inChannels: 6, outChannels: 4, kernelSize: 3, offsetGroups: 4 },
        [1, 6, 5, 5],
      ),
    ).toThrow('DeformConv2d: 4 offset groups must divide the 6 input channels');
  });
});

describe('analyzeLayer: normalisation', () => {
  it('BatchNorm counts weight and bias as parameters and the running statistics as buffers', () => {
    const a = analyzeLayer({ type: 'BatchNorm2d', numFeatures: 16 }, [2, 16, 4, 4]);
    expect(a.outputShape).toEqual([2, 16, 4, 4]);
    expect(a.params).toBe(32);
    expect(a.buffers).toBe(33);
    expect(a.bufferBytes).toBe(2 * 16 * 4 + 8);
    expect(a.macs).toBe(16 * 16);
    const plain = analyzeLayer(
      { type: 'BatchNorm1d', numFeatures: 12, affine: false, trackRunningStats: false },
      [4, 12],
    );
    expect([plain.params, plain.buffers, plain.bufferBytes, plain.macs]).toEqual([0, 0, 0, 12]);
    expect(analyzeLayer({ type: 'BatchNorm1d', numFeatures: 12 }, [4, 12, 7]).macs).toBe(84);
    expect(analyzeLayer({ type: 'BatchNorm3d', numFeatures: 2 }, [1, 2, 3, 3, 3]).params).toBe(4);
  });

  it('GroupNorm and LayerNorm count their affine parameters and 3 MACs per element', () => {
    const gn = analyzeLayer({ type: 'GroupNorm', numGroups: 2, numChannels: 8 }, [2, 8, 5, 5]);
    expect([gn.params, gn.macs]).toEqual([16, 3 * 200]);
    const ln = analyzeLayer({ type: 'LayerNorm', normalizedShape: [5, 5] }, [2, 8, 5, 5]);
    expect([ln.params, ln.macs]).toEqual([50, 3 * 200]);
    expect(
      analyzeLayer({ type: 'LayerNorm', normalizedShape: 96, elementwiseAffine: false }, [2, 96]).params,
    ).toBe(0);
  });

  it('refuses inputs that do not fit', () => {
    expect(() => analyzeLayer({ type: 'BatchNorm2d', numFeatures: 16 }, [2, 16, 4])).toThrow(
      'BatchNorm2d: input must be [N, C, H, W] (rank 4), got [2, 16, 4]',
    );
    expect(() => analyzeLayer({ type: 'BatchNorm1d', numFeatures: 16, name: 'bn' }, [2, 8])).toThrow(
      "BatchNorm1d 'bn': input has 8 channels but numFeatures is 16",
    );
    expect(() => analyzeLayer({ type: 'GroupNorm', numGroups: 3, numChannels: 8 }, [2, 8, 5, 5])).toThrow(
      'GroupNorm: numGroups=3 must divide numChannels=8',
    );
    expect(() => analyzeLayer({ type: 'GroupNorm', numGroups: 2, numChannels: 8 }, [2, 6, 5, 5])).toThrow(
      'GroupNorm: input has 6 channels but numChannels is 8',
    );
    expect(() => analyzeLayer({ type: 'LayerNorm', normalizedShape: [4, 5] }, [2, 8, 5, 5])).toThrow(
      'LayerNorm: normalizedShape [4, 5] must match the trailing dims of the input, got [2, 8, 5, 5]',
    );
  });
});

describe('analyzeLayer: activations, dropout, identity', () => {
  it('keep the shape and cost no MACs; PReLU has its parameters', () => {
    for (const spec of [
      { type: 'ReLU' },
      { type: 'ReLU6', inplace: true },
      { type: 'LeakyReLU', negativeSlope: 0.2 },
      { type: 'GELU', approximate: 'tanh' },
      { type: 'Hardtanh', minVal: -2, maxVal: 2 },
      { type: 'Softmax', dim: 1 },
      { type: 'Dropout', p: 0.5 },
      { type: 'Dropout2d' },
      { type: 'Identity' },
    ] as LayerSpec[]) {
      const a = analyzeLayer(spec, [2, 3, 4, 4]);
      expect([a.outputShape, a.params, a.macs], spec.type).toEqual([[2, 3, 4, 4], 0, 0]);
    }
    expect(analyzeLayer({ type: 'PReLU' }, [2, 3, 4, 4]).params).toBe(1);
    expect(analyzeLayer({ type: 'PReLU', numParameters: 3 }, [2, 3, 4, 4]).params).toBe(3);
  });

  it('refuses a PReLU of the wrong width and a Softmax dim out of range', () => {
    expect(() => analyzeLayer({ type: 'PReLU', numParameters: 4 }, [2, 3, 4, 4])).toThrow(
      "PReLU: numParameters=4 must be 1 or the input's channel count (dim 1), got input [2, 3, 4, 4]",
    );
    expect(() => analyzeLayer({ type: 'Softmax', dim: 4 }, [2, 3, 4, 4])).toThrow(
      'Softmax: dim must be in [-4, 3] for input [2, 3, 4, 4], got 4',
    );
    expect(() => analyzeLayer({ type: 'Dropout', p: 1.5 } as LayerSpec, [2, 3])).toThrow(
      "Dropout: field 'p' must be a probability between 0 and 1, got 1.5",
    );
  });
});

describe('analyzeLayer: pooling', () => {
  it('MaxPool2d(3, 2, 1) halves the ResNet stem; the stride defaults to the kernel', () => {
    expect(
      analyzeLayer({ type: 'MaxPool2d', kernelSize: 3, stride: 2, padding: 1 }, [1, 64, 112, 112])
        .outputShape,
    ).toEqual([1, 64, 56, 56]);
    const a = analyzeLayer({ type: 'MaxPool2d', kernelSize: 2 }, [1, 8, 9, 9]);
    expect([a.outputShape, a.params, a.macs]).toEqual([[1, 8, 4, 4], 0, 0]);
  });

  it('ceilMode rounds up, but the last window must start inside the input', () => {
    expect(
      analyzeLayer({ type: 'MaxPool1d', kernelSize: 2, ceilMode: true }, [1, 1, 13]).outputShape,
    ).toEqual([1, 1, 7]);
    expect(analyzeLayer({ type: 'MaxPool1d', kernelSize: 2 }, [1, 1, 13]).outputShape).toEqual([1, 1, 6]);
    // ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 would start at 6 >= 5 + 1: dropped.
    expect(
      analyzeLayer({ type: 'AvgPool1d', kernelSize: 2, padding: 1, ceilMode: true }, [1, 1, 5]).outputShape,
    ).toEqual([1, 1, 3]);
    expect(
      analyzeLayer(
        { type: 'MaxPool2d', kernelSize: 3, stride: 2, padding: 1, dilation: 2, ceilMode: true },
        [2, 8, 8, 8],
      ).outputShape,
    ).toEqual([2, 8, 4, 4]);
  });

  it('AvgPool accumulates each window element once', () => {
    const a = analyzeLayer({ type: 'AvgPool3d', kernelSize: 2, stride: [2, 1, 1] }, [1, 4, 8, 6, 6]);
    expect(a.outputShape).toEqual([1, 4, 4, 5, 5]);
    expect(a.macs).toBe(4 * 100 * 8);
  });

  it('adaptive pooling takes the given size and sums its (possibly uneven) windows', () => {
    const global = analyzeLayer({ type: 'AdaptiveAvgPool2d', outputSize: 1 }, [2, 512, 7, 7]);
    expect([global.outputShape, global.macs]).toEqual([[2, 512, 1, 1], 512 * 49]);
    // 7 -> 3: windows [0, 3), [2, 5), [4, 7).
    expect(analyzeLayer({ type: 'AdaptiveAvgPool1d', outputSize: 3 }, [1, 2, 7]).macs).toBe(2 * 9);
    const kept = analyzeLayer({ type: 'AdaptiveMaxPool2d', outputSize: [3, null] }, [2, 8, 4, 4]);
    expect([kept.outputShape, kept.macs]).toEqual([[2, 8, 3, 4], 0]);
  });

  it('refuses padding wider than half the kernel, as PyTorch does', () => {
    expect(() => analyzeLayer({ type: 'MaxPool2d', kernelSize: 3, padding: 2 }, [1, 1, 9, 9])).toThrow(
      ArgumentError,
    );
    expect(() =>
      analyzeLayer({ type: 'AvgPool2d', name: 'p', kernelSize: 3, padding: 2 }, [1, 1, 9, 9]),
    ).toThrow(
      "AvgPool2d 'p': padding 2 in spatial dim 0 must be at most half the kernel size 3 (floor(k / 2) = 1), as PyTorch requires",
    );
    expect(() => analyzeLayer({ type: 'AdaptiveAvgPool2d', outputSize: [1, 1, 1] }, [1, 1, 9, 9])).toThrow(
      'AdaptiveAvgPool2d: outputSize must be a number or 2 entries (one per spatial dim), got [1,1,1]',
    );
    expect(() => analyzeLayer({ type: 'MaxPool3d', kernelSize: 2 }, [1, 1, 9, 9])).toThrow(
      'MaxPool3d: input must be [N, C, D, H, W] (rank 5), got [1, 1, 9, 9]; add the batch dimension',
    );
  });
});

describe('analyzeLayer: Linear, Flatten, Upsample', () => {
  it('Linear works on the last dim of any input', () => {
    const fc = analyzeLayer({ type: 'Linear', inFeatures: 512, outFeatures: 10 }, [8, 512]);
    expect([fc.outputShape, fc.params, fc.macs]).toEqual([[8, 10], 5130, 5120]);
    const spatial = analyzeLayer(
      { type: 'Linear', inFeatures: 4, outFeatures: 6, bias: false },
      [2, 3, 5, 4],
    );
    expect([spatial.outputShape, spatial.params, spatial.macs]).toEqual([[2, 3, 5, 6], 24, 24 * 15]);
    expect(() => analyzeLayer({ type: 'Linear', inFeatures: 256, outFeatures: 10 }, [8, 512])).toThrow(
      "Linear: input's last dim is 512 but inFeatures is 256 (input [8, 512])",
    );
    expect(() => analyzeLayer({ type: 'Linear', inFeatures: 3, outFeatures: 10 }, [3])).toThrow(
      'Linear: input must be [N, *, inFeatures]',
    );
  });

  it('Flatten merges startDim..endDim, negative dims from the end', () => {
    expect(analyzeLayer({ type: 'Flatten' }, [2, 64, 7, 7]).outputShape).toEqual([2, 64 * 49]);
    expect(analyzeLayer({ type: 'Flatten', startDim: 2 }, [2, 64, 7, 7]).outputShape).toEqual([2, 64, 49]);
    expect(analyzeLayer({ type: 'Flatten', startDim: 0, endDim: -3 }, [2, 64, 7, 7]).outputShape).toEqual([
      128, 7, 7,
    ]);
    expect(() => analyzeLayer({ type: 'Flatten', startDim: 3, endDim: 1 }, [2, 64, 7, 7])).toThrow(
      'Flatten: startDim (3) cannot come after endDim (1) for input [2, 64, 7, 7]',
    );
    expect(() => analyzeLayer({ type: 'Flatten', startDim: 4 }, [2, 64, 7, 7])).toThrow(
      'Flatten: startDim must be in [-4, 3] for input [2, 64, 7, 7], got 4',
    );
  });

  it('Upsample by scale factor (floored) or to a size; MACs one per tap', () => {
    const bilinear = analyzeLayer({ type: 'Upsample', scaleFactor: 2, mode: 'bilinear' }, [1, 3, 4, 4]);
    expect([bilinear.outputShape, bilinear.macs]).toEqual([[1, 3, 8, 8], 3 * 64 * 4]);
    expect(analyzeLayer({ type: 'Upsample', scaleFactor: 1.7 }, [1, 1, 5, 5]).outputShape).toEqual([
      1, 1, 8, 8,
    ]);
    const sized = analyzeLayer({ type: 'Upsample', size: [10, 9] }, [1, 2, 6, 7]);
    expect([sized.outputShape, sized.macs]).toEqual([[1, 2, 10, 9], 0]);
    expect(
      analyzeLayer(
        { type: 'Upsample', scaleFactor: [1, 2, 2], mode: 'trilinear', alignCorners: true },
        [1, 1, 2, 3, 3],
      ).macs,
    ).toBe(2 * 6 * 6 * 8);
    expect(analyzeLayer({ type: 'Upsample', scaleFactor: 2, mode: 'bicubic' }, [1, 1, 3, 3]).macs).toBe(
      36 * 16,
    );
    expect(analyzeLayer({ type: 'Upsample', scaleFactor: 3, mode: 'linear' }, [1, 1, 3]).macs).toBe(9 * 2);
  });

  it('refuses Upsample combinations PyTorch refuses', () => {
    expect(() => analyzeLayer({ type: 'Upsample' }, [1, 1, 4, 4])).toThrow(
      'Upsample: give exactly one of size and scaleFactor, got neither',
    );
    expect(() => analyzeLayer({ type: 'Upsample', size: 8, scaleFactor: 2 }, [1, 1, 4, 4])).toThrow(
      'Upsample: give exactly one of size and scaleFactor, got both',
    );
    expect(() => analyzeLayer({ type: 'Upsample', scaleFactor: 2, mode: 'bilinear' }, [1, 1, 4])).toThrow(
      "Upsample: mode 'bilinear' needs a rank-4 input, got [1, 1, 4]",
    );
    expect(() => analyzeLayer({ type: 'Upsample', scaleFactor: 2, alignCorners: false }, [1, 1, 4])).toThrow(
      "Upsample: alignCorners applies to the interpolating modes (linear, bilinear, bicubic, trilinear), not 'nearest'",
    );
    expect(() => analyzeLayer({ type: 'Upsample', size: [4, 4, 4] }, [1, 1, 4, 4])).toThrow(
      'Upsample: size must be a number or 2 numbers (one per spatial dim), got [4,4,4]',
    );
    expect(() => analyzeLayer({ type: 'Upsample', scaleFactor: 0.1 }, [1, 1, 4, 4])).toThrow(
      'Upsample: output would be empty',
    );
    expect(() => analyzeLayer({ type: 'Upsample', scaleFactor: 2 }, [1, 4])).toThrow(
      'Upsample: input must be [N, C, L], [N, C, H, W] or [N, C, D, H, W], got [1, 4]',
    );
  });
});

describe('analyzeLayer: containers and input shapes', () => {
  it('sums a Sequential and a Residual', () => {
    const seq = analyzeLayer(
      {
        type: 'Sequential',
        layers: [
          { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 1 },
          { type: 'BatchNorm2d', numFeatures: 4 },
        ],
      },
      [1, 3, 2, 2],
    );
    expect([seq.outputShape, seq.params, seq.buffers, seq.macs]).toEqual([[1, 4, 2, 2], 16 + 8, 9, 48 + 16]);
    const res = analyzeLayer({ type: 'Residual', body: [{ type: 'ReLU' }] }, [1, 3, 2, 2]);
    expect([res.outputShape, res.params, res.macs]).toEqual([[1, 3, 2, 2], 0, 0]);
  });

  it('refuses input shapes that are not lists of positive integers', () => {
    expect(() => analyzeLayer({ type: 'ReLU' }, [1, -2])).toThrow(ShapeError);
    expect(() => analyzeLayer({ type: 'ReLU' }, [1, 2.5])).toThrow(
      'analyzeLayer: inputShape must be a non-empty list of positive integers, batch first (e.g. [1, 3, 224, 224]), got [1, 2.5]',
    );
    expect(() => analyzeLayer({ type: 'ReLU' }, 'x' as unknown as number[])).toThrow("got 'x'");
  });
});
