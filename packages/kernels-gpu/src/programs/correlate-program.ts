/**
 * correlateProgram: the direct correlation kernel, the GPU's reference. One thread per
 * output element (n, co, od, oh, ow):
 *   y[n, co, o] = bias[co] + sum_{ci < C_in/groups, k} w[co, ci, k] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 * with g = floor(co / (C_out/groups)) and xpad read through the padding mode. It runs conv's
 * forward pass and, on gradOutput, convTranspose's gradInput (whose weight
 * [C_in, C_out/groups, k] has the same pattern: produced channel first). Activations are
 * addressed by strides, so either layout is read and written in place.
 */
import type { ConvGeometry, Layout, PaddingMode } from '@convkit/tensor';
import { activationStrides, liftGeometry, strideUniforms, tripleUniforms } from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { linearProgram } from './linear-program';

/** A forward convolution's program: x = input, y = output. */
export function convForwardProgram(geometry: ConvGeometry, hasBias: boolean): GpuProgram {
  const lifted = liftGeometry(geometry);
  return correlate({
    batch: geometry.batch,
    inChannels: geometry.inChannels,
    outChannels: geometry.outChannels,
    groups: geometry.groups,
    inSize: lifted.inputSize,
    outSize: lifted.outputSize,
    lifted,
    paddingMode: geometry.paddingMode,
    layout: geometry.layout,
    hasBias,
  });
}

/**
 * convTranspose's gradInput: the correlation of gradOutput (the transposed output, read with
 * the transposed geometry's padding, zeros outside) producing the transposed input.
 */
export function convTransposeBackwardInputProgram(geometry: ConvGeometry): GpuProgram {
  const lifted = liftGeometry(geometry);
  return correlate({
    batch: geometry.batch,
    inChannels: geometry.outChannels,
    outChannels: geometry.inChannels,
    groups: geometry.groups,
    inSize: lifted.outputSize,
    outSize: lifted.inputSize,
    lifted,
    paddingMode: 'zeros',
    layout: geometry.layout,
    hasBias: false,
  });
}

interface CorrelateParts {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  inSize: readonly [number, number, number];
  outSize: readonly [number, number, number];
  lifted: ReturnType<typeof liftGeometry>;
  paddingMode: PaddingMode;
  layout: Layout;
  hasBias: boolean;
}

function correlate(a: CorrelateParts): GpuProgram {
  const { lifted } = a;
  const total = a.batch * a.outChannels * a.outSize[0] * a.outSize[1] * a.outSize[2];
  const bindings = [
    { name: 'x', access: 'read' as const },
    { name: 'w', access: 'read' as const },
    ...(a.hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
    { name: 'y', access: 'read_write' as const },
  ];
  return linearProgram({
    name: 'correlate-direct',
    variant: [a.paddingMode, a.hasBias ? 'bias' : 'nobias'],
    bindings,
    total,
    uniforms: [
      ['outChannels', a.outChannels],
      ['inPerGroup', a.inChannels / a.groups],
      ['outPerGroup', a.outChannels / a.groups],
      ...tripleUniforms('in', a.inSize),
      ...tripleUniforms('out', a.outSize),
      ...tripleUniforms('k', lifted.kernelSize),
      ...tripleUniforms('s', lifted.stride),
      ...tripleUniforms('dil', lifted.dilation),
      ...tripleUniforms('pad', lifted.padBefore),
      ...strideUniforms('x', activationStrides(a.layout, a.inChannels, a.inSize)),
      ...strideUniforms('y', activationStrides(a.layout, a.outChannels, a.outSize)),
    ],
    helpers: paddedIndexFunction(a.paddingMode),
    body: `
  // index -> (n, co, od, oh, ow), channels-first logical order
  var rest = index;
  let ow = rest % P.outW; rest = rest / P.outW;
  let oh = rest % P.outH; rest = rest / P.outH;
  let od = rest % P.outD; rest = rest / P.outD;
  let co = rest % P.outChannels;
  let n = rest / P.outChannels;
  let firstIn = (co / P.outPerGroup) * P.inPerGroup;
  let kernelVolume = P.kD * P.kH * P.kW;
  var acc: f32 = ${a.hasBias ? 'bias[co]' : '0.0'};
  // ci: input channel within the group; kd/kh/kw: kernel tap; a padding zero is multiplied
  // in like any value (0 * Inf = NaN, as with explicit padding).
  for (var ci = 0; ci < P.inPerGroup; ci++) {
    let xBase = n * P.xN + (firstIn + ci) * P.xC;
    let wBase = (co * P.inPerGroup + ci) * kernelVolume;
    for (var kd = 0; kd < P.kD; kd++) {
      let pd = padded(od * P.sD - P.padD + kd * P.dilD, P.inD);
      for (var kh = 0; kh < P.kH; kh++) {
        let ph = padded(oh * P.sH - P.padH + kh * P.dilH, P.inH);
        for (var kw = 0; kw < P.kW; kw++) {
          let pw = padded(ow * P.sW - P.padW + kw * P.dilW, P.inW);
          var v: f32 = 0.0;
          if (pd >= 0 && ph >= 0 && pw >= 0) { v = x[xBase + pd * P.xD + ph * P.xH + pw * P.xW]; }
          acc = acc + v * w[wBase + (kd * P.kH + kh) * P.kW + kw];
        }
      }
    }
  }
  y[n * P.yN + co * P.yC + od * P.yD + oh * P.yH + ow * P.yW] = acc;`,
  });
}
