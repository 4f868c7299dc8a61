/**
 * Strided copies between tensors of one shape (any strides and offsets), the building block
 * of pad, cat, split and the layout changes (permute, pixel shuffle) that must materialise.
 * The innermost dimension is walked in a tight loop; the outer ones by an odometer.
 */
import { formatShape, ShapeError, shapeSize, type Tensor } from '@convkit/tensor';

/** Copies the elements of `source` into the view `target` (same shape; `target.data` is written). */
export function assignInto(target: Tensor, source: Tensor): void {
  if (target.shape.length !== source.shape.length || target.shape.some((d, i) => d !== source.shape[i])) {
    throw new ShapeError(
      `assignInto: target ${formatShape(target.shape)} and source ${formatShape(source.shape)} must have one shape`,
    );
  }
  const total = shapeSize(target.shape);
  if (total === 0) return;
  const rank = target.shape.length;
  if (rank === 0) {
    target.data[target.offset] = source.data[source.offset]!;
    return;
  }
  const inner = target.shape[rank - 1]!;
  const ts = target.strides[rank - 1]!;
  const ss = source.strides[rank - 1]!;
  const outer = total / inner;
  const idx = new Array<number>(rank - 1).fill(0);
  let t = target.offset;
  let s = source.offset;
  const td = target.data;
  const sd = source.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0, ti = t, si = s; i < inner; i++, ti += ts, si += ss) td[ti] = sd[si]!;
    // Odometer over the outer dims (rank - 2 down to 0).
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      t += target.strides[d]!;
      s += source.strides[d]!;
      if (idx[d]! < target.shape[d]!) break;
      t -= target.shape[d]! * target.strides[d]!;
      s -= source.shape[d]! * source.strides[d]!;
      idx[d] = 0;
    }
  }
}
