/**
 * deformForwardProgram: direct deformable convolution (DCN v1/v2, torchvision semantics), one
 * thread per output element (n, co, p, q), bilinear sampling fused into the loop over the
 * group's input channels and taps:
 *   out[n, co, p, q] = bias[co] + sum_{c in group(co), tap} w[co, c', tap] * mask * sample(input[n, c], y, x)
 */
import type { ConvGeometry } from '@convkit/tensor';
import type { GpuProgram } from '../program';
import { deformHelpers, deformUniforms } from './deform-wgsl';
import { linearProgram } from './linear-program';

export function deformForwardProgram(geometry: ConvGeometry, hasMask: boolean, hasBias: boolean): GpuProgram {
  return linearProgram({
    name: 'deform-forward-direct',
    variant: [hasMask ? 'mask' : 'nomask', hasBias ? 'bias' : 'nobias'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'w', access: 'read' },
      { name: 'offset', access: 'read' },
      ...(hasMask ? [{ name: 'mask', access: 'read' as const }] : []),
      ...(hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    total: geometry.batch * geometry.outChannels * geometry.outputVolume,
    uniforms: deformUniforms(geometry),
    helpers: deformHelpers(hasMask),
    body: `
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let at = index % outPlane;
  let co = (index / outPlane) % P.outChannels;
  let n = index / (outPlane * P.outChannels);
  let first = (co / P.outPerGroup) * P.inPerGroup;
  var acc: f32 = ${hasBias ? 'bias[co]' : '0.0'};
  for (var ci = 0; ci < P.inPerGroup; ci++) {
    let c = first + ci;
    let og = c / P.perOffsetGroup;
    let plane = (n * P.inChannels + c) * P.inH * P.inW;
    for (var tap = 0; tap < taps; tap++) {
      let pos = samplePosition(n, og, tap, at);
      acc = acc + w[(co * P.inPerGroup + ci) * taps + tap] * (modulation(n, og, tap, at) * bilinear(plane, pos));
    }
  }
  y[index] = acc;`,
  });
}
