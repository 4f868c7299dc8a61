/**
 * convRowBand: a convolution cut into bands of output rows, for running the bands apart (the
 * CPU worker pool does). Band [rowStart, rowEnd) of the outermost spatial dim of a
 * (non-transposed) convolution reads input rows [inputStart, inputEnd) only, with its own
 * padding at the two ends: output row r reads input rows r * stride - padBefore + i * dilation
 * (i < k), so the band reads from first = rowStart * stride - padBefore to
 * last = (rowEnd - 1) * stride - padBefore + (k - 1) * dilation, clipped to the input; what
 * the clipping cut off becomes the band's zero padding. The band's convolution then has exactly
 * rowEnd - rowStart output rows (floor((last - first - (k - 1) * dilation) / stride) + 1).
 * Zero padding only: other padding modes read real rows where a band's edge needs zeros.
 */

import type { ConvGeometry } from './conv-geometry';
import { ArgumentError } from './errors';

export interface ConvRowBand {
  /** The output rows of the band (outermost spatial dim). */
  rowStart: number;
  rowEnd: number;
  /** The input rows it reads. */
  inputStart: number;
  inputEnd: number;
  /** The band's padding before and after on that dim (zeros). */
  padBefore: number;
  padAfter: number;
}

/** The band of output rows [rowStart, rowEnd) of `geometry` (see the module comment). */
export function convRowBand(geometry: ConvGeometry, rowStart: number, rowEnd: number): ConvRowBand {
  const rows = geometry.outputSpatial[0]!;
  if (geometry.transposed || geometry.paddingMode !== 'zeros') {
    throw new ArgumentError(
      `convRowBand: bands are defined for convolutions with zero padding, got ${geometry.transposed ? 'a transposed convolution' : `paddingMode '${geometry.paddingMode}'`}`,
    );
  }
  if (
    !Number.isInteger(rowStart) ||
    !Number.isInteger(rowEnd) ||
    rowStart < 0 ||
    rowEnd > rows ||
    rowStart >= rowEnd
  ) {
    throw new ArgumentError(
      `convRowBand: rows must satisfy 0 <= rowStart < rowEnd <= ${rows} (the output rows), got [${rowStart}, ${rowEnd})`,
    );
  }
  const stride = geometry.stride[0]!;
  const reach = (geometry.kernelSize[0]! - 1) * geometry.dilation[0]!;
  const size = geometry.inputSpatial[0]!;
  const first = rowStart * stride - geometry.padBefore[0]!;
  const last = (rowEnd - 1) * stride - geometry.padBefore[0]! + reach;
  const inputStart = Math.min(size, Math.max(0, first));
  const inputEnd = Math.max(inputStart, Math.min(size, last + 1));
  return {
    rowStart,
    rowEnd,
    inputStart,
    inputEnd,
    padBefore: inputStart - first,
    padAfter: last + 1 - inputEnd,
  };
}

/**
 * Splits the output rows into at most `parts` bands of near-equal size whose input slices are
 * not empty (a band that would read only padding joins its neighbour). Returns [] when the
 * geometry cannot be banded (transposed, padding mode other than zeros).
 */
export function convRowBands(geometry: ConvGeometry, parts: number): ConvRowBand[] {
  if (geometry.transposed || geometry.paddingMode !== 'zeros') return [];
  const rows = geometry.outputSpatial[0]!;
  const count = Math.max(1, Math.min(parts, rows));
  const bands: ConvRowBand[] = [];
  let start = 0;
  for (let b = 0; b < count; b++) {
    const end = b === count - 1 ? rows : Math.round(((b + 1) * rows) / count);
    if (end <= start) continue;
    const band = convRowBand(geometry, start, end);
    if (band.inputEnd > band.inputStart) {
      bands.push(band);
      start = end;
    }
  }
  if (start < rows) {
    // The last rows read only padding: fold them into the last band that reads input.
    const last = bands.pop();
    if (last === undefined) return [];
    bands.push(convRowBand(geometry, last.rowStart, rows));
  }
  return bands;
}
