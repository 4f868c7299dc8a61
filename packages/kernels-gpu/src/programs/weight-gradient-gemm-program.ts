/**
 * weightGradientGemmProgram: the weight gradient as a tiled split-K GEMM per group, on the
 * tiled GEMM of ./tiled-gemm-program:
 *   gradWeight[g * A/groups + r, (b, tap)] = sum_t A[t, g * A/groups + r] * Bpad[t, g * B/groups + b, tap]
 *   t = (n, o) over N * prod(A's spatial size), the long reduction
 * For conv, A = gradOutput and B = input read through the padding mode (weight [C_out,
 * C_in/groups, k]); for convTranspose, A = input and B = gradOutput (weight [C_in,
 * C_out/groups, k]). The N * prod(out) depth is cut into `splits` chunks, each its own set of
 * workgroups writing partial sums (partial[split, weight]); `sumSplitsProgram` adds them.
 */
import type { ConvGeometry } from '@convkit/tensor';
import {
  activationStrides,
  liftGeometry,
  strideUniforms,
  type Triple,
  tripleUniforms,
} from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { GEMM_TILE, tiledGemmProgram } from './tiled-gemm-program';

/** Workgroups the split-K GEMM aims for, and the least depth a split should keep. */
const TARGET_WORKGROUPS = 256;
const MIN_SPLIT_DEPTH = 64;

/** Chunks of the reduction, from the tile count of one split and the depth (pure). */
export function weightGradientGemmSplits(tiles: number, depth: number): number {
  const byWorkgroups = Math.ceil(TARGET_WORKGROUPS / Math.max(1, tiles));
  const byDepth = Math.floor(depth / MIN_SPLIT_DEPTH);
  return Math.max(1, Math.min(byWorkgroups, byDepth, 1024));
}

/** The GEMM's shape for a geometry: rows, columns and depth per group, and its splits. */
export function weightGradientGemmShape(geometry: ConvGeometry) {
  const t = geometry.transposed;
  const aChannels = t ? geometry.inChannels : geometry.outChannels;
  const bChannels = t ? geometry.outChannels : geometry.inChannels;
  const rows = aChannels / geometry.groups;
  const columns = (bChannels / geometry.groups) * geometry.kernelVolume;
  const depth = geometry.batch * (t ? geometry.inputVolume : geometry.outputVolume);
  const tiles = Math.ceil(rows / GEMM_TILE.m) * Math.ceil(columns / GEMM_TILE.n) * geometry.groups;
  return { aChannels, bChannels, rows, columns, depth, splits: weightGradientGemmSplits(tiles, depth) };
}

export function weightGradientGemmProgram(geometry: ConvGeometry, splits: number): GpuProgram {
  const l = liftGeometry(geometry);
  const t = geometry.transposed;
  const { aChannels, bChannels, rows, columns, depth } = weightGradientGemmShape(geometry);
  const aSize: Triple = t ? l.inputSize : l.outputSize;
  const bSize: Triple = t ? l.outputSize : l.inputSize;
  return tiledGemmProgram({
    name: 'weight-gradient-gemm-splitk',
    variant: [geometry.paddingMode],
    bindings: [
      { name: 'a', access: 'read' },
      { name: 'b', access: 'read' },
      { name: 'partial', access: 'read_write' },
    ],
    rows,
    columns,
    depth,
    groups: geometry.groups,
    hasBias: false,
    customLoadB: true,
    splits,
    uniforms: [
      ['aPerGroup', rows],
      ['bPerGroup', bChannels / geometry.groups],
      ['kernelVolume', geometry.kernelVolume],
      ['weights', aChannels * columns],
      ...tripleUniforms('a', aSize),
      ...tripleUniforms('b', bSize),
      ...tripleUniforms('k', l.kernelSize),
      ...tripleUniforms('s', l.stride),
      ...tripleUniforms('dil', l.dilation),
      ...tripleUniforms('pad', l.padBefore),
      ...strideUniforms('as', activationStrides(geometry.layout, aChannels, aSize)),
      ...strideUniforms('bs', activationStrides(geometry.layout, bChannels, bSize)),
    ],
    helpers: `${paddedIndexFunction(geometry.paddingMode)}
// A'[r, t] = A[n, g * A/groups + r, o] with t = (n, o).
fn loadA(r: i32, t: i32, g: i32) -> f32 {
  if (r >= P.rows || t >= P.depth) { return 0.0; }
  var q = t;
  let ow = q % P.aW; q = q / P.aW;
  let oh = q % P.aH; q = q / P.aH;
  let od = q % P.aD;
  let n = q / P.aD;
  return a[n * P.asN + (g * P.aPerGroup + r) * P.asC + od * P.asD + oh * P.asH + ow * P.asW];
}

// B'[t, (b, tap)] = Bpad[n, g * B/groups + b, o * stride - padBefore + tap * dilation].
fn loadB(t: i32, j: i32, g: i32) -> f32 {
  if (t >= P.depth || j >= P.columns) { return 0.0; }
  var q = t;
  let ow = q % P.aW; q = q / P.aW;
  let oh = q % P.aH; q = q / P.aH;
  let od = q % P.aD;
  let n = q / P.aD;
  let bc = g * P.bPerGroup + j / P.kernelVolume;
  var tap = j % P.kernelVolume;
  let kw = tap % P.kW; tap = tap / P.kW;
  let kh = tap % P.kH;
  let kd = tap / P.kH;
  let pd = padded(od * P.sD - P.padD + kd * P.dilD, P.bD);
  let ph = padded(oh * P.sH - P.padH + kh * P.dilH, P.bH);
  let pw = padded(ow * P.sW - P.padW + kw * P.dilW, P.bW);
  if (pd < 0 || ph < 0 || pw < 0) { return 0.0; }
  return b[n * P.bsN + bc * P.bsC + pd * P.bsD + ph * P.bsH + pw * P.bsW];
}

// The partial sum of split s for weight (g * A/groups + r, column).
fn store(r: i32, co: i32, split: i32, value: f32) {
  let g = co / P.columns;
  let column = co % P.columns;
  partial[split * P.weights + (g * P.aPerGroup + r) * P.columns + column] = value;
}
`,
  });
}
