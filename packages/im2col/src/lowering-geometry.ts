/**
 * The geometry of an unfold or fold: a convolution of the given channels with one output
 * channel and no groups, so that convGeometry does all the size arithmetic (L, padding,
 * checks) for im2col and col2im too.
 */
import { ArgumentError, type ConvGeometry, convGeometry } from '@convkit/tensor';
import type { Im2colOptions } from './im2col';

export function loweringGeometry(
  op: string,
  batch: number,
  channels: number,
  inputSpatial: readonly number[],
  options: Partial<Im2colOptions>,
): ConvGeometry {
  if (options.kernelSize === undefined) throw new ArgumentError(`${op}: options.kernelSize is required`);
  return convGeometry({
    op,
    batch,
    inChannels: channels,
    outChannels: 1,
    inputSpatial,
    kernelSize: options.kernelSize,
    stride: options.stride,
    padding: options.padding,
    dilation: options.dilation,
    paddingMode: options.paddingMode,
    layout: options.layout,
  });
}
