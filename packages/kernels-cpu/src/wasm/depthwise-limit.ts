/**
 * depthwiseLimit: the geometries the 'depthwise' algorithm (./depthwise-kernels.ts) runs:
 * convolutions and transposed convolutions with one input channel per group (groups =
 * C_in), any channel multiplier, kernel, stride, dilation, padding and padding mode, 1-3-D,
 * forward and backward. Everything else is refused with the reason, in words that finish
 * "algorithm 'depthwise' ...".
 */
import type { ConvGeometry } from '@convkit/tensor';
import type { ConvPass } from '../algorithms';

export function depthwiseLimit(geometry: ConvGeometry, _pass: ConvPass): string | null {
  if (geometry.inChannelsPerGroup === 1) return null;
  return (
    `runs depthwise convolutions only (one input channel per group, groups = input channels), ` +
    `got ${geometry.inChannels} input channels in ${geometry.groups} group${geometry.groups === 1 ? '' : 's'}`
  );
}
