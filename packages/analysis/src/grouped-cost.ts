/**
 * groupedCost: a standard convolution against the grouped one with the same input, output and
 * kernel (AlexNet's two-GPU split): the C1 inputs split into g groups, each convolved by C2/g
 * filters of (C1/g) x h x w, the results concatenated. Parameters C1 * h * w * C2 / g and
 * multiply-adds are both 1/g of the standard ones. Depthwise convolution is g = C1 = C2.
 */
import { type CostFields, checkCostArgs, WINDOW_FIELDS } from './check-cost-args';
import { type ConvCost, type ConvWindow, convCost } from './conv-cost';

export interface GroupedCostArgs extends ConvWindow {
  /** C1 */
  inChannels: number;
  /** C2 */
  outChannels: number;
  /** g: divides C1 and C2. */
  groups: number;
}

export interface GroupedCost {
  readonly outputSpatial: readonly number[];
  readonly standard: ConvCost;
  readonly grouped: ConvCost;
  /** grouped.params / standard.params (the MACs ratio is the same). */
  readonly ratio: number;
  /** 1/g. */
  readonly formulaRatio: number;
}

const FIELDS: CostFields = {
  ...WINDOW_FIELDS,
  inChannels: { kind: 'positiveInt' },
  outChannels: { kind: 'positiveInt' },
  groups: { kind: 'positiveInt' },
};

export function groupedCost(args: GroupedCostArgs): GroupedCost {
  args = checkCostArgs('groupedCost', args, FIELDS);
  const standard = convCost('groupedCost', args, args.inChannels, args.outChannels);
  const grouped = convCost('groupedCost', args, args.inChannels, args.outChannels, args.groups);
  return {
    outputSpatial: grouped.geometry.outputSpatial,
    standard: standard.cost,
    grouped: grouped.cost,
    ratio: grouped.cost.params / standard.cost.params,
    formulaRatio: 1 / grouped.geometry.groups,
  };
}
