/**
 * WGSL shared by the deformable kernels: the uniforms of a 2-D deformable geometry, where
 * tap (i, j) of output position (p, q) samples, and torchvision's bilinear rule
 * (deform_conv2d_kernel.cpp, 0.14: `bilinear_interpolate`, `get_coordinate_weight`):
 *   sample = 0 if y <= -1, y >= H, x <= -1 or x >= W; else the four corners floor(y), +1 by
 *   floor(x), +1 mixed by the fractions, a corner outside counting 0. The coordinate gradient
 *   has no range test (the derivative from the right at integers, torchvision's border values).
 * Tensors are channels-first and contiguous: input [N, C, H, W], offset [N, 2 * G * kh * kw,
 * Ho, Wo] ((dy, dx) pairs), mask [N, G * kh * kw, Ho, Wo].
 */
import type { ConvGeometry } from '@convkit/tensor';

/** The uniforms every deformable program declares (after `total`). */
export function deformUniforms(geometry: ConvGeometry): [string, number][] {
  const [height, width] = geometry.inputSpatial as [number, number];
  const [outHeight, outWidth] = geometry.outputSpatial as [number, number];
  const [kernelHeight, kernelWidth] = geometry.kernelSize as [number, number];
  return [
    ['inChannels', geometry.inChannels],
    ['outChannels', geometry.outChannels],
    ['inPerGroup', geometry.inChannelsPerGroup],
    ['outPerGroup', geometry.outChannelsPerGroup],
    ['offsetGroups', geometry.offsetGroups],
    ['perOffsetGroup', geometry.inChannels / geometry.offsetGroups],
    ['inH', height],
    ['inW', width],
    ['outH', outHeight],
    ['outW', outWidth],
    ['kH', kernelHeight],
    ['kW', kernelWidth],
    ['sH', geometry.stride[0]!],
    ['sW', geometry.stride[1]!],
    ['dilH', geometry.dilation[0]!],
    ['dilW', geometry.dilation[1]!],
    ['padH', geometry.padBefore[0]!],
    ['padW', geometry.padBefore[1]!],
  ];
}

/**
 * `samplePosition(n, og, tap, at) -> vec2<f32>`, `modulation(...)`, `corners`, `sampled`,
 * `bilinear` / `bilinearFrom` and `coordinateGradientFrom`, reading the buffers `x`, `offset`
 * and (with a mask) `mask`.
 */
export function deformHelpers(hasMask: boolean): string {
  return `
fn samplePosition(n: i32, og: i32, tap: i32, at: i32) -> vec2<f32> {
  let taps = P.kH * P.kW;
  let outPlane = P.outH * P.outW;
  let dyChannel = (n * P.offsetGroups + og) * 2 * taps + 2 * tap;
  let i = tap / P.kW;
  let j = tap % P.kW;
  let p = at / P.outW;
  let q = at % P.outW;
  let row = f32(p * P.sH - P.padH + i * P.dilH) + offset[dyChannel * outPlane + at];
  let col = f32(q * P.sW - P.padW + j * P.dilW) + offset[(dyChannel + 1) * outPlane + at];
  return vec2<f32>(row, col);
}

fn modulation(n: i32, og: i32, tap: i32, at: i32) -> f32 {
  ${hasMask ? 'return mask[((n * P.offsetGroups + og) * P.kH * P.kW + tap) * P.outH * P.outW + at];' : 'return 1.0;'}
}

// The four corners around pos (rows floor(y), +1 by columns floor(x), +1) as (v00, v01, v10, v11),
// a corner outside the plane reading 0. Branch-free (clamped index, select), so a kernel that
// needs both the sample and its gradient reads the corners once and compiles small.
fn corners(plane: i32, pos: vec2<f32>) -> vec4<f32> {
  let r = i32(floor(pos.x));
  let c = i32(floor(pos.y));
  let r0 = clamp(r, 0, P.inH - 1);
  let r1 = clamp(r + 1, 0, P.inH - 1);
  let c0 = clamp(c, 0, P.inW - 1);
  let c1 = clamp(c + 1, 0, P.inW - 1);
  let inR0 = r >= 0 && r < P.inH;
  let inR1 = r + 1 >= 0 && r + 1 < P.inH;
  let inC0 = c >= 0 && c < P.inW;
  let inC1 = c + 1 >= 0 && c + 1 < P.inW;
  return vec4<f32>(
    select(0.0, x[plane + r0 * P.inW + c0], inR0 && inC0),
    select(0.0, x[plane + r0 * P.inW + c1], inR0 && inC1),
    select(0.0, x[plane + r1 * P.inW + c0], inR1 && inC0),
    select(0.0, x[plane + r1 * P.inW + c1], inR1 && inC1));
}

// True where torchvision samples (else the sample is 0): -1 < y < H and -1 < x < W.
fn sampled(pos: vec2<f32>) -> bool {
  return pos.x > -1.0 && pos.x < f32(P.inH) && pos.y > -1.0 && pos.y < f32(P.inW);
}

// The bilinear sample from its corners v = (v00, v01, v10, v11).
fn bilinearFrom(v: vec4<f32>, pos: vec2<f32>) -> f32 {
  let ly = pos.x - floor(pos.x);
  let lx = pos.y - floor(pos.y);
  return (1.0 - ly) * (1.0 - lx) * v.x + (1.0 - ly) * lx * v.y + ly * (1.0 - lx) * v.z + ly * lx * v.w;
}

fn bilinear(plane: i32, pos: vec2<f32>) -> f32 {
  if (!sampled(pos)) { return 0.0; }
  return bilinearFrom(corners(plane, pos), pos);
}

// (d sample / dy, d sample / dx) from the corners: no range test (torchvision's rule).
fn coordinateGradientFrom(v: vec4<f32>, pos: vec2<f32>) -> vec2<f32> {
  let ly = pos.x - floor(pos.x);
  let lx = pos.y - floor(pos.y);
  return vec2<f32>((1.0 - lx) * (v.z - v.x) + lx * (v.w - v.y), (1.0 - ly) * (v.y - v.x) + ly * (v.w - v.z));
}
`;
}
