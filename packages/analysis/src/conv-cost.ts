/**
 * ConvCost and convCost: the weights and multiply-accumulates (per sample) of one convolution,
 * read off convGeometry; the cost comparisons of the tutorial (separableCost, groupedCost,
 * pointwiseCost, bottleneckCost) are built from it. Weights only, no bias, as the tutorial
 * counts them.
 */
import { type ConvGeometry, convGeometry, type Padding, shapeSize } from '@convkit/tensor';
import { checkCount } from './check-count';
import type { PerDim } from './layer-spec';

export interface ConvCost {
  /** Weights: C_out * C_in/groups * prod(k). */
  readonly params: number;
  /** C_out * prod(out) * C_in/groups * prod(k). */
  readonly macs: number;
}

/** The window shared by the convolutions a comparison sets side by side. */
export interface ConvWindow {
  /** The input's spatial size (H, W; or L; or D, H, W). */
  inputSpatial: readonly number[];
  kernelSize: PerDim;
  stride?: PerDim;
  /** PyTorch's default, 0, when absent. */
  padding?: Padding;
  dilation?: PerDim;
}

export function convCost(
  op: string,
  window: ConvWindow,
  inChannels: number,
  outChannels: number,
  groups = 1,
): { geometry: ConvGeometry; cost: ConvCost } {
  const geometry = convGeometry({
    op,
    inChannels,
    outChannels,
    groups,
    inputSpatial: window.inputSpatial,
    kernelSize: window.kernelSize,
    stride: window.stride,
    padding: window.padding,
    dilation: window.dilation,
  });
  const params = checkCount(op, 'the parameter count', shapeSize(geometry.weightShape));
  const macs = checkCount(op, 'the MAC count', geometry.macsPerSample);
  return { geometry, cost: { params, macs } };
}
