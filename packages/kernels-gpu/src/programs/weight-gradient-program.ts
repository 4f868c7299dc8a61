/**
 * weightGradientProgram: the weight gradient as a split-K reduction. The sum over every
 * sample and output position (K = N * prod(out), often 10^4-10^6 terms for a few thousand
 * weights) is cut into `splits` contiguous chunks; thread (s, weight element) sums chunk s,
 *   partial[s, a, b, k] = sum_{(n, o) in chunk s} A[n, a, o] * Bpad[n, group(a) * B/groups + b, o * stride - padBefore + k * dilation]
 * and `sumSplitsProgram` adds the chunks (one chunk writes the gradient directly). For conv,
 * A = gradOutput and B = input (read through the padding mode), weight [C_out, C_in/groups, k];
 * for convTranspose, A = input and B = gradOutput (zeros), weight [C_in, C_out/groups, k].
 */
import type { ConvGeometry } from '@convkit/tensor';
import {
  activationStrides,
  liftGeometry,
  strideUniforms,
  type Triple,
  tripleUniforms,
} from '../lift-geometry';
import type { GpuProgram } from '../program';
import { paddedIndexFunction } from '../wgsl';
import { linearProgram } from './linear-program';

/** Terms each split should sum at least, and the threads the splits should fill. */
const MIN_TERMS_PER_SPLIT = 256;
const TARGET_THREADS = 65536;

/** How many chunks the K = N * prod(out) sum of `weights` weight elements is cut into (pure). */
export function weightGradientSplits(weights: number, terms: number): number {
  const byThreads = Math.ceil(TARGET_THREADS / weights);
  const byTerms = Math.floor(terms / MIN_TERMS_PER_SPLIT);
  return Math.max(1, Math.min(byThreads, byTerms, 1024));
}

export function weightGradientProgram(geometry: ConvGeometry, splits: number): GpuProgram {
  const l = liftGeometry(geometry);
  const t = geometry.transposed;
  const aChannels = t ? geometry.inChannels : geometry.outChannels;
  const bChannels = t ? geometry.outChannels : geometry.inChannels;
  const aSize: Triple = t ? l.inputSize : l.outputSize;
  const bSize: Triple = t ? l.outputSize : l.inputSize;
  const bPerGroup = bChannels / geometry.groups;
  const weights = aChannels * bPerGroup * geometry.kernelVolume;
  const terms = geometry.batch * aSize[0] * aSize[1] * aSize[2];
  return linearProgram({
    name: 'weight-gradient-splitk',
    variant: [geometry.paddingMode],
    bindings: [
      { name: 'a', access: 'read' },
      { name: 'b', access: 'read' },
      { name: 'partial', access: 'read_write' },
    ],
    total: weights * splits,
    uniforms: [
      ['weights', weights],
      ['terms', terms],
      ['splits', splits],
      ['aPerGroup', aChannels / geometry.groups],
      ['bPerGroup', bPerGroup],
      ...tripleUniforms('a', aSize),
      ...tripleUniforms('b', bSize),
      ...tripleUniforms('k', l.kernelSize),
      ...tripleUniforms('s', l.stride),
      ...tripleUniforms('dil', l.dilation),
      ...tripleUniforms('pad', l.padBefore),
      ...strideUniforms('as', activationStrides(geometry.layout, aChannels, aSize)),
      ...strideUniforms('bs', activationStrides(geometry.layout, bChannels, bSize)),
    ],
    helpers: paddedIndexFunction(geometry.paddingMode),
    body: `
  let split = index / P.weights;
  var rest = index % P.weights;
  let kw = rest % P.kW; rest = rest / P.kW;
  let kh = rest % P.kH; rest = rest / P.kH;
  let kd = rest % P.kD; rest = rest / P.kD;
  let bLocal = rest % P.bPerGroup;
  let ac = rest / P.bPerGroup;
  let bc = (ac / P.aPerGroup) * P.bPerGroup + bLocal;
  let chunk = (P.terms + P.splits - 1) / P.splits;
  let first = split * chunk;
  let last = min(first + chunk, P.terms);
  let aVolume = P.aD * P.aH * P.aW;
  var acc: f32 = 0.0;
  // term = (n, od, oh, ow) over the A tensor; the B position is read through the padding.
  for (var term = first; term < last; term++) {
    var r = term;
    let ow = r % P.aW; r = r / P.aW;
    let oh = r % P.aH; r = r / P.aH;
    let od = r % P.aD;
    let n = r / P.aD;
    let pd = padded(od * P.sD - P.padD + kd * P.dilD, P.bD);
    let ph = padded(oh * P.sH - P.padH + kh * P.dilH, P.bH);
    let pw = padded(ow * P.sW - P.padW + kw * P.dilW, P.bW);
    var v: f32 = 0.0;
    if (pd >= 0 && ph >= 0 && pw >= 0) { v = b[n * P.bsN + bc * P.bsC + pd * P.bsD + ph * P.bsH + pw * P.bsW]; }
    acc = acc + a[n * P.asN + ac * P.asC + od * P.asD + oh * P.asH + ow * P.asW] * v;
  }
  partial[index] = acc;`,
  });
}
