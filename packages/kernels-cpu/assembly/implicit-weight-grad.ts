/**
 * implicit-weight-grad: the weight gradient of a convolution, gW[co, k] = sum over output
 * positions p of gy[co, p] * cols[k, p], computed straight from the (padded, phase-split)
 * input of ./implicit-gemm.ts (cols[k, p] is the float at x + rowBase(p) + table[k] + 4 ow)
 * and the output gradient, both read in place along output rows: no column matrix, no packed
 * panels, no transposed copy of gy.
 *
 * Register tile: 4 output channels x 2 K rows, 8 f32x4 accumulators over 4 consecutive output
 * positions; a step loads 4 vectors of gy and 2 of the input (6 loads for 8 multiply-adds, as
 * the GEMM's micro-kernel) and runs along each output row; a row's last 1-3 positions are one
 * more step with the gy lanes past the row masked to zero. The accumulators are folded into
 * float64 sums (gw64, [m][depth]) after at least FOLD_STEPS steps and at the end of a plane, so
 * chains over large planes and batches stay short in float32. Tiles past m or depth reuse row 0
 * and are not stored. Suits small K (a first layer's few input channels): the packed route's
 * GEMM there is a few rows of A, and its B is a transposed gather of gy.
 */
// @ts-nocheck: AssemblyScript source.
import { fma } from './fma';

/** Steps (4 positions each) of float32 accumulation between folds into float64. */
const FOLD_STEPS: i32 = 64;

// @ts-expect-error: decorator
@inline function param(params: usize, slot: i32): i32 {
  return load<i32>(params + (<usize>slot << 2));
}

// @ts-expect-error: decorator
@inline function hsum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>(f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** gw64[co, k] += the tile's accumulator for (co, k), where co < m and k < depth. */
// @ts-expect-error: decorator
@inline function fold(gw: usize, co: i32, k: i32, m: i32, depth: i32, v: v128): void {
  if (co < m && k < depth) {
    const at = gw + (<usize>(co * depth + k) << 3);
    store<f64>(at, load<f64>(at) + hsum(v));
  }
}

/**
 * gw64[m x depth] += gy[m x positions] * cols^T for one sample and group. params: the
 * parameter block of implicitProduct (rows, cols, rowStep, planeRows, sliceStep, ldy = bytes
 * between gy's channel rows); x: the group's first input plane; table: depth u32 byte offsets;
 * gy: the group's first output-gradient row. Reads may reach 3 floats past a row's last
 * position in gy and the input (the caller leaves readable slack).
 */
export function implicitWeightGrad(params: usize, m: i32, depth: i32, x: usize, table: usize, gy: usize, gw: usize): void {
  const rows = param(params, 0);
  const cols = param(params, 1);
  const rowStep = <usize>param(params, 2);
  const planeRows = param(params, 3);
  const sliceStep = <usize>param(params, 4);
  const ldy = <usize>param(params, 5);
  const full = cols & ~3;
  const rest = cols - full;
  const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rest));
  for (let co = 0; co < m; co += 4) {
    // Rows past m read row 0 (their sums are never stored).
    const g0 = gy + <usize>co * ldy;
    const g1 = co + 1 < m ? g0 + ldy : g0;
    const g2 = co + 2 < m ? g0 + 2 * ldy : g0;
    const g3 = co + 3 < m ? g0 + 3 * ldy : g0;
    for (let k = 0; k < depth; k += 2) {
      const o0 = <usize>load<u32>(table + (<usize>k << 2));
      const o1 = k + 1 < depth ? <usize>load<u32>(table + (<usize>(k + 1) << 2)) : o0;
      let a00 = f32x4.splat(0);
      let a01 = f32x4.splat(0);
      let a10 = f32x4.splat(0);
      let a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0);
      let a21 = f32x4.splat(0);
      let a30 = f32x4.splat(0);
      let a31 = f32x4.splat(0);
      let steps = 0;
      let out: usize = 0;
      let sliceRow = x;
      let row = x;
      let inSlice = 0;
      for (let r = 0; r < rows; r++) {
        if (inSlice == planeRows) {
          sliceRow += sliceStep;
          row = sliceRow;
          inSlice = 0;
        }
        const x0 = row + o0;
        const x1 = row + o1;
        let j = 0;
        for (; j < full; j += 4) {
          const q = <usize>j << 2;
          const v0 = v128.load(x0 + q);
          const v1 = v128.load(x1 + q);
          let y = v128.load(g0 + out + q);
          a00 = fma(y, v0, a00);
          a01 = fma(y, v1, a01);
          y = v128.load(g1 + out + q);
          a10 = fma(y, v0, a10);
          a11 = fma(y, v1, a11);
          y = v128.load(g2 + out + q);
          a20 = fma(y, v0, a20);
          a21 = fma(y, v1, a21);
          y = v128.load(g3 + out + q);
          a30 = fma(y, v0, a30);
          a31 = fma(y, v1, a31);
        }
        if (rest != 0) {
          // Lanes past the row: zero on both sides (0 * 0, never 0 * whatever lies there).
          const q = <usize>j << 2;
          const v0 = v128.and(v128.load(x0 + q), keep);
          const v1 = v128.and(v128.load(x1 + q), keep);
          let y = v128.and(v128.load(g0 + out + q), keep);
          a00 = fma(y, v0, a00);
          a01 = fma(y, v1, a01);
          y = v128.and(v128.load(g1 + out + q), keep);
          a10 = fma(y, v0, a10);
          a11 = fma(y, v1, a11);
          y = v128.and(v128.load(g2 + out + q), keep);
          a20 = fma(y, v0, a20);
          a21 = fma(y, v1, a21);
          y = v128.and(v128.load(g3 + out + q), keep);
          a30 = fma(y, v0, a30);
          a31 = fma(y, v1, a31);
        }
        out += <usize>cols << 2;
        row += rowStep;
        inSlice++;
        steps += (cols + 3) >> 2;
        if (steps >= FOLD_STEPS || r == rows - 1) {
          fold(gw, co, k, m, depth, a00);
          fold(gw, co, k + 1, m, depth, a01);
          fold(gw, co + 1, k, m, depth, a10);
          fold(gw, co + 1, k + 1, m, depth, a11);
          fold(gw, co + 2, k, m, depth, a20);
          fold(gw, co + 2, k + 1, m, depth, a21);
          fold(gw, co + 3, k, m, depth, a30);
          fold(gw, co + 3, k + 1, m, depth, a31);
          a00 = f32x4.splat(0);
          a01 = f32x4.splat(0);
          a10 = f32x4.splat(0);
          a11 = f32x4.splat(0);
          a20 = f32x4.splat(0);
          a21 = f32x4.splat(0);
          a30 = f32x4.splat(0);
          a31 = f32x4.splat(0);
          steps = 0;
        }
      }
    }
  }
}
