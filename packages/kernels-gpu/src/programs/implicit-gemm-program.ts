/**
 * implicitGemmConvProgram: forward convolution as a GEMM per group, without materialising the
 * lowered matrix (implicit im2col, as cuDNN's IMPLICIT_GEMM), on the tiled GEMM of
 * ./tiled-gemm-program:
 *   m = (n, o) over N * prod(out), j over C_out/groups, k = (ci, tap) over C_in/groups * prod(k)
 *   A[m, k] = xpad[n, g * C_in/groups + ci, o * stride - padBefore + tap * dilation]
 * A's tile is loaded straight from the input through the padding mode; either layout.
 */
import type { ConvGeometry } from '@convkit/tensor';
import { activationStrides, liftGeometry, strideUniforms, tripleUniforms } from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { tiledGemmProgram } from './tiled-gemm-program';

export { GEMM_TILE } from './tiled-gemm-program';

export function implicitGemmConvProgram(geometry: ConvGeometry, hasBias: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  return tiledGemmProgram({
    name: 'implicit-gemm',
    variant: [geometry.paddingMode, hasBias ? 'bias' : 'nobias'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'w', access: 'read' },
      ...(hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    rows: geometry.batch * geometry.outputVolume,
    columns: geometry.outChannelsPerGroup,
    depth: geometry.inChannelsPerGroup * geometry.kernelVolume,
    groups: geometry.groups,
    hasBias,
    uniforms: [
      ['inPerGroup', geometry.inChannelsPerGroup],
      ['kernelVolume', geometry.kernelVolume],
      ...tripleUniforms('in', l.inputSize),
      ...tripleUniforms('out', l.outputSize),
      ...tripleUniforms('k', l.kernelSize),
      ...tripleUniforms('s', l.stride),
      ...tripleUniforms('dil', l.dilation),
      ...tripleUniforms('pad', l.padBefore),
      ...strideUniforms('x', activationStrides(geometry.layout, geometry.inChannels, l.inputSize)),
      ...strideUniforms('y', activationStrides(geometry.layout, geometry.outChannels, l.outputSize)),
    ],
    helpers: `${paddedIndexFunction(geometry.paddingMode)}
// A[m, k]: the input value tap (ci, kd, kh, kw) of output row m reads, in group g.
fn loadA(m: i32, k: i32, g: i32) -> f32 {
  if (m >= P.rows || k >= P.depth) { return 0.0; }
  var r = m;
  let ow = r % P.outW; r = r / P.outW;
  let oh = r % P.outH; r = r / P.outH;
  let od = r % P.outD;
  let n = r / P.outD;
  let ci = k / P.kernelVolume;
  var t = k % P.kernelVolume;
  let kw = t % P.kW; t = t / P.kW;
  let kh = t % P.kH;
  let kd = t / P.kH;
  let pd = padded(od * P.sD - P.padD + kd * P.dilD, P.inD);
  let ph = padded(oh * P.sH - P.padH + kh * P.dilH, P.inH);
  let pw = padded(ow * P.sW - P.padW + kw * P.dilW, P.inW);
  if (pd < 0 || ph < 0 || pw < 0) { return 0.0; }
  return x[n * P.xN + (g * P.inPerGroup + ci) * P.xC + pd * P.xD + ph * P.xH + pw * P.xW];
}

fn store(m: i32, co: i32, split: i32, value: f32) {
  var r = m;
  let ow = r % P.outW; r = r / P.outW;
  let oh = r % P.outH; r = r / P.outH;
  let od = r % P.outD;
  let n = r / P.outD;
  y[n * P.yN + co * P.yC + od * P.yD + oh * P.yH + ow * P.yW] = value;
}
`,
  });
}
