export type { GpuConvAlgorithm, GpuPass } from './gpu-algorithms';
export {
  GPU_CONV_ALGORITHMS,
  gpuAlgorithmSupports,
  resolveGpuAlgorithm,
  selectGpuConvAlgorithm,
} from './gpu-algorithms';
export type { GpuContextOptions, GpuInfo, GpuLimits } from './gpu-context';
export { createGpuContext, GpuContext } from './gpu-context';
export { GpuDeviceError } from './gpu-device-error';
export { GpuTensor, isGpuTensor } from './gpu-tensor';
export type { GpuConvGradients } from './ops/conv-backward';
export type { GpuDeformConvGradients } from './ops/deform-conv-backward';
export type {
  GpuAlgorithmOption,
  GpuConvOptions,
  GpuConvTransposeOptions,
  GpuDeformConvOptions,
} from './options';
export type { GpuProgram, ProgramBinding } from './program';
export { printProgram } from './program';
export { convForwardProgram, convTransposeBackwardInputProgram } from './programs/correlate-program';
export { deformForwardProgram } from './programs/deform-forward-program';
export { deformGemmProgram } from './programs/deform-gemm-program';
export { depthwiseConvProgram } from './programs/depthwise-program';
export { convBackwardInputProgram, convTransposeForwardProgram } from './programs/gather-transposed-program';
export { implicitGemmConvProgram } from './programs/implicit-gemm-program';
export { GEMM_TILE, tiledGemmProgram } from './programs/tiled-gemm-program';
export { weightGradientProgram, weightGradientSplits } from './programs/weight-gradient-program';
