/**
 * layer-batch-norm: the per-channel loops of batch normalisation on channels-first
 * activations [N, C, inner] (inner = the product of the spatial sizes). Every (n, c) plane is
 * `inner` contiguous floats, so each loop runs n outer, then one plane at a time, four lanes
 * per vector load and a scalar tail; no index arithmetic inside a plane.
 *
 *   batchNormMoments   sums[2c] += sum(x - shift[c]), sums[2c + 1] += sum((x - shift[c])^2)
 *   batchNormDotSums   sums[2c] += sum(g), sums[2c + 1] += sum(g * (x - shift[c]))
 *   batchNormAffine    y = (x - coef[3c]) * coef[3c + 1] + coef[3c + 2]
 *   batchNormGradient  out = g * coef[4c] + (x - coef[4c + 2]) * coef[4c + 1] + coef[4c + 3]
 *
 * The sums are float64 across blocks (a channel of the Fashion-MNIST model has 100,352
 * values; one float32 sum of that many drifts well past 1e-4): float32 vector partial sums
 * over blocks of at most 128 values (16 per lane and accumulator), each block's total added
 * into a float64 one. The shift (the channel's first value for the moments, its mean for the
 * dot product) keeps the values near zero, so no block sum cancels: sum(g * (x - mean)) is
 * summed as such, not as sum(g * x) - mean * sum(g). Summing in f64x2 lanes directly (each
 * f32x4 promoted to two halves) was bound by the f64 adds: 1.5 ms on [128, 32, 28, 28]
 * against 0.6 for the float32 blocks (min of 20, load 3).
 * The element-wise maps are float32, written around (x - mean) rather than as
 * x * scale + (bias - mean * scale), which would cancel when |mean| is large against the
 * spread. `fma` is the relaxed build's fused multiply-add, mul + add in the plain one.
 * The sums accumulate: the caller zeroes them, then may run a tensor in chunks of samples or
 * of one sample's channels (src/wasm/layer-chunks.ts), each plane added in the same order.
 * Pointers are byte offsets; sums are f64, coefficients f32; `out` may be `g` (read first).
 */
// @ts-nocheck: AssemblyScript source.
import { fma } from './fma';

@inline
function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 2, 3);
}

/** Float32 partial sums run over at most this many values per lane before joining the f64 sums. */
const BLOCK: i32 = 128;

/**
 * Sums over one plane of f(v) and h(v) in float32 blocks of BLOCK values (two vector
 * accumulators of each, so consecutive adds do not wait on each other), each block's four
 * lanes added into the float64 totals at `acc` (f64 sum of f, f64 sum of h). `mode` 0:
 * f = x - k, h = (x - k)^2; mode 1: f = g, h = g * (x - k) (g at `gp`). Returns nothing: the
 * totals are updated in place.
 */
@inline
function planeSums(mode: i32, gp: usize, xp: usize, inner: i32, k: f32, acc: usize): void {
  const kv = f32x4.splat(k);
  const pairEnd = inner & ~7;
  let s: f64 = 0;
  let h: f64 = 0;
  let i = 0;
  while (i < pairEnd) {
    const stop = min(i + BLOCK, pairEnd);
    let fa = f32x4.splat(0);
    let fb = f32x4.splat(0);
    let ha = f32x4.splat(0);
    let hb = f32x4.splat(0);
    for (; i < stop; i += 8) {
      const o = <usize>i << 2;
      const da = f32x4.sub(v128.load(xp + o), kv);
      const db = f32x4.sub(v128.load(xp + o + 16), kv);
      if (mode == 0) {
        fa = f32x4.add(fa, da);
        fb = f32x4.add(fb, db);
        ha = fma(da, da, ha);
        hb = fma(db, db, hb);
      } else {
        const ga = v128.load(gp + o);
        const gb = v128.load(gp + o + 16);
        fa = f32x4.add(fa, ga);
        fb = f32x4.add(fb, gb);
        ha = fma(ga, da, ha);
        hb = fma(gb, db, hb);
      }
    }
    const f = f32x4.add(fa, fb);
    const q = f32x4.add(ha, hb);
    const f2 = f64x2.add(f64x2.promote_low_f32x4(f), f64x2.promote_low_f32x4(highHalf(f)));
    const q2 = f64x2.add(f64x2.promote_low_f32x4(q), f64x2.promote_low_f32x4(highHalf(q)));
    s += f64x2.extract_lane(f2, 0) + f64x2.extract_lane(f2, 1);
    h += f64x2.extract_lane(q2, 0) + f64x2.extract_lane(q2, 1);
  }
  for (; i < inner; i++) {
    const d = <f64>load<f32>(xp + (<usize>i << 2)) - <f64>k;
    if (mode == 0) {
      s += d;
      h += d * d;
    } else {
      const g = <f64>load<f32>(gp + (<usize>i << 2));
      s += g;
      h += g * d;
    }
  }
  store<f64>(acc, load<f64>(acc) + s);
  store<f64>(acc + 8, load<f64>(acc + 8) + h);
}

export function batchNormMoments(x: usize, batch: i32, channels: i32, inner: i32, shifts: usize, sums: usize): void {
  const planeBytes = <usize>inner << 2;
  for (let c = 0; c < channels; c++) {
    const k = load<f32>(shifts + (<usize>c << 2));
    const acc = sums + (<usize>c << 4);
    for (let n = 0; n < batch; n++) planeSums(0, 0, x + <usize>(n * channels + c) * planeBytes, inner, k, acc);
  }
}

export function batchNormDotSums(
  g: usize,
  x: usize,
  batch: i32,
  channels: i32,
  inner: i32,
  shifts: usize,
  sums: usize,
): void {
  const planeBytes = <usize>inner << 2;
  for (let c = 0; c < channels; c++) {
    const k = load<f32>(shifts + (<usize>c << 2));
    const acc = sums + (<usize>c << 4);
    for (let n = 0; n < batch; n++) {
      const at = <usize>(n * channels + c) * planeBytes;
      planeSums(1, g + at, x + at, inner, k, acc);
    }
  }
}

export function batchNormAffine(x: usize, batch: i32, channels: i32, inner: i32, coef: usize, y: usize): void {
  const vecEnd = inner & ~3;
  const planeBytes = <usize>inner << 2;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const cp = coef + <usize>c * 12;
      const m = load<f32>(cp);
      const k = load<f32>(cp + 4);
      const b = load<f32>(cp + 8);
      const mv = f32x4.splat(m);
      const kv = f32x4.splat(k);
      const bv = f32x4.splat(b);
      const at = <usize>(n * channels + c) * planeBytes;
      const xp = x + at;
      const yp = y + at;
      let i = 0;
      for (; i < vecEnd; i += 4) {
        const o = <usize>i << 2;
        v128.store(yp + o, fma(f32x4.sub(v128.load(xp + o), mv), kv, bv));
      }
      for (; i < inner; i++) {
        const o = <usize>i << 2;
        store<f32>(yp + o, (load<f32>(xp + o) - m) * k + b);
      }
    }
  }
}

export function batchNormGradient(
  g: usize,
  x: usize,
  batch: i32,
  channels: i32,
  inner: i32,
  coef: usize,
  out: usize,
): void {
  const vecEnd = inner & ~3;
  const planeBytes = <usize>inner << 2;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const cp = coef + (<usize>c << 4);
      const a = load<f32>(cp);
      const b = load<f32>(cp + 4);
      const m = load<f32>(cp + 8);
      const d = load<f32>(cp + 12);
      const av = f32x4.splat(a);
      const bv = f32x4.splat(b);
      const mv = f32x4.splat(m);
      const dv = f32x4.splat(d);
      const at = <usize>(n * channels + c) * planeBytes;
      const gp = g + at;
      const xp = x + at;
      const op = out + at;
      let i = 0;
      for (; i < vecEnd; i += 4) {
        const o = <usize>i << 2;
        const xm = f32x4.sub(v128.load(xp + o), mv);
        v128.store(op + o, fma(v128.load(gp + o), av, fma(xm, bv, dv)));
      }
      for (; i < inner; i++) {
        const o = <usize>i << 2;
        store<f32>(op + o, load<f32>(gp + o) * a + ((load<f32>(xp + o) - m) * b + d));
      }
    }
  }
}
