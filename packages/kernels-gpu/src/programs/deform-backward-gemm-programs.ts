/**
 * The GEMM halves of deformable convolution's backward pass, on the tiled GEMM of
 * ./tiled-gemm-program (the scatter into gradInput and the offset/mask reductions stay the
 * direct kernels of ./deform-backward-programs, reading the patch gradient these write):
 *   patch gradient, per group g:  colGrad[(n, o), (c, tap)] = sum_co gradOut[n, g * C_out/groups + co, o] * w[g * C_out/groups + co, c, tap]
 *   weight gradient, split-K:     gradWeight[co, (c, tap)] = sum_(n, o) gradOut[n, co, o] * mask * sample(input[n, g * C_in/groups + c], y, x)
 * with the bilinear sampling (torchvision's rule, ./deform-wgsl) fused into the load of B.
 */
import type { ConvGeometry } from '@convkit/tensor';
import type { GpuProgram } from '../program';
import { deformHelpers, deformUniforms } from './deform-wgsl';
import { GEMM_TILE, tiledGemmProgram } from './tiled-gemm-program';

/** colGrad [N, C_in, kh * kw, Ho * Wo] = W^T gradOutput per group, as a GEMM. */
export function deformColumnGradientGemmProgram(geometry: ConvGeometry): GpuProgram {
  return tiledGemmProgram({
    name: 'deform-column-gradient-gemm',
    variant: [],
    bindings: [
      { name: 'gy', access: 'read' },
      { name: 'w', access: 'read' },
      { name: 'colGrad', access: 'read_write' },
    ],
    rows: geometry.batch * geometry.outputVolume,
    columns: geometry.inChannelsPerGroup * geometry.kernelVolume,
    depth: geometry.outChannelsPerGroup,
    groups: geometry.groups,
    hasBias: false,
    customLoadB: true,
    uniforms: deformUniforms(geometry),
    helpers: `
// A[(n, o), co] = gradOut[n, g * C_out/groups + co, o].
fn loadA(m: i32, k: i32, g: i32) -> f32 {
  if (m >= P.rows || k >= P.depth) { return 0.0; }
  let outPlane = P.outH * P.outW;
  return gy[((m / outPlane) * P.outChannels + g * P.outPerGroup + k) * outPlane + m % outPlane];
}

// B[co, (c, tap)] = w[g * C_out/groups + co, c, tap].
fn loadB(k: i32, j: i32, g: i32) -> f32 {
  if (k >= P.depth || j >= P.columns) { return 0.0; }
  return w[(g * P.outPerGroup + k) * P.columns + j];
}

fn store(m: i32, cj: i32, split: i32, value: f32) {
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let g = cj / P.columns;
  let j = cj % P.columns;
  let c = g * P.inPerGroup + j / taps;
  colGrad[(((m / outPlane) * P.inChannels + c) * taps + j % taps) * outPlane + m % outPlane] = value;
}
`,
  });
}

/** The split-K GEMM's splits for deformable gradWeight: about 256 workgroups, >= 64 terms a split. */
export function deformWeightGradientGemmSplits(geometry: ConvGeometry): number {
  const columns = geometry.inChannelsPerGroup * geometry.kernelVolume;
  const tiles =
    Math.ceil(geometry.outChannelsPerGroup / GEMM_TILE.m) *
    Math.ceil(columns / GEMM_TILE.n) *
    geometry.groups;
  const depth = geometry.batch * geometry.outputVolume;
  return Math.max(1, Math.min(Math.ceil(256 / tiles), Math.floor(depth / 64), 1024));
}

/** partial[s, co, c, tap]: the split-K GEMM of gradOut and the modulated samples. */
export function deformWeightGradientGemmProgram(
  geometry: ConvGeometry,
  hasMask: boolean,
  splits: number,
): GpuProgram {
  const columns = geometry.inChannelsPerGroup * geometry.kernelVolume;
  return tiledGemmProgram({
    name: 'deform-weight-gradient-gemm-splitk',
    variant: [hasMask ? 'mask' : 'nomask'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'offset', access: 'read' },
      ...(hasMask ? [{ name: 'mask', access: 'read' as const }] : []),
      { name: 'gy', access: 'read' },
      { name: 'partial', access: 'read_write' },
    ],
    rows: geometry.outChannelsPerGroup,
    columns,
    depth: geometry.batch * geometry.outputVolume,
    groups: geometry.groups,
    hasBias: false,
    customLoadB: true,
    splits,
    uniforms: [...deformUniforms(geometry), ['weights', geometry.outChannels * columns]],
    helpers: `${deformHelpers(hasMask)}
// A'[co, (n, o)] = gradOut[n, g * C_out/groups + co, o].
fn loadA(r: i32, t: i32, g: i32) -> f32 {
  if (r >= P.rows || t >= P.depth) { return 0.0; }
  let outPlane = P.outH * P.outW;
  return gy[((t / outPlane) * P.outChannels + g * P.outPerGroup + r) * outPlane + t % outPlane];
}

// B'[(n, o), (c, tap)] = mask * sample(input[n, g * C_in/groups + c], position of tap at o).
fn loadB(t: i32, j: i32, g: i32) -> f32 {
  if (t >= P.depth || j >= P.columns) { return 0.0; }
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let n = t / outPlane;
  let at = t % outPlane;
  let c = g * P.inPerGroup + j / taps;
  let tap = j % taps;
  let og = c / P.perOffsetGroup;
  let plane = (n * P.inChannels + c) * P.inH * P.inW;
  return modulation(n, og, tap, at) * bilinear(plane, samplePosition(n, og, tap, at));
}

fn store(r: i32, cj: i32, split: i32, value: f32) {
  let g = cj / P.columns;
  partial[split * P.weights + (g * P.outPerGroup + r) * P.columns + cj % P.columns] = value;
}
`,
  });
}
