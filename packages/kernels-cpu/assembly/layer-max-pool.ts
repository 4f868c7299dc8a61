/**
 * layer-max-pool: 2x2 max pooling at stride 2 with its argmax on channels-first planes
 * (`planes` = N * C planes of IH x IW, output OH x OW = floor(IH / 2) x floor(IW / 2)), four
 * outputs per vector: two loads per input row (eight columns) split into even and odd columns
 * by shuffles, then the window's tournament, (a, b) and (c, d), then the two winners, as lane
 * masks: `v` replaces `u` when v > u, or v is NaN and u is not. Ties keep the earlier element
 * and the first NaN sticks, so the value and index are those of a scan in window order (the
 * first of equal maxima; NaN propagates), as PyTorch's kernel picks them. bitselect moves the
 * winning value's bits unchanged (-0 stays -0). The index is the flat position inside the
 * plane, (2 oh + dy) * IW + 2 ow + dx, as an i32. A row's windows past the last multiple of
 * four run as its last four again (overlapping), or one at a time in rows under four windows.
 */
// @ts-nocheck: AssemblyScript source.

@inline
function replacesMask(u: v128, v: v128): v128 {
  return v128.or(f32x4.gt(v, u), v128.andnot(f32x4.ne(v, v), f32x4.ne(u, u)));
}

@inline
function replaces(u: f32, v: f32): bool {
  return v > u || (v != v && u == u);
}

/** The four windows of output columns ow .. ow + 3 of one output row (q: the first one's output index). */
@inline
function fourWindows(top: usize, IW: i32, rowAt: i32, ow: i32, y: usize, argmax: usize, q: usize): void {
  const bottom = top + (<usize>IW << 2);
  const o = <usize>(2 * ow) << 2;
  const t0 = v128.load(top + o);
  const t1 = v128.load(top + o + 16);
  const b0 = v128.load(bottom + o);
  const b1 = v128.load(bottom + o + 16);
  const a = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6);
  const b = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
  const c = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
  const d = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
  const ia = i32x4.add(i32x4.splat(rowAt + 2 * ow), i32x4(0, 2, 4, 6));
  const ic = i32x4.add(ia, i32x4.splat(IW));
  const one = i32x4.splat(1);
  const mt = replacesMask(a, b);
  const mb = replacesMask(c, d);
  const u = v128.bitselect(b, a, mt);
  const v = v128.bitselect(d, c, mb);
  const iu = v128.bitselect(i32x4.add(ia, one), ia, mt);
  const iv = v128.bitselect(i32x4.add(ic, one), ic, mb);
  const m = replacesMask(u, v);
  v128.store(y + (q << 2), v128.bitselect(v, u, m));
  v128.store(argmax + (q << 2), v128.bitselect(iv, iu, m));
}

export function maxPool2x2(x: usize, planes: i32, IH: i32, IW: i32, y: usize, argmax: usize): void {
  const OH = IH >> 1;
  const OW = IW >> 1;
  const vecEnd = OW & ~3;
  let q: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + ((<usize>p * <usize>IH * <usize>IW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const rowAt = 2 * oh * IW;
      const top = plane + (<usize>rowAt << 2);
      let ow = 0;
      for (; ow < vecEnd; ow += 4) fourWindows(top, IW, rowAt, ow, y, argmax, q + <usize>ow);
      if (ow < OW && OW >= 4) {
        // The last columns as the row's last four windows again (the overlap is rewritten with
        // the same values): OW = 7 (14-wide rows) has three of its seven past vecEnd.
        fourWindows(top, IW, rowAt, OW - 4, y, argmax, q + <usize>(OW - 4));
        ow = OW;
      }
      const bottom = top + (<usize>IW << 2);
      for (; ow < OW; ow++) {
        const col = 2 * ow;
        const o = <usize>col << 2;
        const a = load<f32>(top + o);
        const b = load<f32>(top + o + 4);
        const c = load<f32>(bottom + o);
        const d = load<f32>(bottom + o + 4);
        let u = a;
        let iu = rowAt + col;
        if (replaces(a, b)) {
          u = b;
          iu++;
        }
        let v = c;
        let iv = rowAt + IW + col;
        if (replaces(c, d)) {
          v = d;
          iv++;
        }
        if (replaces(u, v)) {
          u = v;
          iu = iv;
        }
        store<f32>(y + ((q + <usize>ow) << 2), u);
        store<i32>(argmax + ((q + <usize>ow) << 2), iu);
      }
      q += <usize>OW;
    }
  }
}

/** The gradient over the four windows of output columns ow .. ow + 3 (q: the first one's index). */
@inline
function fourWindowsBackward(g: usize, argmax: usize, top: usize, IW: i32, rowAt: i32, ow: i32, q: usize): void {
  const at = q << 2;
  const gv = v128.load(g + at);
  const iv = v128.load(argmax + at);
  const ia = i32x4.add(i32x4.splat(rowAt + 2 * ow), i32x4(0, 2, 4, 6));
  const ic = i32x4.add(ia, i32x4.splat(IW));
  const one = i32x4.splat(1);
  const zero = f32x4.splat(0);
  const a = v128.bitselect(gv, zero, i32x4.eq(iv, ia));
  const b = v128.bitselect(gv, zero, i32x4.eq(iv, i32x4.add(ia, one)));
  const c = v128.bitselect(gv, zero, i32x4.eq(iv, ic));
  const d = v128.bitselect(gv, zero, i32x4.eq(iv, i32x4.add(ic, one)));
  const bottom = top + (<usize>IW << 2);
  const o = <usize>(2 * ow) << 2;
  v128.store(top + o, v128.shuffle<f32>(a, b, 0, 4, 1, 5));
  v128.store(top + o + 16, v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  v128.store(bottom + o, v128.shuffle<f32>(c, d, 0, 4, 1, 5));
  v128.store(bottom + o + 16, v128.shuffle<f32>(c, d, 2, 6, 3, 7));
}

/**
 * The gradient of maxPool2x2 when the windows tile the input (IH, IW even): every input
 * element is in one window and gets g there if it is the window's argmax, else 0, written as
 * whole rows (four windows: two vectors per input row, values picked by lane masks of
 * argmax == position, interleaved back by shuffles), so nothing needs clearing first.
 */
export function maxPool2x2Backward(g: usize, argmax: usize, planes: i32, IH: i32, IW: i32, gx: usize): void {
  const OH = IH >> 1;
  const OW = IW >> 1;
  const vecEnd = OW & ~3;
  let q: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = gx + ((<usize>p * <usize>IH * <usize>IW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const rowAt = 2 * oh * IW;
      const top = plane + (<usize>rowAt << 2);
      const bottom = top + (<usize>IW << 2);
      let ow = 0;
      for (; ow < vecEnd; ow += 4) fourWindowsBackward(g, argmax, top, IW, rowAt, ow, q + <usize>ow);
      if (ow < OW && OW >= 4) {
        fourWindowsBackward(g, argmax, top, IW, rowAt, OW - 4, q + <usize>(OW - 4));
        ow = OW;
      }
      for (; ow < OW; ow++) {
        const gs = load<f32>(g + ((q + <usize>ow) << 2));
        const k = load<i32>(argmax + ((q + <usize>ow) << 2));
        const col = 2 * ow;
        const o = <usize>col << 2;
        store<f32>(top + o, k == rowAt + col ? gs : 0);
        store<f32>(top + o + 4, k == rowAt + col + 1 ? gs : 0);
        store<f32>(bottom + o, k == rowAt + IW + col ? gs : 0);
        store<f32>(bottom + o + 4, k == rowAt + IW + col + 1 ? gs : 0);
      }
      q += <usize>OW;
    }
  }
}
