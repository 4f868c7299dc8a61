/**
 * LayerSpec: a network layer written as data, with PyTorch's class names and its constructor
 * arguments in camelCase (`nn.Conv2d(in_channels, ..., padding_mode)` ->
 * `{ type: 'Conv2d', inChannels, ..., paddingMode }`). Defaults are PyTorch's. Every spec may
 * carry a `name`, the key of the module in its parent (`features.3` without one), so that
 * paths follow PyTorch's state-dict naming.
 *
 * Three kinds are convkit's own, for what PyTorch writes as custom modules:
 * - `Residual`: y = body(x) + shortcut(x), the shortcut the identity when absent (ResNet,
 *   MobileNet v2). The body's modules hang under `bodyName` ('body'; '' puts them on the
 *   block itself, as torchvision's BasicBlock does with conv1, bn1...), the shortcut's under
 *   `shortcutName` ('shortcut'; torchvision says 'downsample').
 * - `SeparableConv1d/2d/3d`: a depthwise conv (groups = inChannels, inChannels *
 *   depthMultiplier outputs) named `depthwise`, then a 1x1 conv named `pointwise` (Keras'
 *   SeparableConv2D). `bias` is the pointwise bias; `depthwiseBias` (false) the depthwise one.
 * - `DeformConv2d`: torchvision.ops.DeformConv2d (weight and bias) together with the regular
 *   conv that predicts its offsets (2 * offsetGroups * kh * kw channels, same kernel, stride,
 *   padding and dilation, with bias) and, when `mask` is true (DCN v2), the conv that predicts
 *   the modulation mask (offsetGroups * kh * kw channels). `offsetConv: false` counts the
 *   torchvision layer alone.
 */
import type { Padding, PaddingMode } from '@convkit/tensor';

/** A number for every spatial dim, or one per dim. */
export type PerDim = number | readonly number[];

interface Named {
  /** The module's key in its parent (PyTorch state-dict naming); its index when absent. */
  name?: string;
}

export type ConvType = 'Conv1d' | 'Conv2d' | 'Conv3d';
export type ConvTransposeType = 'ConvTranspose1d' | 'ConvTranspose2d' | 'ConvTranspose3d';
export type SeparableConvType = 'SeparableConv1d' | 'SeparableConv2d' | 'SeparableConv3d';
export type BatchNormType = 'BatchNorm1d' | 'BatchNorm2d' | 'BatchNorm3d';
export type MaxPoolType = 'MaxPool1d' | 'MaxPool2d' | 'MaxPool3d';
export type AvgPoolType = 'AvgPool1d' | 'AvgPool2d' | 'AvgPool3d';
export type AdaptivePoolType =
  | 'AdaptiveAvgPool1d'
  | 'AdaptiveAvgPool2d'
  | 'AdaptiveAvgPool3d'
  | 'AdaptiveMaxPool1d'
  | 'AdaptiveMaxPool2d'
  | 'AdaptiveMaxPool3d';
export type ActivationType =
  | 'ReLU'
  | 'ReLU6'
  | 'LeakyReLU'
  | 'PReLU'
  | 'ELU'
  | 'CELU'
  | 'SELU'
  | 'GELU'
  | 'SiLU'
  | 'Mish'
  | 'Sigmoid'
  | 'Tanh'
  | 'Hardswish'
  | 'Hardsigmoid'
  | 'Hardtanh'
  | 'Softplus'
  | 'Softmax'
  | 'LogSoftmax';
export type DropoutType = 'Dropout' | 'Dropout1d' | 'Dropout2d' | 'Dropout3d' | 'AlphaDropout';
export type UpsampleMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear';

export interface ConvSpec extends Named {
  type: ConvType;
  inChannels: number;
  outChannels: number;
  kernelSize: PerDim;
  stride?: PerDim;
  /**
   * A number, one per dim, [before, after] pairs (as ONNX), 'same' or 'valid'. 'same' is
   * TensorFlow/ONNX SAME_UPPER at every stride (out = ceil(in / stride), the odd padding element
   * after): PyTorch's 'same' at stride 1, a combination PyTorch refuses at stride > 1.
   */
  padding?: Padding;
  dilation?: PerDim;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export interface ConvTransposeSpec extends Named {
  type: ConvTransposeType;
  inChannels: number;
  outChannels: number;
  kernelSize: PerDim;
  stride?: PerDim;
  /** Numbers, per dim or [before, after] pairs, or 'valid'; not 'same' (UnsupportedError). */
  padding?: Padding;
  outputPadding?: PerDim;
  groups?: number;
  bias?: boolean;
  dilation?: PerDim;
  /** Only 'zeros', as in PyTorch. */
  paddingMode?: PaddingMode;
}

export interface DeformConv2dSpec extends Named {
  type: 'DeformConv2d';
  inChannels: number;
  outChannels: number;
  kernelSize: PerDim;
  stride?: PerDim;
  padding?: Padding;
  dilation?: PerDim;
  groups?: number;
  bias?: boolean;
  /** Offset groups (torchvision reads them from the offset's channels); 1 by default. */
  offsetGroups?: number;
  /** DCN v2: a modulation mask predicted by its own conv. */
  mask?: boolean;
  /** Count the offset-predicting conv (and the mask conv); true by default. */
  offsetConv?: boolean;
}

export interface SeparableConvSpec extends Named {
  type: SeparableConvType;
  inChannels: number;
  outChannels: number;
  kernelSize: PerDim;
  stride?: PerDim;
  padding?: Padding;
  dilation?: PerDim;
  /** Depthwise outputs per input channel (1). */
  depthMultiplier?: number;
  /** The pointwise conv's bias (true). */
  bias?: boolean;
  /** The depthwise conv's bias (false). */
  depthwiseBias?: boolean;
  paddingMode?: PaddingMode;
}

export interface BatchNormSpec extends Named {
  type: BatchNormType;
  numFeatures: number;
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export interface GroupNormSpec extends Named {
  type: 'GroupNorm';
  numGroups: number;
  numChannels: number;
  eps?: number;
  affine?: boolean;
}

export interface LayerNormSpec extends Named {
  type: 'LayerNorm';
  normalizedShape: PerDim;
  eps?: number;
  elementwiseAffine?: boolean;
}

export interface ActivationSpec extends Named {
  type: ActivationType;
  inplace?: boolean;
  /** LeakyReLU (0.01). */
  negativeSlope?: number;
  /** PReLU: 1 or the channel count (1). */
  numParameters?: number;
  /** PReLU's initial value (0.25). */
  init?: number;
  /** ELU, CELU (1). */
  alpha?: number;
  /** GELU: 'none' or 'tanh'. */
  approximate?: 'none' | 'tanh';
  /** Softmax, LogSoftmax: the dim normalised over (PyTorch's implicit choice when absent). */
  dim?: number;
  /** Softplus. */
  beta?: number;
  threshold?: number;
  /** Hardtanh. */
  minVal?: number;
  maxVal?: number;
}

export interface MaxPoolSpec extends Named {
  type: MaxPoolType;
  kernelSize: PerDim;
  /** The kernel size when absent, as in PyTorch. */
  stride?: PerDim;
  padding?: PerDim;
  dilation?: PerDim;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPoolSpec extends Named {
  type: AvgPoolType;
  kernelSize: PerDim;
  stride?: PerDim;
  padding?: PerDim;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

export interface AdaptivePoolSpec extends Named {
  type: AdaptivePoolType;
  /** One size for every dim, or one per dim where null keeps the input's size. */
  outputSize: number | readonly (number | null)[];
  returnIndices?: boolean;
}

export interface LinearSpec extends Named {
  type: 'Linear';
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
}

export interface FlattenSpec extends Named {
  type: 'Flatten';
  startDim?: number;
  endDim?: number;
}

export interface DropoutSpec extends Named {
  type: DropoutType;
  p?: number;
  inplace?: boolean;
}

export interface IdentitySpec extends Named {
  type: 'Identity';
}

export interface UpsampleSpec extends Named {
  type: 'Upsample';
  /** The output's spatial size: one number for every dim or one per dim. */
  size?: PerDim;
  /** Output size = floor(input size * scaleFactor), per dim. */
  scaleFactor?: PerDim;
  mode?: UpsampleMode;
  alignCorners?: boolean;
}

export interface SequentialSpec extends Named {
  type: 'Sequential';
  layers: readonly LayerSpec[];
}

export interface ResidualSpec extends Named {
  type: 'Residual';
  body: readonly LayerSpec[];
  /** The identity when absent or empty. */
  shortcut?: readonly LayerSpec[];
  /** Where the body's modules hang ('body'); '' puts them on the block itself. */
  bodyName?: string;
  /** Where the shortcut's modules hang ('shortcut'). */
  shortcutName?: string;
}

export type LayerSpec =
  | ConvSpec
  | ConvTransposeSpec
  | DeformConv2dSpec
  | SeparableConvSpec
  | BatchNormSpec
  | GroupNormSpec
  | LayerNormSpec
  | ActivationSpec
  | MaxPoolSpec
  | AvgPoolSpec
  | AdaptivePoolSpec
  | LinearSpec
  | FlattenSpec
  | DropoutSpec
  | IdentitySpec
  | UpsampleSpec
  | SequentialSpec
  | ResidualSpec;

export type LayerType = LayerSpec['type'];
