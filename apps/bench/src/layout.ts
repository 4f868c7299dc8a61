/**
 * Layout changes for engines that are not channels-first (tfjs is NHWC, its weights
 * [k..., C_in, C_out]), done with convkit Tensor views so that no index arithmetic is
 * repeated here. Always outside the timed region.
 */
import { Tensor } from '@convkit/tensor';

/** The order that turns NC[D]HW into N[D]HWC: [0, 2, ..., rank - 1, 1]. */
export function toChannelsLastOrder(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** The order that turns N[D]HWC back into NC[D]HW: [0, rank - 1, 1, ..., rank - 2]. */
export function toChannelsFirstOrder(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** `data` (row-major `shape`) with its dimensions reordered, as a fresh row-major array. */
export function permuteData(
  data: Float32Array,
  shape: readonly number[],
  order: readonly number[],
): Float32Array {
  return new Tensor(data, shape).permute(order).toFloat32Array();
}

/** The shape `shape` takes after `permuteData(..., order)`. */
export function permutedShape(shape: readonly number[], order: readonly number[]): number[] {
  return order.map((d) => shape[d]!);
}
