/**
 * The direct kernels of deformable convolution's backward pass (torchvision's rules, see
 * ./deform-wgsl). With colGrad[n, c, tap, o] = sum_{co in group(c)} w[co, c', tap] * gradOut[n, co, o]
 * (the gradient of the deformed patch, `deformColumnGradientProgram`):
 *   gradInput  += mask * colGrad * bilinear weights     (a scatter: float atomics by compare-exchange)
 *   gradOffset  = sum_{c in offset group} mask * colGrad * d sample / d(y | x)
 *   gradMask    = sum_{c in offset group} colGrad * sample
 *   gradWeight  = sum_{n, o} gradOut * mask * sample     (split-K, summed by sumSplitsProgram)
 */
import type { ConvGeometry } from '@convkit/tensor';
import type { GpuProgram } from '../program';
import { deformHelpers, deformUniforms } from './deform-wgsl';
import { linearProgram } from './linear-program';

/** colGrad [N, C_in, kh * kw, Ho * Wo] from gradOutput and the weight. */
export function deformColumnGradientProgram(geometry: ConvGeometry): GpuProgram {
  return linearProgram({
    name: 'deform-column-gradient',
    variant: [],
    bindings: [
      { name: 'gy', access: 'read' },
      { name: 'w', access: 'read' },
      { name: 'colGrad', access: 'read_write' },
    ],
    total: geometry.batch * geometry.inChannels * geometry.kernelVolume * geometry.outputVolume,
    uniforms: deformUniforms(geometry),
    body: `
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let at = index % outPlane;
  let tap = (index / outPlane) % taps;
  let c = (index / (outPlane * taps)) % P.inChannels;
  let n = index / (outPlane * taps * P.inChannels);
  let group = c / P.inPerGroup;
  let cLocal = c - group * P.inPerGroup;
  var acc: f32 = 0.0;
  for (var i = 0; i < P.outPerGroup; i++) {
    let co = group * P.outPerGroup + i;
    acc = acc + w[(co * P.inPerGroup + cLocal) * taps + tap] * gy[(n * P.outChannels + co) * outPlane + at];
  }
  colGrad[index] = acc;`,
  });
}

/** gradInput (zero-filled before) += the bilinear adjoint of mask * colGrad. */
export function deformInputGradientProgram(geometry: ConvGeometry, hasMask: boolean): GpuProgram {
  return linearProgram({
    name: 'deform-input-gradient',
    variant: [hasMask ? 'mask' : 'nomask'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'offset', access: 'read' },
      ...(hasMask ? [{ name: 'mask', access: 'read' as const }] : []),
      { name: 'colGrad', access: 'read' },
      { name: 'gx', access: 'read_write' },
    ],
    atomics: ['gx'],
    total: geometry.batch * geometry.inChannels * geometry.kernelVolume * geometry.outputVolume,
    uniforms: deformUniforms(geometry),
    helpers: `${deformHelpers(hasMask)}
// gx[i] += v on an array of u32 holding f32 bits: a compare-exchange loop (WGSL has no float atomics).
fn atomicAddFloat(i: i32, v: f32) {
  var old = atomicLoad(&gx[i]);
  loop {
    let swapped = atomicCompareExchangeWeak(&gx[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (swapped.exchanged) { break; }
    old = swapped.old_value;
  }
}
`,
    body: `
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let at = index % outPlane;
  let tap = (index / outPlane) % taps;
  let c = (index / (outPlane * taps)) % P.inChannels;
  let n = index / (outPlane * taps * P.inChannels);
  let og = c / P.perOffsetGroup;
  let pos = samplePosition(n, og, tap, at);
  if (!sampled(pos)) { return; }
  let value = modulation(n, og, tap, at) * colGrad[index];
  let y0 = floor(pos.x);
  let x0 = floor(pos.y);
  let ly = pos.x - y0;
  let lx = pos.y - x0;
  let r = i32(y0);
  let col = i32(x0);
  let plane = (n * P.inChannels + c) * P.inH * P.inW;
  // Corners outside the plane take nothing, as they gave nothing.
  if (r >= 0 && col >= 0) { atomicAddFloat(plane + r * P.inW + col, value * (1.0 - ly) * (1.0 - lx)); }
  if (r >= 0 && col + 1 < P.inW) { atomicAddFloat(plane + r * P.inW + col + 1, value * (1.0 - ly) * lx); }
  if (r + 1 < P.inH && col >= 0) { atomicAddFloat(plane + (r + 1) * P.inW + col, value * ly * (1.0 - lx)); }
  if (r + 1 < P.inH && col + 1 < P.inW) { atomicAddFloat(plane + (r + 1) * P.inW + col + 1, value * ly * lx); }`,
  });
}

/** gradOffset [N, 2 * G * taps, Ho, Wo] and (with a mask) gradMask [N, G * taps, Ho, Wo]. */
export function deformOffsetGradientProgram(geometry: ConvGeometry, hasMask: boolean): GpuProgram {
  return linearProgram({
    name: 'deform-offset-gradient',
    variant: [hasMask ? 'mask' : 'nomask'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'offset', access: 'read' },
      ...(hasMask ? [{ name: 'mask', access: 'read' as const }] : []),
      { name: 'colGrad', access: 'read' },
      { name: 'gradOffset', access: 'read_write' },
      ...(hasMask ? [{ name: 'gradMask', access: 'read_write' as const }] : []),
    ],
    total: geometry.batch * geometry.offsetGroups * geometry.kernelVolume * geometry.outputVolume,
    uniforms: deformUniforms(geometry),
    helpers: deformHelpers(hasMask),
    body: `
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let at = index % outPlane;
  let tap = (index / outPlane) % taps;
  let og = (index / (outPlane * taps)) % P.offsetGroups;
  let n = index / (outPlane * taps * P.offsetGroups);
  let pos = samplePosition(n, og, tap, at);
  let inside = sampled(pos);
  let m = modulation(n, og, tap, at);
  var gradDy: f32 = 0.0;
  var gradDx: f32 = 0.0;
  var gradM: f32 = 0.0;
  for (var c = og * P.perOffsetGroup; c < (og + 1) * P.perOffsetGroup; c++) {
    let plane = (n * P.inChannels + c) * P.inH * P.inW;
    let cg = colGrad[((n * P.inChannels + c) * taps + tap) * outPlane + at];
    let v = corners(plane, pos);
    let coordinate = coordinateGradientFrom(v, pos);
    gradDy = gradDy + m * cg * coordinate.x;
    gradDx = gradDx + m * cg * coordinate.y;
    gradM = gradM + cg * select(0.0, bilinearFrom(v, pos), inside);
  }
  let dyChannel = (n * P.offsetGroups + og) * 2 * taps + 2 * tap;
  gradOffset[dyChannel * outPlane + at] = gradDy;
  gradOffset[(dyChannel + 1) * outPlane + at] = gradDx;
  ${hasMask ? 'gradMask[index] = gradM;' : ''}`,
  });
}

/** partial[s, co, c', tap] = sum over chunk s of (n, o) of gradOut * mask * sample. */
export function deformWeightGradientProgram(
  geometry: ConvGeometry,
  hasMask: boolean,
  splits: number,
): GpuProgram {
  const weights = geometry.outChannels * geometry.inChannelsPerGroup * geometry.kernelVolume;
  return linearProgram({
    name: 'deform-weight-gradient-splitk',
    variant: [hasMask ? 'mask' : 'nomask'],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'offset', access: 'read' },
      ...(hasMask ? [{ name: 'mask', access: 'read' as const }] : []),
      { name: 'gy', access: 'read' },
      { name: 'partial', access: 'read_write' },
    ],
    total: weights * splits,
    uniforms: [
      ...deformUniforms(geometry),
      ['weights', weights],
      ['terms', geometry.batch * geometry.outputVolume],
      ['splits', splits],
    ],
    helpers: deformHelpers(hasMask),
    body: `
  let outPlane = P.outH * P.outW;
  let taps = P.kH * P.kW;
  let split = index / P.weights;
  let element = index % P.weights;
  let tap = element % taps;
  let cLocal = (element / taps) % P.inPerGroup;
  let co = element / (taps * P.inPerGroup);
  let c = (co / P.outPerGroup) * P.inPerGroup + cLocal;
  let og = c / P.perOffsetGroup;
  let chunk = (P.terms + P.splits - 1) / P.splits;
  let last = min((split + 1) * chunk, P.terms);
  var acc: f32 = 0.0;
  for (var term = split * chunk; term < last; term++) {
    let n = term / outPlane;
    let at = term % outPlane;
    let plane = (n * P.inChannels + c) * P.inH * P.inW;
    let sample = modulation(n, og, tap, at) * bilinear(plane, samplePosition(n, og, tap, at));
    acc = acc + gy[(n * P.outChannels + co) * outPlane + at] * sample;
  }
  partial[index] = acc;`,
  });
}
