/**
 * pointwiseCost and bottleneckCost: the 1x1 convolution, which keeps height and width and
 * changes the channel count by a linear combination across channels with weights shared over
 * positions (H*W*M*N multiply-adds, M*N weights), and its best-known use: reducing the
 * channels before an expensive convolution (the bottleneck of Inception, Szegedy et al. 2015).
 * Weights only, no bias.
 */
import { type CostFields, checkCostArgs, WINDOW_FIELDS } from './check-cost-args';
import { type ConvCost, type ConvWindow, convCost } from './conv-cost';

export interface PointwiseCostArgs {
  /** M */
  inChannels: number;
  /** N */
  outChannels: number;
  inputSpatial: readonly number[];
}

export interface PointwiseCost extends ConvCost {
  /** The input's spatial size: a 1x1 convolution keeps it. */
  readonly outputSpatial: readonly number[];
}

const POINTWISE_FIELDS: CostFields = {
  inputSpatial: WINDOW_FIELDS.inputSpatial!,
  inChannels: { kind: 'positiveInt' },
  outChannels: { kind: 'positiveInt' },
};

export function pointwiseCost(args: PointwiseCostArgs): PointwiseCost {
  args = checkCostArgs('pointwiseCost', args, POINTWISE_FIELDS);
  const { geometry, cost } = convCost(
    'pointwiseCost',
    { inputSpatial: args.inputSpatial, kernelSize: 1 },
    args.inChannels,
    args.outChannels,
  );
  return { outputSpatial: geometry.outputSpatial, ...cost };
}

export interface BottleneckCostArgs extends ConvWindow {
  inChannels: number;
  /** The channels the 1x1 convolution reduces to. */
  bottleneckChannels: number;
  outChannels: number;
}

export interface BottleneckCost {
  readonly outputSpatial: readonly number[];
  /** The K x K convolution straight from inChannels. */
  readonly direct: ConvCost;
  /** The 1x1 reduction to bottleneckChannels. */
  readonly reduce: ConvCost;
  /** The K x K convolution from bottleneckChannels. */
  readonly conv: ConvCost;
  /** reduce + conv. */
  readonly bottleneck: ConvCost;
  readonly macsRatio: number;
  readonly paramsRatio: number;
}

const BOTTLENECK_FIELDS: CostFields = {
  ...WINDOW_FIELDS,
  inChannels: { kind: 'positiveInt' },
  bottleneckChannels: { kind: 'positiveInt' },
  outChannels: { kind: 'positiveInt' },
};

export function bottleneckCost(args: BottleneckCostArgs): BottleneckCost {
  const op = 'bottleneckCost';
  args = checkCostArgs(op, args, BOTTLENECK_FIELDS);
  const direct = convCost(op, args, args.inChannels, args.outChannels);
  const reduce = convCost(
    op,
    { inputSpatial: args.inputSpatial, kernelSize: 1 },
    args.inChannels,
    args.bottleneckChannels,
  );
  const conv = convCost(op, args, args.bottleneckChannels, args.outChannels);
  const bottleneck = {
    params: reduce.cost.params + conv.cost.params,
    macs: reduce.cost.macs + conv.cost.macs,
  };
  return {
    outputSpatial: conv.geometry.outputSpatial,
    direct: direct.cost,
    reduce: reduce.cost,
    conv: conv.cost,
    bottleneck,
    macsRatio: bottleneck.macs / direct.cost.macs,
    paramsRatio: bottleneck.params / direct.cost.params,
  };
}
