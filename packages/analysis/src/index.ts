export { analyzeLayer } from './analyze-layer';
export type { ModelAnalysis, ModelLayer } from './analyze-model';
export { analyzeModel } from './analyze-model';
export type { ConvCost, ConvWindow } from './conv-cost';
export type {
  DilatedArgs,
  DirectArgs,
  DumoulinVisinRelationship,
  EquivalentConvolution,
  PaddedArgs,
  PaddedStridedArgs,
  RelationshipArgs,
  StridedArgs,
  TransposedRemainderArgs,
} from './dumoulin-visin';
export {
  DUMOULIN_VISIN_RELATIONSHIPS,
  dilatedConvolution,
  fullPadding,
  halfPadding,
  noPaddingNonUnitStrides,
  noPaddingUnitStrides,
  poolingOutputSize,
  transposedAsConvolution,
  transposedFullPadding,
  transposedHalfPadding,
  transposedNoPaddingNonUnitStrides,
  transposedNoPaddingUnitStrides,
  transposedRemainder,
  transposedZeroPaddingNonUnitStrides,
  transposedZeroPaddingNonUnitStridesWithA,
  transposedZeroPaddingUnitStrides,
  zeroPaddingNonUnitStrides,
  zeroPaddingUnitStrides,
} from './dumoulin-visin';
export type { GroupedCost, GroupedCostArgs } from './grouped-cost';
export { groupedCost } from './grouped-cost';
export type { HybridDilationCheck } from './hybrid-dilation';
export { hybridDilationCheck } from './hybrid-dilation';
export type { InputCoverage, InputCoverageOptions } from './input-coverage';
export { formatCoverage, inputCoverage } from './input-coverage';
export type { LayerAnalysis, LayerPart } from './layer-analysis';
export { BYTES_PER_VALUE } from './layer-analysis';
export type { FieldKind, LayerSchema } from './layer-schema';
export { LAYER_SCHEMAS, LAYER_TYPES } from './layer-schema';
export type {
  ActivationSpec,
  ActivationType,
  AdaptivePoolSpec,
  AdaptivePoolType,
  AvgPoolSpec,
  AvgPoolType,
  BatchNormSpec,
  BatchNormType,
  ConvSpec,
  ConvTransposeSpec,
  ConvTransposeType,
  ConvType,
  DeformConv2dSpec,
  DropoutSpec,
  DropoutType,
  FlattenSpec,
  GroupNormSpec,
  IdentitySpec,
  LayerNormSpec,
  LayerSpec,
  LayerType,
  LinearSpec,
  MaxPoolSpec,
  MaxPoolType,
  PerDim,
  ResidualSpec,
  SeparableConvSpec,
  SeparableConvType,
  SequentialSpec,
  UpsampleMode,
  UpsampleSpec,
} from './layer-spec';
export type { LayerSpecSource, ModelLike } from './layer-spec-source';
export type { BottleneckCost, BottleneckCostArgs, PointwiseCost, PointwiseCostArgs } from './pointwise-cost';
export { bottleneckCost, pointwiseCost } from './pointwise-cost';
export type { DimReceptiveField, ReceptiveFieldAnalysis, ReceptiveFieldLayer } from './receptive-field';
export { receptiveField, receptiveFieldInterval } from './receptive-field';
export type { CliIo } from './run-cli';
export { runCli, USAGE } from './run-cli';
export type { SeparableCost, SeparableCostArgs } from './separable-cost';
export { separableCost } from './separable-cost';
export type { SummaryFormat, SummaryOptions } from './summary';
export { formatCount, summary } from './summary';
export { validateLayerSpec } from './validate-layer-spec';
