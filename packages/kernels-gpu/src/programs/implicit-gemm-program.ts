/**
 * implicitGemmConvProgram: forward convolution as a GEMM per group, without materialising the
 * lowered matrix (implicit im2col, as cuDNN's IMPLICIT_GEMM), on the tiled GEMM of
 * ./tiled-gemm-program:
 *   m = (n, o) over N * prod(out), j over C_out/groups, k = (ci, tap) over C_in/groups * prod(k)
 *   A[m, k] = xpad[n, g * C_in/groups + ci, o * stride - padBefore + tap * dilation]
 * A's tile is loaded straight from the input through the padding mode; either layout. The same
 * GEMM on gradOutput is convTranspose's gradInput.
 */
import type { ConvGeometry, Layout, PaddingMode } from '@convkit/tensor';
import {
  activationStrides,
  type LiftedGeometry,
  liftGeometry,
  strideUniforms,
  type Triple,
  tripleUniforms,
} from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { tiledGemmProgram } from './tiled-gemm-program';

export { GEMM_TILE } from './tiled-gemm-program';

/** conv forward: x = input, y = output. */
export function implicitGemmConvProgram(geometry: ConvGeometry, hasBias: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  return correlateGemm({
    batch: geometry.batch,
    inChannels: geometry.inChannels,
    outChannels: geometry.outChannels,
    groups: geometry.groups,
    inSize: l.inputSize,
    outSize: l.outputSize,
    lifted: l,
    paddingMode: geometry.paddingMode,
    layout: geometry.layout,
    hasBias,
  });
}

/**
 * convTranspose's gradInput: the correlation of gradOutput (the transposed output, zeros
 * outside) producing the transposed input; the weight [C_in, C_out/groups, k] is read as
 * conv's [C_out', C_in'/groups, k] with C_out' = C_in.
 */
export function convTransposeBackwardInputGemmProgram(geometry: ConvGeometry): GpuProgram {
  const l = liftGeometry(geometry);
  return correlateGemm({
    batch: geometry.batch,
    inChannels: geometry.outChannels,
    outChannels: geometry.inChannels,
    groups: geometry.groups,
    inSize: l.outputSize,
    outSize: l.inputSize,
    lifted: l,
    paddingMode: 'zeros',
    layout: geometry.layout,
    hasBias: false,
  });
}

interface CorrelateGemmParts {
  batch: number;
  /** Channels of the tensor read (x) and written (y). */
  inChannels: number;
  outChannels: number;
  groups: number;
  inSize: Triple;
  outSize: Triple;
  lifted: LiftedGeometry;
  paddingMode: PaddingMode;
  layout: Layout;
  hasBias: boolean;
}

function correlateGemm(a: CorrelateGemmParts): GpuProgram {
  const l = a.lifted;
  const kernelVolume = l.kernelSize[0] * l.kernelSize[1] * l.kernelSize[2];
  const inPerGroup = a.inChannels / a.groups;
  return tiledGemmProgram({
    name: 'implicit-gemm',
    variant: [a.paddingMode, a.hasBias ? 'bias' : 'nobias'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'w', access: 'read' },
      ...(a.hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    rows: a.batch * a.outSize[0] * a.outSize[1] * a.outSize[2],
    columns: a.outChannels / a.groups,
    depth: inPerGroup * kernelVolume,
    groups: a.groups,
    hasBias: a.hasBias,
    uniforms: [
      ['inPerGroup', inPerGroup],
      ['kernelVolume', kernelVolume],
      ...tripleUniforms('in', a.inSize),
      ...tripleUniforms('out', a.outSize),
      ...tripleUniforms('k', l.kernelSize),
      ...tripleUniforms('s', l.stride),
      ...tripleUniforms('dil', l.dilation),
      ...tripleUniforms('pad', l.padBefore),
      ...strideUniforms('x', activationStrides(a.layout, a.inChannels, a.inSize)),
      ...strideUniforms('y', activationStrides(a.layout, a.outChannels, a.outSize)),
    ],
    helpers: `${paddedIndexFunction(a.paddingMode)}
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
