/**
 * depthwiseConvProgram: forward convolution with one input channel per group (depthwise,
 * with a channel multiplier when C_out = m * C_in). One thread per output element, taken in
 * the output's memory order (so neighbouring threads touch neighbouring addresses in either
 * layout), with the kernel window unrolled: the kernel size is a compile-time constant
 * (part of the cache key), the rest are uniforms.
 *   y[n, co, o] = bias[co] + sum_k w[co, 0, k] * xpad[n, floor(co / m), o * stride - padBefore + k * dilation]
 */
import type { ConvGeometry } from '@convkit/tensor';
import { activationStrides, liftGeometry, strideUniforms, tripleUniforms } from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { linearProgram } from './linear-program';

export function depthwiseConvProgram(geometry: ConvGeometry, hasBias: boolean): GpuProgram {
  const l = liftGeometry(geometry);
  const [kD, kH, kW] = l.kernelSize;
  const channelsLast = geometry.layout === 'channels-last';
  const taps: string[] = [];
  for (let kd = 0; kd < kD; kd++) {
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const tap = (kd * kH + kh) * kW + kw;
        taps.push(`  tap(xBase, pd[${kd}], ph[${kh}], pw[${kw}], w[wBase + ${tap}], &acc);`);
      }
    }
  }
  const rows = (axis: string, count: number, o: string) =>
    `  var p${axis}: array<i32, ${count}>;\n  for (var k = 0; k < ${count}; k++) { p${axis}[k] = padded(${o} * P.s${axis.toUpperCase()} - P.pad${axis.toUpperCase()} + k * P.dil${axis.toUpperCase()}, P.in${axis.toUpperCase()}); }`;
  return linearProgram({
    name: 'depthwise-unrolled',
    variant: [geometry.paddingMode, hasBias ? 'bias' : 'nobias', geometry.layout, `k${kD}x${kH}x${kW}`],
    bindings: [
      { name: 'x', access: 'read' },
      { name: 'w', access: 'read' },
      ...(hasBias ? [{ name: 'bias', access: 'read' as const }] : []),
      { name: 'y', access: 'read_write' },
    ],
    total: geometry.batch * geometry.outChannels * geometry.outputVolume,
    uniforms: [
      ['outChannels', geometry.outChannels],
      ['multiplier', geometry.outChannelsPerGroup],
      ...tripleUniforms('in', l.inputSize),
      ...tripleUniforms('out', l.outputSize),
      ...tripleUniforms('s', l.stride),
      ...tripleUniforms('dil', l.dilation),
      ...tripleUniforms('pad', l.padBefore),
      ...strideUniforms('x', activationStrides(geometry.layout, geometry.inChannels, l.inputSize)),
    ],
    helpers: `${paddedIndexFunction(geometry.paddingMode)}
// acc += w * x at (pd, ph, pw), a padding zero multiplied in like any value.
fn tap(xBase: i32, pd: i32, ph: i32, pw: i32, weight: f32, acc: ptr<function, f32>) {
  var v: f32 = 0.0;
  if (pd >= 0 && ph >= 0 && pw >= 0) { v = x[xBase + pd * P.xD + ph * P.xH + pw * P.xW]; }
  *acc = *acc + v * weight;
}
`,
    body: `
  // index in the output's memory order: ${channelsLast ? '(n, od, oh, ow, co)' : '(n, co, od, oh, ow)'}
  var rest = index;
${
  channelsLast
    ? `  let co = rest % P.outChannels; rest = rest / P.outChannels;
  let ow = rest % P.outW; rest = rest / P.outW;
  let oh = rest % P.outH; rest = rest / P.outH;
  let od = rest % P.outD;
  let n = rest / P.outD;`
    : `  let ow = rest % P.outW; rest = rest / P.outW;
  let oh = rest % P.outH; rest = rest / P.outH;
  let od = rest % P.outD; rest = rest / P.outD;
  let co = rest % P.outChannels;
  let n = rest / P.outChannels;`
}
  let xBase = n * P.xN + (co / P.multiplier) * P.xC;
  let wBase = co * ${kD * kH * kW};
${rows('d', kD, 'od')}
${rows('h', kH, 'oh')}
${rows('w', kW, 'ow')}
  var acc: f32 = ${hasBias ? 'bias[co]' : '0.0'};
${taps.join('\n')}
  y[index] = acc;`,
  });
}
