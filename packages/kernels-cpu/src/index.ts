/**
 * @convkit/kernels-cpu: convolution on the CPU, synchronous. The ops (conv, convTranspose,
 * deformConv and their backward passes) check their arguments and run the kernels of an
 * algorithm; the reference kernels are the readable oracle every faster algorithm is
 * tested against.
 */

export type { ConvAlgorithmName, ConvKernels, ConvPass, EngineCaps } from './algorithms';
export {
  CONV_ALGORITHMS,
  convAlgorithmLimit,
  engineCaps,
  resolveAlgorithm,
  selectConvAlgorithm,
} from './algorithms';
export { conv, conv1d, conv2d, conv3d, convInto } from './conv';
export { convBackward } from './conv-backward';
export { convTranspose, convTranspose1d, convTranspose2d, convTranspose3d } from './conv-transpose';
export { convTransposeBackward } from './conv-transpose-backward';
export type { DeformConvAlgorithmName } from './deform-algorithms';
export { DEFORM_CONV_ALGORITHMS, selectDeformConvAlgorithm } from './deform-algorithms';
export { deformConv } from './deform-conv';
export { deformConvBackward } from './deform-conv-backward';
export type { GemmOptions } from './gemm';
export { gemm } from './gemm';
export { gemmReference } from './gemm-reference';
export type {
  ConvAlgorithm,
  ConvBackwardGradientOptions,
  ConvGradients,
  ConvOptions,
  ConvTransposeOptions,
  DeformConvGradients,
  DeformConvOptions,
  PartialConvGradients,
} from './options';
export { callMs, SPLIT_MIN_MS } from './pool/call-cost';
export type { CpuContext, CpuContextOptions, CpuSyncOps, PoolCallOptions } from './pool/cpu-context';
export { createCpuContext } from './pool/cpu-context';
export { AbortError, WorkerError } from './pool/pool-errors';
export { isPreparedWeightData, PreparedWeight, preparedWeightCache, prepareWeight } from './prepare-weight';
export type {
  LayerBatchNormApplyOptions,
  LayerBatchNormBackwardOptions,
  LayerBatchNormForward,
  LayerBatchNormForwardOptions,
  LayerBatchNormGradients,
  LayerBatchNormShape,
  LayerBatchNormStats,
} from './wasm/layer-batch-norm';
export {
  layerBatchNormApply,
  layerBatchNormBackward,
  layerBatchNormForward,
  layerBatchNormStats,
} from './wasm/layer-batch-norm';
export type { LayerGemmOptions } from './wasm/layer-gemm';
export { layerGemm } from './wasm/layer-gemm';
export type {
  LayerMaxPoolBackwardOptions,
  LayerMaxPoolOptions,
  LayerMaxPoolResult,
  LayerMaxPoolShape,
} from './wasm/layer-max-pool';
export { layerMaxPool2x2, layerMaxPool2x2Backward } from './wasm/layer-max-pool';
export { measureWasmPeak } from './wasm/wasm-peak';
export type { InitWasmOptions, WasmBuild, WasmInfo } from './wasm/wasm-runtime';
export { initWasm, initWasmSync, wasmInfo, wasmSupport } from './wasm/wasm-runtime';
