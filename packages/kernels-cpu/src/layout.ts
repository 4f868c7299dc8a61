/**
 * Layout conversion at the op boundary. Kernels always see channels-first data
 * (N, C, ...spatial, row-major); a channels-last activation (N, ...spatial, C) is turned into
 * that by a permute view and one contiguous copy, and a result is permuted back and copied,
 * so every tensor an op returns is contiguous in the layout the caller asked for.
 */
import { type Layout, Tensor } from '@convkit/tensor';

/** The permutation that views channels-last [N, ...spatial, C] as channels-first [N, C, ...spatial]. */
export function channelsLastToFirstOrder(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** The permutation that views channels-first [N, C, ...spatial] as channels-last [N, ...spatial, C]. */
export function channelsFirstToLastOrder(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/**
 * The elements of an activation in channels-first row-major order. The tensor's own buffer
 * is returned when it already is exactly that (kernels only read it); otherwise a copy.
 */
export function toChannelsFirst(activation: Tensor, layout: Layout): Float32Array {
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
): Tensor {
  const result = new Tensor(data, channelsFirstShape);
  if (layout === 'channels-first') return result;
  return result.permute(channelsFirstToLastOrder(channelsFirstShape.length)).contiguous();
}
