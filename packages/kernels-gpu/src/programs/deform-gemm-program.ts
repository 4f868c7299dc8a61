/**
 * deformGemmProgram: deformable convolution (DCN v1/v2, torchvision semantics) as a GEMM per
 * group on the tiled GEMM of ./tiled-gemm-program, the bilinear sampling fused into the load
 * of A (no column matrix in memory):
 *   m = (n, p, q) over N * H_out * W_out, j over C_out/groups, k = (ci, tap) over C_in/groups * kh * kw
 *   A[m, k] = mask[n, og, tap, p, q] * sample(input[n, g * C_in/groups + ci], position of tap at (p, q) + offset)
 * with og the offset group of the input channel. Channels-first, as torchvision.
 */
import type { ConvGeometry } from '@convkit/tensor';
import type { GpuProgram } from '../program';
import { deformHelpers, deformUniforms } from './deform-wgsl';
import { tiledGemmProgram } from './tiled-gemm-program';

export function deformGemmProgram(geometry: ConvGeometry, hasMask: boolean, hasBias: boolean): GpuProgram {
  return tiledGemmProgram({
    name: 'deform-implicit-gemm',
    variant: [hasMask ? 'mask' : 'nomask', hasBias ? 'bias' : 'nobias'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'w', access: 'read' },
      { name: 'offset', access: 'read' },
      ...(hasMask ? [{ name: 'mask', access: 'read' as const }] : []),
      ...(hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    rows: geometry.batch * geometry.outputVolume,
    columns: geometry.outChannelsPerGroup,
    depth: geometry.inChannelsPerGroup * geometry.kernelVolume,
    groups: geometry.groups,
    hasBias,
    uniforms: deformUniforms(geometry),
    helpers: `${deformHelpers(hasMask)}
// A[m, k]: the modulated bilinear sample of tap k % taps of input channel k / taps (in group g) at row m.
fn loadA(m: i32, k: i32, g: i32) -> f32 {
  if (m >= P.rows || k >= P.depth) { return 0.0; }
  let taps = P.kH * P.kW;
  let outPlane = P.outH * P.outW;
  let n = m / outPlane;
  let at = m % outPlane;
  let c = g * P.inPerGroup + k / taps;
  let tap = k % taps;
  let og = c / P.perOffsetGroup;
  let plane = (n * P.inChannels + c) * P.inH * P.inW;
  return modulation(n, og, tap, at) * bilinear(plane, samplePosition(n, og, tap, at));
}

fn store(m: i32, co: i32, split: i32, value: f32) {
  let outPlane = P.outH * P.outW;
  y[((m / outPlane) * P.outChannels + co) * outPlane + m % outPlane] = value;
}
`,
  });
}
