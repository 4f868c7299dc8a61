/**
 * foldPaddingProgram: the adjoint of reading through a padding mode. Given the gradient of
 * the padded input gp (channels-first, size in + padBefore + padAfter per dim), each input
 * element sums the entries of every padded position that read it:
 *   gradInput[n, c, i] = sum_{p : padded(p) = i per dim} gp[n, c, p + padBefore]
 * Per dim the candidates are i itself and the padBefore + padAfter border positions (a
 * reflect or circular border reads an element at most once or twice, replicate many times).
 */
import type { ConvGeometry } from '@convkit/tensor';
import { activationStrides, liftGeometry, strideUniforms, tripleUniforms } from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { linearProgram } from './linear-program';

export function foldPaddingProgram(geometry: ConvGeometry): GpuProgram {
  const l = liftGeometry(geometry);
  const paddedSize = l.inputSize.map((s, d) => s + l.padBefore[d]! + l.padAfter[d]!) as [
    number,
    number,
    number,
  ];
  const total = geometry.batch * geometry.inChannels * geometry.inputVolume;
  return linearProgram({
    name: 'fold-padding',
    variant: [geometry.paddingMode],
    bindings: [
      { name: 'gp', access: 'read' },
      { name: 'y', access: 'read_write' },
    ],
    total,
    uniforms: [
      ['channels', geometry.inChannels],
      ...tripleUniforms('in', l.inputSize),
      ...tripleUniforms('pb', l.padBefore),
      ...tripleUniforms('pa', l.padAfter),
      ...tripleUniforms('padded', paddedSize),
      ...strideUniforms('ys', activationStrides(geometry.layout, geometry.inChannels, l.inputSize)),
    ],
    helpers: `${paddedIndexFunction(geometry.paddingMode)}
// Candidate t of a dim: t = 0 is the element itself, then the border before, then after.
fn candidate(t: i32, i: i32, before: i32, size: i32) -> i32 {
  if (t == 0) { return i; }
  if (t <= before) { return -t; }
  return size + (t - before - 1);
}
`,
    body: `
  var rest = index;
  let iw = rest % P.inW; rest = rest / P.inW;
  let ih = rest % P.inH; rest = rest / P.inH;
  let id = rest % P.inD; rest = rest / P.inD;
  let c = rest % P.channels;
  let n = rest / P.channels;
  let planeBase = (n * P.channels + c) * P.paddedD * P.paddedH * P.paddedW;
  var acc: f32 = 0.0;
  for (var td = 0; td <= P.pbD + P.paD; td++) {
    let pd = candidate(td, id, P.pbD, P.inD);
    if (padded(pd, P.inD) != id) { continue; }
    for (var th = 0; th <= P.pbH + P.paH; th++) {
      let ph = candidate(th, ih, P.pbH, P.inH);
      if (padded(ph, P.inH) != ih) { continue; }
      for (var tw = 0; tw <= P.pbW + P.paW; tw++) {
        let pw = candidate(tw, iw, P.pbW, P.inW);
        if (padded(pw, P.inW) != iw) { continue; }
        acc = acc + gp[planeBase + ((pd + P.pbD) * P.paddedH + (ph + P.pbH)) * P.paddedW + (pw + P.pbW)];
      }
    }
  }
  y[n * P.ysN + c * P.ysC + id * P.ysD + ih * P.ysH + iw * P.ysW] = acc;`,
  });
}
