/**
 * implicitGemmTransposedProgram: the transposed correlation (./gather-transposed-program) as a
 * GEMM per group on the tiled GEMM of ./tiled-gemm-program, for convTranspose's forward pass
 * and conv's gradInput:
 *   m = (n, x) over N * prod(produced size), j over produced channels / groups,
 *   k = (cg, tap) over gathered channels / groups * prod(k)
 *   A[m, k] = a[n, g * gathered/groups + cg, o]  where x + padBefore - tap * dilation = o * stride
 *             (0 when no such o inside a: the tap does not reach x)
 *   B[k, j] = w[g * gathered/groups + cg, j, tap]
 * (conv's weight [C_out, C_in/groups, k] read as [gathered, produced/groups, k], like the
 * transposed weight [C_in, C_out/groups, k]). A's tile is gathered straight from a.
 */
import type { ConvGeometry, Layout } from '@convkit/tensor';
import {
  activationStrides,
  liftGeometry,
  strideUniforms,
  type Triple,
  tripleUniforms,
} from '../lift-geometry';
import type { GpuProgram } from '../program';
import { tiledGemmProgram } from './tiled-gemm-program';

interface TransposedParts {
  batch: number;
  gatheredChannels: number;
  producedChannels: number;
  groups: number;
  gatheredSize: Triple;
  producedSize: Triple;
  gatheredLayout: Layout;
  producedLayout: Layout;
  kernelSize: Triple;
  stride: Triple;
  dilation: Triple;
  padBefore: Triple;
  hasBias: boolean;
}

/** convTranspose forward: a = input, y = output, weight [C_in, C_out/groups, k]. */
export function convTransposeGemmProgram(geometry: ConvGeometry, hasBias: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  return transposedGemm({
    batch: geometry.batch,
    gatheredChannels: geometry.inChannels,
    producedChannels: geometry.outChannels,
    groups: geometry.groups,
    gatheredSize: l.inputSize,
    producedSize: l.outputSize,
    gatheredLayout: geometry.layout,
    producedLayout: geometry.layout,
    kernelSize: l.kernelSize,
    stride: l.stride,
    dilation: l.dilation,
    padBefore: l.padBefore,
    hasBias,
  });
}

/** conv gradInput: a = gradOutput, y = gradInput (of the padded input when `padded`, as the direct kernel). */
export function convBackwardInputGemmProgram(geometry: ConvGeometry, padded: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  const producedSize = padded
    ? (l.inputSize.map((s, d) => s + l.padBefore[d]! + l.padAfter[d]!) as unknown as Triple)
    : l.inputSize;
  return transposedGemm({
    batch: geometry.batch,
    gatheredChannels: geometry.outChannels,
    producedChannels: geometry.inChannels,
    groups: geometry.groups,
    gatheredSize: l.outputSize,
    producedSize,
    gatheredLayout: geometry.layout,
    producedLayout: padded ? 'channels-first' : geometry.layout,
    kernelSize: l.kernelSize,
    stride: l.stride,
    dilation: l.dilation,
    padBefore: padded ? [0, 0, 0] : l.padBefore,
    hasBias: false,
  });
}

function transposedGemm(a: TransposedParts): GpuProgram {
  const kernelVolume = a.kernelSize[0] * a.kernelSize[1] * a.kernelSize[2];
  const gatheredPerGroup = a.gatheredChannels / a.groups;
  const producedPerGroup = a.producedChannels / a.groups;
  return tiledGemmProgram({
    name: 'implicit-gemm-transposed',
    variant: [a.hasBias ? 'bias' : 'nobias'],
    bindings: [
      { name: 'a', access: 'read' },
      { name: 'w', access: 'read' },
      ...(a.hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    rows: a.batch * a.producedSize[0] * a.producedSize[1] * a.producedSize[2],
    columns: producedPerGroup,
    depth: gatheredPerGroup * kernelVolume,
    groups: a.groups,
    hasBias: a.hasBias,
    customLoadB: true,
    uniforms: [
      ['gatheredPerGroup', gatheredPerGroup],
      ['kernelVolume', kernelVolume],
      ...tripleUniforms('a', a.gatheredSize),
      ...tripleUniforms('y', a.producedSize),
      ...tripleUniforms('k', a.kernelSize),
      ...tripleUniforms('s', a.stride),
      ...tripleUniforms('dil', a.dilation),
      ...tripleUniforms('pad', a.padBefore),
      ...strideUniforms('as', activationStrides(a.gatheredLayout, a.gatheredChannels, a.gatheredSize)),
      ...strideUniforms('ys', activationStrides(a.producedLayout, a.producedChannels, a.producedSize)),
    ],
    helpers: `
// The position o of a that tap k reaches produced position x from, or -1.
fn source(x: i32, k: i32, pad: i32, stride: i32, dilation: i32, size: i32) -> i32 {
  let q = x + pad - k * dilation;
  if (q < 0 || q % stride != 0) { return -1; }
  let o = q / stride;
  if (o >= size) { return -1; }
  return o;
}

fn loadA(m: i32, k: i32, g: i32) -> f32 {
  if (m >= P.rows || k >= P.depth) { return 0.0; }
  var r = m;
  let xw = r % P.yW; r = r / P.yW;
  let xh = r % P.yH; r = r / P.yH;
  let xd = r % P.yD;
  let n = r / P.yD;
  let cg = k / P.kernelVolume;
  var t = k % P.kernelVolume;
  let kw = t % P.kW; t = t / P.kW;
  let kh = t % P.kH;
  let kd = t / P.kH;
  let od = source(xd, kd, P.padD, P.sD, P.dilD, P.aD);
  let oh = source(xh, kh, P.padH, P.sH, P.dilH, P.aH);
  let ow = source(xw, kw, P.padW, P.sW, P.dilW, P.aW);
  if (od < 0 || oh < 0 || ow < 0) { return 0.0; }
  return a[n * P.asN + (g * P.gatheredPerGroup + cg) * P.asC + od * P.asD + oh * P.asH + ow * P.asW];
}

// B[k, j] = w[g * gathered/groups + cg, j, tap] with k = (cg, tap).
fn loadB(k: i32, j: i32, g: i32) -> f32 {
  if (k >= P.depth || j >= P.columns) { return 0.0; }
  let cg = k / P.kernelVolume;
  let tap = k % P.kernelVolume;
  return w[((g * P.gatheredPerGroup + cg) * P.columns + j) * P.kernelVolume + tap];
}

fn store(m: i32, cp: i32, split: i32, value: f32) {
  var r = m;
  let xw = r % P.yW; r = r / P.yW;
  let xh = r % P.yH; r = r / P.yH;
  let xd = r % P.yD;
  let n = r / P.yD;
  y[n * P.ysN + cp * P.ysC + xd * P.ysD + xh * P.ysH + xw * P.ysW] = value;
}
`,
  });
}
