import { ArgumentError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { LAYER_SCHEMAS, LAYER_TYPES, spatialDimsOf } from './layer-schema';
import { layerLabel, validateLayerSpec } from './validate-layer-spec';

const fails =
  (spec: unknown, path = 'features.3') =>
  () =>
    validateLayerSpec(spec, path);

describe('validateLayerSpec', () => {
  it('knows every layer kind the issue lists, with PyTorch names', () => {
    for (const type of [
      'Conv1d',
      'Conv2d',
      'Conv3d',
      'ConvTranspose1d',
      'ConvTranspose2d',
      'ConvTranspose3d',
      'DeformConv2d',
      'SeparableConv2d',
      'BatchNorm1d',
      'BatchNorm2d',
      'BatchNorm3d',
      'ReLU',
      'ReLU6',
      'MaxPool2d',
      'AvgPool2d',
      'AdaptiveAvgPool2d',
      'Linear',
      'Flatten',
      'Dropout',
      'Upsample',
      'Sequential',
      'Residual',
    ]) {
      expect(LAYER_TYPES).toContain(type);
    }
    expect(LAYER_TYPES.length).toBe(Object.keys(LAYER_SCHEMAS).length);
    expect(LAYER_SCHEMAS.Conv2d.dims).toBe(2);
    expect(Object.keys(LAYER_SCHEMAS.ConvTranspose3d.optional)).toContain('outputPadding');
    expect(Object.keys(LAYER_SCHEMAS.AvgPool1d.optional)).not.toContain('divisorOverride');
  });

  it('reads the spatial dims of a layer type off its schema', () => {
    expect(spatialDimsOf('Conv3d')).toBe(3);
    expect(spatialDimsOf('ConvTranspose1d')).toBe(1);
    expect(spatialDimsOf('DeformConv2d')).toBe(2);
    expect(spatialDimsOf('AdaptiveMaxPool2d')).toBe(2);
    // Dimension-free layers, misspelt types and inherited keys have none.
    expect(spatialDimsOf('Dropout2d')).toBeNull();
    expect(spatialDimsOf('Conv2D')).toBeNull();
    expect(spatialDimsOf('toString')).toBeNull();
  });

  it('accepts well-formed specs', () => {
    expect(() =>
      validateLayerSpec(
        {
          type: 'Conv2d',
          name: 'conv1',
          inChannels: 3,
          outChannels: 8,
          kernelSize: [3, 3],
          padding: [
            [1, 0],
            [0, 1],
          ],
        },
        'a',
      ),
    ).not.toThrow();
    expect(() =>
      validateLayerSpec({ type: 'BatchNorm2d', numFeatures: 8, momentum: null }, 'a'),
    ).not.toThrow();
    expect(() => validateLayerSpec({ type: 'AdaptiveAvgPool2d', outputSize: [null, 7] }, 'a')).not.toThrow();
  });

  it('refuses what is not a spec', () => {
    expect(fails(42)).toThrow(ArgumentError);
    expect(fails(42)).toThrow("layer 'features.3': a layer spec must be an object with a 'type', got 42");
    expect(fails([])).toThrow('a layer spec must be an object');
    expect(fails({ inChannels: 3 })).toThrow(
      "layer 'features.3': field 'type' must name a layer (e.g. 'Conv2d'), got undefined",
    );
  });

  it('suggests the type meant', () => {
    expect(fails({ type: 'Conv2D' })).toThrow(
      "layer 'features.3': unknown type 'Conv2D'; did you mean 'Conv2d'?",
    );
    expect(fails({ type: 'Relu' })).toThrow("did you mean 'ReLU'?");
    expect(fails({ type: 'BatchNorm' })).toThrow("did you mean 'BatchNorm1d'?");
    expect(fails({ type: 'Transformer' })).toThrow("unknown type 'Transformer'; known types: Conv1d, Conv2d");
  });

  it('suggests the field meant: snake_case, case and typos', () => {
    const conv = { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3 };
    expect(fails({ ...conv, kernel_size: 3 })).toThrow(
      "Conv2d 'features.3': unknown field 'kernel_size'; did you mean 'kernelSize'?",
    );
    expect(fails({ ...conv, Stride: 2 })).toThrow("unknown field 'Stride'; did you mean 'stride'?");
    expect(fails({ ...conv, dilaton: 2 })).toThrow("unknown field 'dilaton'; did you mean 'dilation'?");
    expect(fails({ type: 'ReLU', outputPadding: 1 })).toThrow(
      "ReLU 'features.3': unknown field 'outputPadding'; ReLU takes name, inplace",
    );
    // A field of another kind of layer (BatchNorm's eps) is refused too.
    expect(fails({ ...conv, eps: 1e-5 })).toThrow("Conv2d 'features.3': unknown field 'eps'");
  });

  it('names the missing field and what it holds', () => {
    expect(fails({ type: 'Conv2d', inChannels: 3, kernelSize: 3 })).toThrow(
      "Conv2d 'features.3': missing field 'outChannels' (a positive integer)",
    );
    expect(fails({ type: 'Sequential' })).toThrow(
      "Sequential 'features.3': missing field 'layers' (a list of layer specs)",
    );
  });

  it('names the field of the wrong kind, what it must be and what came', () => {
    const conv = { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...conv, inChannels: 0 }, "field 'inChannels' must be a positive integer, got 0"],
      [
        { ...conv, kernelSize: '3' },
        `field 'kernelSize' must be a positive integer or a list of them (one per spatial dim), got "3"`,
      ],
      [
        { ...conv, kernelSize: [] },
        "field 'kernelSize' must be a positive integer or a list of them (one per spatial dim), got []",
      ],
      [{ ...conv, stride: [2, 0] }, "field 'stride' must be a positive integer or a list of them"],
      [
        { ...conv, padding: 'full' },
        `field 'padding' must be a non-negative integer, one per spatial dim, [before, after] pairs, 'same' or 'valid', got "full"`,
      ],
      [{ ...conv, padding: [[1, 2, 3]] }, "field 'padding' must be a non-negative integer"],
      [{ ...conv, bias: 'yes' }, `field 'bias' must be true or false, got "yes"`],
      [
        { ...conv, paddingMode: 'mirror' },
        `field 'paddingMode' must be one of 'zeros', 'reflect', 'replicate', 'circular', got "mirror"`,
      ],
      [
        { type: 'ConvTranspose1d', inChannels: 1, outChannels: 1, kernelSize: 2, outputPadding: -1 },
        "field 'outputPadding' must be a non-negative integer",
      ],
      [{ type: 'BatchNorm2d', numFeatures: 4, eps: 0 }, "field 'eps' must be a positive number, got 0"],
      [
        { type: 'BatchNorm2d', numFeatures: 4, momentum: 'x' },
        "field 'momentum' must be a finite number or null",
      ],
      [
        { type: 'LeakyReLU', negativeSlope: Number.NaN },
        "field 'negativeSlope' must be a finite number, got NaN",
      ],
      [{ type: 'GELU', approximate: 'erf' }, `field 'approximate' must be 'none' or 'tanh', got "erf"`],
      [{ type: 'Softmax', dim: 1.5 }, "field 'dim' must be an integer, got 1.5"],
      [
        { type: 'Upsample', mode: 'area', size: 4 },
        "field 'mode' must be one of 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'",
      ],
      [
        { type: 'Upsample', scaleFactor: [2, -1] },
        "field 'scaleFactor' must be a positive number or a list of them",
      ],
      [
        { type: 'AdaptiveAvgPool2d', outputSize: [0, 1] },
        "field 'outputSize' must be a positive integer or a list of positive integers and nulls",
      ],
      [
        { type: 'Residual', body: [], bodyName: 'a.b' },
        `field 'bodyName' must be a module name without '.', got "a.b"`,
      ],
      [{ type: 'Sequential', layers: {} }, "field 'layers' must be a list of layer specs, got {}"],
    ];
    for (const [spec, message] of cases) expect(fails(spec), message).toThrow(message);
  });

  it('checks names: non-empty, no dots', () => {
    expect(fails({ type: 'ReLU', name: 'a.b' })).toThrow(
      `ReLU 'features.3': field 'name' must be a non-empty module name without '.', got "a.b"`,
    );
    expect(fails({ type: 'ReLU', name: '' })).toThrow("field 'name' must be a non-empty module name");
    expect(fails({ type: 'ReLU', name: 3 })).toThrow("field 'name' must be a non-empty module name");
  });

  it('labels layers by type and path', () => {
    expect(layerLabel('Conv2d', 'features.3')).toBe("Conv2d 'features.3'");
    expect(layerLabel('Conv2d', '')).toBe('Conv2d');
    expect(() => validateLayerSpec({ type: 'Conv2d' }, '')).toThrow("Conv2d: missing field 'inChannels'");
  });
});
