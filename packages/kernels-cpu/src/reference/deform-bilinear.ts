/**
 * The bilinear sampling rule of deformable convolution, exactly as torchvision's CPU kernel
 * (`torchvision/csrc/ops/cpu/deform_conv2d_kernel.cpp`, 0.14: `bilinear_interpolate`,
 * `deformable_col2im_kernel`, `get_coordinate_weight`), evaluated in float64.
 *
 * For a fractional position (y, x) in an H x W plane with y0 = floor(y), x0 = floor(x),
 * ly = y - y0, lx = x - x0:
 *   sample(y, x) = 0                                   if y <= -1, y >= H, x <= -1 or x >= W
 *                = (1-ly)(1-lx) v(y0,x0) + (1-ly) lx v(y0,x0+1)
 *                  + ly (1-lx) v(y0+1,x0) + ly lx v(y0+1,x0+1)   otherwise,
 * where a corner outside the plane reads 0 (zero padding).
 *   d sample / dy = (1-lx) (v(y0+1,x0) - v(y0,x0)) + lx (v(y0+1,x0+1) - v(y0,x0+1))
 *   d sample / dx = (1-ly) (v(y0,x0+1) - v(y0,x0)) + ly (v(y0+1,x0+1) - v(y0+1,x0))
 * The coordinate gradient has no range test (torchvision's rule): it is the derivative from
 * the right at integer positions, and at y = -1 or x = -1 it is the derivative of the
 * branch just inside, while sample() itself is 0 there.
 */

/** A plane of numbers read at `base + row * width + col` (float32 storage or float64 scratch). */
export type PlaneData = ArrayLike<number>;

/** Corner value with zero padding outside the H x W plane. */
function corner(
  data: PlaneData,
  base: number,
  height: number,
  width: number,
  row: number,
  col: number,
): number {
  return row >= 0 && row < height && col >= 0 && col < width ? data[base + row * width + col]! : 0;
}

/** The value of the plane at fractional (y, x), torchvision's `bilinear_interpolate`. */
export function deformBilinearSample(
  data: PlaneData,
  base: number,
  height: number,
  width: number,
  y: number,
  x: number,
): number {
  if (y <= -1 || y >= height || x <= -1 || x >= width) return 0;
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const ly = y - y0;
  const lx = x - x0;
  return (
    (1 - ly) * (1 - lx) * corner(data, base, height, width, y0, x0) +
    (1 - ly) * lx * corner(data, base, height, width, y0, x0 + 1) +
    ly * (1 - lx) * corner(data, base, height, width, y0 + 1, x0) +
    ly * lx * corner(data, base, height, width, y0 + 1, x0 + 1)
  );
}

/**
 * The adjoint of `deformBilinearSample`: adds `value` times each corner's bilinear weight to
 * `grad` (torchvision's `deformable_col2im_kernel`, which reaches the same corners).
 */
export function deformBilinearScatter(
  grad: Float64Array,
  base: number,
  height: number,
  width: number,
  y: number,
  x: number,
  value: number,
): void {
  if (y <= -1 || y >= height || x <= -1 || x >= width) return;
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const ly = y - y0;
  const lx = x - x0;
  // Corners outside the plane take nothing, as they gave nothing.
  const inRow0 = y0 >= 0;
  const inRow1 = y0 + 1 < height;
  const inCol0 = x0 >= 0;
  const inCol1 = x0 + 1 < width;
  const at = base + y0 * width + x0;
  if (inRow0 && inCol0) grad[at]! += value * (1 - ly) * (1 - lx);
  if (inRow0 && inCol1) grad[at + 1]! += value * (1 - ly) * lx;
  if (inRow1 && inCol0) grad[at + width]! += value * ly * (1 - lx);
  if (inRow1 && inCol1) grad[at + width + 1]! += value * ly * lx;
}

/**
 * d sample / dy and d sample / dx at (y, x), written to `out[0]` and `out[1]`
 * (torchvision's `get_coordinate_weight`, including its behaviour at the border).
 */
export function deformBilinearCoordinateGradient(
  data: PlaneData,
  base: number,
  height: number,
  width: number,
  y: number,
  x: number,
  out: Float64Array,
): void {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const ly = y - y0;
  const lx = x - x0;
  const v00 = corner(data, base, height, width, y0, x0);
  const v01 = corner(data, base, height, width, y0, x0 + 1);
  const v10 = corner(data, base, height, width, y0 + 1, x0);
  const v11 = corner(data, base, height, width, y0 + 1, x0 + 1);
  out[0] = (1 - lx) * (v10 - v00) + lx * (v11 - v01);
  out[1] = (1 - ly) * (v01 - v00) + ly * (v11 - v10);
}
