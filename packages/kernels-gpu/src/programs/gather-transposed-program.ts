/**
 * gatherTransposedProgram: the direct transposed-correlation kernel. One thread per produced
 * element (n, cp, position x), gathering every (gathered channel cg, tap k) that reaches it:
 *   y[n, cp, x] = bias[cp] + sum_{cg in group(cp), k : (x + padBefore - k * dilation) = o * stride, 0 <= o < size(a)}
 *                 a[n, cg, o] * w[cg, cp - group start, k]
 * It is convTranspose's forward pass (a = input) and conv's gradInput (a = gradOutput; with
 * a padding mode other than zeros it produces the gradient of the padded input, with
 * padBefore 0, and `foldPaddingProgram` sends the border back). Gathering instead of
 * scattering needs no atomics and gives deterministic sums.
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
import { linearProgram } from './linear-program';

interface GatherParts {
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

/** convTranspose forward: a = the input [C_in], y = the output [C_out]; weight [C_in, C_out/groups, k]. */
export function convTransposeForwardProgram(geometry: ConvGeometry, hasBias: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  return gather({
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

/**
 * conv gradInput: a = gradOutput [C_out], y = gradInput [C_in]; weight [C_out, C_in/groups, k].
 * With `padded`, y is the gradient of the padded input (channels-first, size in + padBefore +
 * padAfter, padBefore 0), for a padding mode other than zeros.
 */
export function convBackwardInputProgram(geometry: ConvGeometry, padded: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  const producedSize = padded
    ? (l.inputSize.map((s, d) => s + l.padBefore[d]! + l.padAfter[d]!) as unknown as Triple)
    : l.inputSize;
  return gather({
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

function gather(a: GatherParts): GpuProgram {
  const total = a.batch * a.producedChannels * a.producedSize[0] * a.producedSize[1] * a.producedSize[2];
  return linearProgram({
    name: 'gather-transposed-direct',
    variant: [a.hasBias ? 'bias' : 'nobias'],
    bindings: [
      { name: 'a', access: 'read' },
      { name: 'w', access: 'read' },
      ...(a.hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    total,
    uniforms: [
      ['producedChannels', a.producedChannels],
      ['gatheredPerGroup', a.gatheredChannels / a.groups],
      ['producedPerGroup', a.producedChannels / a.groups],
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
// The output position o a tap k reaching produced position x comes from, or -1 if none.
fn source(x: i32, k: i32, pad: i32, stride: i32, dilation: i32, size: i32) -> i32 {
  let q = x + pad - k * dilation;
  if (q < 0 || q % stride != 0) { return -1; }
  let o = q / stride;
  if (o >= size) { return -1; }
  return o;
}
`,
    body: `
  var rest = index;
  let xw = rest % P.yW; rest = rest / P.yW;
  let xh = rest % P.yH; rest = rest / P.yH;
  let xd = rest % P.yD; rest = rest / P.yD;
  let cp = rest % P.producedChannels;
  let n = rest / P.producedChannels;
  let group = cp / P.producedPerGroup;
  let cpLocal = cp - group * P.producedPerGroup;
  let kernelVolume = P.kD * P.kH * P.kW;
  var acc: f32 = ${a.hasBias ? 'bias[cp]' : '0.0'};
  // cg: gathered channel in the group; kd/kh/kw: tap; od/oh/ow: where the tap came from.
  for (var kd = 0; kd < P.kD; kd++) {
    let od = source(xd, kd, P.padD, P.sD, P.dilD, P.aD);
    if (od < 0) { continue; }
    for (var kh = 0; kh < P.kH; kh++) {
      let oh = source(xh, kh, P.padH, P.sH, P.dilH, P.aH);
      if (oh < 0) { continue; }
      for (var kw = 0; kw < P.kW; kw++) {
        let ow = source(xw, kw, P.padW, P.sW, P.dilW, P.aW);
        if (ow < 0) { continue; }
        let at = n * P.asN + od * P.asD + oh * P.asH + ow * P.asW;
        let tap = (kd * P.kH + kh) * P.kW + kw;
        for (var i = 0; i < P.gatheredPerGroup; i++) {
          let cg = group * P.gatheredPerGroup + i;
          acc = acc + a[at + cg * P.asC] * w[(cg * P.producedPerGroup + cpLocal) * kernelVolume + tap];
        }
      }
    }
  }
  y[n * P.ysN + cp * P.ysC + xd * P.ysD + xh * P.ysH + xw * P.ysW] = acc;`,
  });
}
