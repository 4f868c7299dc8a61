export type { CloseOptions, CloseReport } from './allclose';
export { allclose, assertClose, compareClose, maxAbsDiff } from './allclose';
export { checkAllocation, checkAllocationBytes, MAX_BUFFER_ELEMENTS } from './check-allocation';
export { checkOptionKeys, checkTensor, isTensor, readTensor } from './check-arguments';
export { checkTensorLayout } from './check-tensor-layout';
export type { ConvCall, DeformConvCall } from './conv-call';
export {
  CONV_OPTION_KEYS,
  CONV_TRANSPOSE_OPTION_KEYS,
  checkBias,
  checkGradOutput,
  checkWeightRank,
  DEFORM_CONV_OPTION_KEYS,
  opNameForWeight,
  resolveConvCall,
  resolveConvTransposeCall,
  resolveDeformConvCall,
} from './conv-call';
export type {
  ConvGeometry,
  ConvGeometryArgs,
  ConvGeometryFromShapesArgs,
  ConvGeometryOptions,
  Layout,
  Padding,
  PaddingMode,
} from './conv-geometry';
export {
  adjointConvGeometry,
  CONV_GEOMETRY_ARG_KEYS,
  CONV_GEOMETRY_FROM_SHAPES_ARG_KEYS,
  convGeometry,
  convGeometryFromShapes,
  LAYOUTS,
  PADDING_MODES,
} from './conv-geometry';
export type { ConvRowBand } from './conv-row-band';
export { convRowBand, convRowBands } from './conv-row-band';
export { describeValue, formatValue } from './describe-value';
export {
  ArgumentError,
  ConvkitError,
  formatShape,
  ResourceError,
  ShapeError,
  UnsupportedError,
} from './errors';
export { DEFAULT_MEMORY_LIMIT, getMemoryLimit, setMemoryLimit } from './memory-limit';
export { paddedIndex } from './padded-index';
export type { IntListSpec, NumberRange, OptionRecord } from './read-options';
export {
  closestName,
  isPlainObject,
  optionBoolean,
  optionEnum,
  optionInteger,
  optionIntList,
  optionNumber,
  optionPositiveInt,
  optionString,
  readOptions,
} from './read-options';
export { createRng, Rng } from './rng';
export { checkShape, contiguousStrides, sameShape, shapeSize } from './shape';
export { arange, full, ones, Tensor, tensor, zeros } from './tensor';
