/**
 * biasGradientProgram: gradBias[c] = sum_{n, o} gradOutput[n, c, o], as a split-K reduction
 * like the weight gradient: thread (s, c) sums chunk s of the N * prod(out) positions of
 * channel c into partial[s, c]; `sumSplitsProgram` adds the chunks.
 */
import type { Layout } from '@convkit/tensor';
import type { GpuProgram } from '../program';
import { linearProgram } from './linear-program';

export function biasGradientProgram(
  batch: number,
  channels: number,
  volume: number,
  layout: Layout,
  splits: number,
): GpuProgram {
  const [strideN, strideC, strideV] =
    layout === 'channels-first' ? [channels * volume, volume, 1] : [channels * volume, 1, channels];
  return linearProgram({
    name: 'bias-gradient-splitk',
    variant: [],
    bindings: [
      { name: 'g', access: 'read' },
      { name: 'partial', access: 'read_write' },
    ],
    total: channels * splits,
    uniforms: [
      ['channels', channels],
      ['volume', volume],
      ['terms', batch * volume],
      ['splits', splits],
      ['strideN', strideN],
      ['strideC', strideC],
      ['strideV', strideV],
    ],
    body: `
  let split = index / P.channels;
  let c = index % P.channels;
  let chunk = (P.terms + P.splits - 1) / P.splits;
  let last = min((split + 1) * chunk, P.terms);
  var acc: f32 = 0.0;
  for (var term = split * chunk; term < last; term++) {
    acc = acc + g[(term / P.volume) * P.strideN + c * P.strideC + (term % P.volume) * P.strideV];
  }
  partial[index] = acc;`,
  });
}
