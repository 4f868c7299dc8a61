export type { CloseOptions, CloseReport } from './allclose';
export { allclose, assertClose, compareClose, maxAbsDiff } from './allclose';
export { checkAllocation, MAX_BUFFER_ELEMENTS } from './check-allocation';
export { checkOptionKeys, checkTensor, describeValue, isTensor } from './check-arguments';
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
  convGeometry,
  convGeometryFromShapes,
  LAYOUTS,
  PADDING_MODES,
} from './conv-geometry';
export {
  ArgumentError,
  ConvkitError,
  formatShape,
  ResourceError,
  ShapeError,
  UnsupportedError,
} from './errors';
export { paddedIndex } from './padded-index';
export { createRng, Rng } from './rng';
export { checkShape, contiguousStrides, sameShape, shapeSize } from './shape';
export { arange, full, ones, Tensor, tensor, zeros } from './tensor';
