/**
 * Layout conversion at the op boundary. Kernels always see channels-first data
 * (N, C, ...spatial, row-major); a channels-last activation (N, ...spatial, C) is turned into
 * that by a permute view and one contiguous copy, and a result is permuted back and copied,
 * so every tensor an op returns is contiguous in the layout the caller asked for.
 */
import { type Layout, Tensor } from '@convkit/tensor';
import { transposeChannels } from './channels-transpose';

/** The permutation that views channels-last [N, ...spatial, C] as channels-first [N, C, ...spatial]. */
export function channelsLastToFirstOrder(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** The permutation that views channels-first [N, C, ...spatial] as channels-last [N, ...spatial, C]. */
export function channelsFirstToLastOrder(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** The dim of an activation's channels in `layout`: 1, or the last of a channels-last tensor of `spatialDims`. */
export function channelDimOf(layout: Layout, spatialDims: number): number {
  return layout === 'channels-last' ? spatialDims + 1 : 1;
}

/** The dim of an activation's first spatial axis (rows of a 2-D image, slices of a 3-D one) in `layout`. */
export function firstSpatialDimOf(layout: Layout): number {
  return layout === 'channels-last' ? 1 : 2;
}

/**
 * The elements of an activation in channels-first row-major order. The tensor's own buffer
 * is returned when it already is exactly that (kernels only read it); otherwise a copy.
 */
export function toChannelsFirst(activation: Tensor, layout: Layout): Float32Array {
  if (layout === 'channels-last' && activation.isContiguous) {
    // [N, S, C] row-major: one blocked transpose per sample to [N, C, S].
    const [batch, ...rest] = activation.shape;
    const channels = rest[rest.length - 1]!;
    const spatial = rest.slice(0, -1).reduce((a, b) => a * b, 1);
    return transposeChannels(activation.data, activation.offset, batch!, spatial, channels);
  }
  const view =
    layout === 'channels-last'
      ? activation.permute(channelsLastToFirstOrder(activation.shape.length))
      : activation;
  return view.contiguous().data;
}

/**
 * Wraps a kernel's channels-first result (shape [N, C, ...spatial]) as a tensor in `layout`,
 * contiguous in that layout (a channels-last result is copied once into N...C order).
 */
export function fromChannelsFirst(
  data: Float32Array,
  channelsFirstShape: readonly number[],
  layout: Layout,
): Tensor;
/**
 * The same into a caller's tensor: `out` (contiguous, the result's shape in `layout`) gets the
 * elements of `data` (unless `data` already is its block `outData`) and is returned.
 */
export function fromChannelsFirst(
  data: Float32Array,
  channelsFirstShape: readonly number[],
  layout: Layout,
  out: Tensor,
  outData: Float32Array,
): Tensor;
export function fromChannelsFirst(
  data: Float32Array,
  channelsFirstShape: readonly number[],
  layout: Layout,
  out?: Tensor,
  outData?: Float32Array,
): Tensor {
  if (out !== undefined && outData !== undefined) {
    if (layout === 'channels-first') {
      if (data !== outData) outData.set(data.subarray(0, outData.length));
    } else {
      const [batch, channels, ...spatialShape] = channelsFirstShape;
      const spatial = spatialShape.reduce((a, b) => a * b, 1);
      transposeChannels(data, 0, batch!, channels!, spatial, outData);
    }
    return out;
  }
  const result = new Tensor(data, channelsFirstShape);
  if (layout === 'channels-first') return result;
  const [batch, channels, ...spatialShape] = channelsFirstShape;
  const spatial = spatialShape.reduce((a, b) => a * b, 1);
  return new Tensor(transposeChannels(data, 0, batch!, channels!, spatial), [
    batch!,
    ...spatialShape,
    channels!,
  ]);
}
