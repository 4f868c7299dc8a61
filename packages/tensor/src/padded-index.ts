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
import { PADDING_MODES, type PaddingMode } from './conv-geometry';
import { formatValue } from './describe-value';
import { ArgumentError } from './errors';

/**
 * The input index that padded position `position` reads, or -1 for a zero of the padding.
 * Positions further out than one input length are mapped by repeating the rule (reflect
 * mirrors again, with period 2 * (size - 1)), so the result always lies in [0, size) or is -1.
 */
export function paddedIndex(position: number, size: number, mode: PaddingMode): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
    throw new ArgumentError(`paddedIndex: size must be a positive integer, got ${formatValue(size)}`);
  }
  if (typeof position !== 'number' || !Number.isSafeInteger(position)) {
    throw new ArgumentError(`paddedIndex: position must be an integer, got ${formatValue(position)}`);
  }
  if (position >= 0 && position < size) return position;
  switch (mode) {
    case 'zeros':
      return -1;
    case 'reflect': {
      if (size === 1) return 0;
      const period = 2 * (size - 1);
      const folded = ((position % period) + period) % period;
      return folded < size ? folded : period - folded;
    }
    case 'replicate':
      return position < 0 ? 0 : size - 1;
    case 'circular':
      return ((position % size) + size) % size;
    default:
      throw new ArgumentError(
        `paddedIndex: mode must be one of ${PADDING_MODES.map((m) => `'${m}'`).join(', ')}, got ${formatValue(mode)}`,
      );
  }
}
