/**
 * LAYER_SCHEMAS: for every LayerSpec type, its required and optional fields and what each
 * field must hold, mirroring the PyTorch constructor's arguments (camelCase). It drives the
 * validation of specs (unknown fields, missing fields, wrong kinds) so that a typo such as
 * `kernel_size` gets a clear error instead of a silent default.
 */
import type {
  AdaptivePoolType,
  AvgPoolType,
  BatchNormType,
  ConvTransposeType,
  ConvType,
  LayerType,
  MaxPoolType,
  SeparableConvType,
} from './layer-spec';

/** What a field must hold. */
export type FieldKind =
  | 'positiveInt'
  | 'int'
  | 'positivePerDim'
  | 'nonNegativePerDim'
  | 'padding'
  | 'boolean'
  | 'number'
  | 'numberOrNull'
  | 'positiveNumber'
  | 'probability'
  | 'paddingMode'
  | 'upsampleMode'
  | 'approximate'
  | 'outputSize'
  | 'scaleFactor'
  | 'specs'
  | 'childName';

export interface LayerSchema {
  /** Spatial dims the layer works on (Conv2d: 2); absent for dimension-free layers. */
  readonly dims?: 1 | 2 | 3;
  readonly required: Readonly<Record<string, FieldKind>>;
  readonly optional: Readonly<Record<string, FieldKind>>;
}

const CONV_REQUIRED = {
  inChannels: 'positiveInt',
  outChannels: 'positiveInt',
  kernelSize: 'positivePerDim',
} as const;
const CONV_OPTIONAL = {
  stride: 'positivePerDim',
  padding: 'padding',
  dilation: 'positivePerDim',
  groups: 'positiveInt',
  bias: 'boolean',
  paddingMode: 'paddingMode',
} as const;
const INPLACE = { inplace: 'boolean' } as const;

function perDims<T extends string>(
  prefix: string,
  make: (dims: 1 | 2 | 3) => LayerSchema,
): Record<T, LayerSchema> {
  return Object.fromEntries(([1, 2, 3] as const).map((d) => [`${prefix}${d}d`, make(d)])) as Record<
    T,
    LayerSchema
  >;
}

export const LAYER_SCHEMAS: Readonly<Record<LayerType, LayerSchema>> = Object.freeze({
  ...perDims<ConvType>('Conv', (dims) => ({ dims, required: CONV_REQUIRED, optional: CONV_OPTIONAL })),
  ...perDims<ConvTransposeType>('ConvTranspose', (dims) => ({
    dims,
    required: CONV_REQUIRED,
    optional: { ...CONV_OPTIONAL, outputPadding: 'nonNegativePerDim' },
  })),
  DeformConv2d: {
    dims: 2,
    required: CONV_REQUIRED,
    optional: {
      stride: 'positivePerDim',
      padding: 'padding',
      dilation: 'positivePerDim',
      groups: 'positiveInt',
      bias: 'boolean',
      offsetGroups: 'positiveInt',
      mask: 'boolean',
      offsetConv: 'boolean',
    },
  },
  ...perDims<SeparableConvType>('SeparableConv', (dims) => ({
    dims,
    required: CONV_REQUIRED,
    optional: {
      stride: 'positivePerDim',
      padding: 'padding',
      dilation: 'positivePerDim',
      depthMultiplier: 'positiveInt',
      bias: 'boolean',
      depthwiseBias: 'boolean',
      paddingMode: 'paddingMode',
    },
  })),
  ...perDims<BatchNormType>('BatchNorm', (dims) => ({
    dims,
    required: { numFeatures: 'positiveInt' },
    optional: {
      eps: 'positiveNumber',
      momentum: 'numberOrNull',
      affine: 'boolean',
      trackRunningStats: 'boolean',
    },
  })),
  GroupNorm: {
    required: { numGroups: 'positiveInt', numChannels: 'positiveInt' },
    optional: { eps: 'positiveNumber', affine: 'boolean' },
  },
  LayerNorm: {
    required: { normalizedShape: 'positivePerDim' },
    optional: { eps: 'positiveNumber', elementwiseAffine: 'boolean' },
  },
  ReLU: { required: {}, optional: INPLACE },
  ReLU6: { required: {}, optional: INPLACE },
  LeakyReLU: { required: {}, optional: { ...INPLACE, negativeSlope: 'number' } },
  PReLU: { required: {}, optional: { numParameters: 'positiveInt', init: 'number' } },
  ELU: { required: {}, optional: { ...INPLACE, alpha: 'number' } },
  CELU: { required: {}, optional: { ...INPLACE, alpha: 'number' } },
  SELU: { required: {}, optional: INPLACE },
  GELU: { required: {}, optional: { approximate: 'approximate' } },
  SiLU: { required: {}, optional: INPLACE },
  Mish: { required: {}, optional: INPLACE },
  Sigmoid: { required: {}, optional: {} },
  Tanh: { required: {}, optional: {} },
  Hardswish: { required: {}, optional: INPLACE },
  Hardsigmoid: { required: {}, optional: INPLACE },
  Hardtanh: { required: {}, optional: { ...INPLACE, minVal: 'number', maxVal: 'number' } },
  Softplus: { required: {}, optional: { beta: 'number', threshold: 'number' } },
  Softmax: { required: {}, optional: { dim: 'int' } },
  LogSoftmax: { required: {}, optional: { dim: 'int' } },
  ...perDims<MaxPoolType>('MaxPool', (dims) => ({
    dims,
    required: { kernelSize: 'positivePerDim' },
    optional: {
      stride: 'positivePerDim',
      padding: 'nonNegativePerDim',
      dilation: 'positivePerDim',
      ceilMode: 'boolean',
      returnIndices: 'boolean',
    },
  })),
  ...perDims<AvgPoolType>('AvgPool', (dims) => ({
    dims,
    required: { kernelSize: 'positivePerDim' },
    optional: {
      stride: 'positivePerDim',
      padding: 'nonNegativePerDim',
      ceilMode: 'boolean',
      countIncludePad: 'boolean',
      // PyTorch's AvgPool1d has no divisor_override.
      ...(dims === 1 ? {} : { divisorOverride: 'positiveInt' }),
    },
  })),
  ...perDims<Extract<AdaptivePoolType, `AdaptiveAvg${string}`>>('AdaptiveAvgPool', (dims) => ({
    dims,
    required: { outputSize: 'outputSize' },
    optional: {},
  })),
  ...perDims<Extract<AdaptivePoolType, `AdaptiveMax${string}`>>('AdaptiveMaxPool', (dims) => ({
    dims,
    required: { outputSize: 'outputSize' },
    optional: { returnIndices: 'boolean' },
  })),
  Linear: {
    required: { inFeatures: 'positiveInt', outFeatures: 'positiveInt' },
    optional: { bias: 'boolean' },
  },
  Flatten: { required: {}, optional: { startDim: 'int', endDim: 'int' } },
  Dropout: { required: {}, optional: { p: 'probability', ...INPLACE } },
  Dropout1d: { required: {}, optional: { p: 'probability', ...INPLACE } },
  Dropout2d: { required: {}, optional: { p: 'probability', ...INPLACE } },
  Dropout3d: { required: {}, optional: { p: 'probability', ...INPLACE } },
  AlphaDropout: { required: {}, optional: { p: 'probability', ...INPLACE } },
  Identity: { required: {}, optional: {} },
  Upsample: {
    required: {},
    optional: {
      size: 'positivePerDim',
      scaleFactor: 'scaleFactor',
      mode: 'upsampleMode',
      alignCorners: 'boolean',
    },
  },
  Sequential: { required: { layers: 'specs' }, optional: {} },
  Residual: {
    required: { body: 'specs' },
    optional: { shortcut: 'specs', bodyName: 'childName', shortcutName: 'childName' },
  },
} satisfies Record<LayerType, LayerSchema>);

/**
 * The spatial dims a layer type works on (Conv2d: 2), read off its schema; null for
 * dimension-free layers (ReLU, Linear, Dropout2d...) and for strings that name no layer.
 */
export function spatialDimsOf(type: string): 1 | 2 | 3 | null {
  return Object.hasOwn(LAYER_SCHEMAS, type) ? (LAYER_SCHEMAS[type as LayerType].dims ?? null) : null;
}

/** Every LayerSpec type, in the order of LAYER_SCHEMAS. */
export const LAYER_TYPES: readonly LayerType[] = Object.freeze(Object.keys(LAYER_SCHEMAS) as LayerType[]);
