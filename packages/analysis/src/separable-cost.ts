/**
 * separableCost: a standard convolution against the depthwise separable one that replaces it
 * (MobileNet; Howard et al. 2017). For an input with M channels, N outputs, a K x K kernel and
 * an output of H x W positions:
 *   multiply-adds  standard H*W*K*K*M*N   separable H*W*M*K*K (depthwise) + H*W*M*N (pointwise)
 *   parameters     standard M*N*K*K       separable M*K*K + M*N
 * so both ratios are 1/N + 1/K^2 (1/N + 1/prod(k) for other kernels). Computed from
 * convGeometry for the three convolutions, with formulaRatio the closed form to compare.
 */
import { type CostFields, checkCostArgs, WINDOW_FIELDS } from './check-cost-args';
import { type ConvCost, type ConvWindow, convCost } from './conv-cost';

export interface SeparableCostArgs extends ConvWindow {
  /** M */
  inChannels: number;
  /** N */
  outChannels: number;
}

export interface SeparableCost {
  readonly outputSpatial: readonly number[];
  readonly standard: ConvCost;
  /** One K x K filter per input channel (groups = M). */
  readonly depthwise: ConvCost;
  /** N filters of 1 x 1 x M. */
  readonly pointwise: ConvCost;
  /** depthwise + pointwise. */
  readonly separable: ConvCost;
  /** separable.macs / standard.macs. */
  readonly macsRatio: number;
  /** separable.params / standard.params. */
  readonly paramsRatio: number;
  /** 1/N + 1/prod(K). */
  readonly formulaRatio: number;
}

const FIELDS: CostFields = {
  ...WINDOW_FIELDS,
  inChannels: { kind: 'positiveInt' },
  outChannels: { kind: 'positiveInt' },
};

export function separableCost(args: SeparableCostArgs): SeparableCost {
  const op = 'separableCost';
  args = checkCostArgs(op, args, FIELDS);
  const standard = convCost(op, args, args.inChannels, args.outChannels);
  const depthwise = convCost(op, args, args.inChannels, args.inChannels, args.inChannels);
  const pointwise = convCost(
    op,
    { inputSpatial: depthwise.geometry.outputSpatial, kernelSize: 1 },
    args.inChannels,
    args.outChannels,
  );
  const separable = {
    params: depthwise.cost.params + pointwise.cost.params,
    macs: depthwise.cost.macs + pointwise.cost.macs,
  };
  return {
    outputSpatial: standard.geometry.outputSpatial,
    standard: standard.cost,
    depthwise: depthwise.cost,
    pointwise: pointwise.cost,
    separable,
    macsRatio: separable.macs / standard.cost.macs,
    paramsRatio: separable.params / standard.cost.params,
    formulaRatio: 1 / args.outChannels + 1 / standard.geometry.kernelVolume,
  };
}
