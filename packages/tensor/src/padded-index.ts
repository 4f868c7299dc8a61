/**
 * paddedIndex: where a position of the padded input reads from. PyTorch implements the
 * padding modes by padding explicitly (torch.nn.functional.pad) and then convolving with
 * zero padding; the reference kernels and the im2col lowering do the same by index mapping instead of a copy.
 * For an input of size n and a position p (negative before the input, >= n after it):
 *   zeros      outside -> -1 (the value there is 0)
 *   reflect    mirror about the edge without repeating it: -1 -> 1, n -> n - 2
 *   replicate  clamp to the edge: -3 -> 0, n + 2 -> n - 1
 *   circular   wrap around: -1 -> n - 1, n -> 0
 * convGeometry guarantees reflect padding < n and circular padding <= n, so one mirror or
 * one wrap is enough.
 */
import type { PaddingMode } from './conv-geometry';

/** The input index that padded position `position` reads, or -1 for a zero of the padding. */
export function paddedIndex(position: number, size: number, mode: PaddingMode): number {
  if (position >= 0 && position < size) return position;
  switch (mode) {
    case 'zeros':
      return -1;
    case 'reflect':
      return position < 0 ? -position : 2 * (size - 1) - position;
    case 'replicate':
      return position < 0 ? 0 : size - 1;
    case 'circular':
      return ((position % size) + size) % size;
  }
}
