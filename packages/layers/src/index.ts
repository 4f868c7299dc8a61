/**
 * @convkit/layers: PyTorch's modules on convkit's kernels, with reverse-mode autograd,
 * losses, optimizers, learning-rate schedules and safetensors weights. Module names, options
 * (camelCase), defaults, initialisation and state-dict keys are PyTorch's, so a PyTorch
 * checkpoint loads unchanged.
 */

// Autograd
export type { GradCheckOptions, GradCheckReport } from './autograd/grad-check';
export { gradCheck } from './autograd/grad-check';
export { isGradEnabled, noGrad } from './autograd/grad-mode';
export { Parameter } from './autograd/parameter';
export type { Input } from './autograd/record';
export { asVariable, record } from './autograd/record';
export type { Node } from './autograd/variable';
export { Variable } from './autograd/variable';
// Backends
export type { Backend } from './backend/backend';
export { cpuBackend } from './backend/cpu-backend';
export type { SyncConvOps } from './backend/cpu-backend-on';
export { cpuBackendOn } from './backend/cpu-backend-on';
export { getBackend, setBackend } from './backend/use-backend';
export type { BinaryKind, UnaryKind } from './cpu/elementwise';
export type { LinearGradients } from './cpu/linear';
// Functional ops
export {
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
} from './functional/activations';
export { add, div, mean, mul, scale, sub, sum } from './functional/arithmetic';
export type { ConvOpOptions, ConvTransposeOpOptions, DeformConvOpOptions } from './functional/convolution';
export { conv, convTranspose, deformConv } from './functional/convolution';
export { dropout } from './functional/dropout';
export { embedding } from './functional/embedding';
export type { InterpolateOptions } from './functional/interpolate';
export { interpolate } from './functional/interpolate';
export { linear, matmul } from './functional/linear';
export type { CrossEntropyOptions, NllLossOptions, Reduction } from './functional/losses';
export { bceWithLogits, crossEntropy, l1Loss, mseLoss, nllLoss } from './functional/losses';
export type { BatchNormArgs } from './functional/normalization';
export { batchNorm, groupNorm, layerNorm } from './functional/normalization';
export { adaptiveAvgPool, avgPool, maxPool } from './functional/pooling';
export {
  cat,
  contiguous,
  flatten,
  pad,
  permute,
  pixelShuffle,
  reshape,
  split,
  transpose,
} from './functional/shape-ops';
// Initialisation
export { manualSeed } from './init/global-rng';
export { fanIn, kaimingUniform, normal, uniform } from './init/init';
// Weights
export type { SafetensorsDtype, SaveSafetensorsOptions } from './io/safetensors';
export {
  loadSafetensors,
  MAX_HEADER_BYTES,
  readSafetensorsMetadata,
  saveSafetensors,
} from './io/safetensors';
// Modules
export { GELU, LeakyReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Tanh } from './modules/activations';
export type {
  BasicBlockOptions,
  InvertedResidualOptions,
  SeparableConv2dOptions,
} from './modules/blocks';
export { BasicBlock, InvertedResidual, SeparableConv2d } from './modules/blocks';
export { ModuleDict, ModuleList, Sequential } from './modules/containers';
export type { ConvOptions, ConvTransposeOptions } from './modules/conv';
export {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvBase,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
} from './modules/conv';
export type { DeformConv2dOptions } from './modules/deform-conv2d';
export { DeformConv2d } from './modules/deform-conv2d';
export { BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss } from './modules/losses';
export type { LoadStateDictResult } from './modules/module';
export { Module } from './modules/module';
export type { BatchNormOptions, GroupNormOptions, LayerNormOptions } from './modules/normalization';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm } from './modules/normalization';
export type { AdaptivePoolOptions, AvgPoolOptions, MaxPoolOptions } from './modules/pooling';
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
} from './modules/pooling';
export type { EmbeddingOptions, LinearOptions, UpsampleOptions } from './modules/simple';
export { Dropout, Embedding, Flatten, Identity, Linear, PixelShuffle, Upsample } from './modules/simple';
// Optimizers and schedules
export type { AdamHyper, AdamOptions } from './optim/adam';
export { Adam, AdamW } from './optim/adam';
export type { OneCycleOptions } from './optim/lr-scheduler';
export { CosineAnnealingLR, LRScheduler, OneCycleLR, StepLR } from './optim/lr-scheduler';
export type { ParamGroup } from './optim/optimizer';
export { Optimizer } from './optim/optimizer';
export type { SgdOptions } from './optim/sgd';
export { SGD } from './optim/sgd';
