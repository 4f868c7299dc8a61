/**
 * The WebAssembly kernels of @convkit/kernels-cpu, compiled twice by scripts/build-wasm.mjs
 * (SIMD 128, and SIMD 128 + relaxed SIMD) and inlined into src/wasm/generated/. Every export
 * takes byte pointers into the imported memory and element counts; the TypeScript side
 * (src/wasm/) owns the memory layout and never lets a kernel allocate.
 */
// @ts-nocheck: AssemblyScript source.
export { GEMM_WORK_BYTES, sgemm } from './gemm-4x8';
export {
  columnCorrelation,
  foldedProduct,
  IM2COL_PARAMS_BYTES,
  KTAB_ENTRY_BYTES,
  loweredProduct,
  loweredWorkBytes,
} from './im2col-gemm';
export { peakLoop } from './peak';
export { IMPLICIT_PARAMS_BYTES, implicitPad, implicitProduct, implicitWorkBytes } from './implicit-gemm';
export { implicitWeightGrad } from './implicit-weight-grad';
export { DW_GEOMETRY_BYTES, depthwiseConv, depthwiseConvChannelsLast, depthwiseWeightGrad } from './depthwise-conv';
export {
  PHASE_BLOCK_POSITIONS,
  PHASE_PARAMS_BYTES,
  PHASE_WORK_BYTES,
  phaseAllFinite,
  phaseCorrelationVirtual,
  phaseFill,
  phaseGatherVirtual,
  phasePad,
  phaseProduct,
} from './phase-conv-transpose';
export {
  winogradChannelSums,
  winogradConv,
  winogradPackInput,
  winogradSumSquares,
  winogradTransformWeights,
  winogradWeightBytes,
  winogradWeightGradAccumulate,
  winogradWeightGradOutput,
  winogradWeightGradWorkBytes,
  winogradWorkBytes,
} from './winograd-f4x3';
export {
  DEFORM_PARAMS_BYTES,
  DEFORM_TABLE_FIELDS,
  DEFORM_WORK_BYTES,
  deformColumns,
  deformProduct,
  deformSampleTable,
  deformScatter,
} from './deform-conv';
export { batchNormAffine, batchNormDotSums, batchNormGradient, batchNormMoments } from './layer-batch-norm';
export { maxPool2x2, maxPool2x2Backward } from './layer-max-pool';
