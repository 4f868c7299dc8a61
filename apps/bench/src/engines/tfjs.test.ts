import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { compareClose } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import type { BenchConfig, ConvSizes } from '../bench-configs';
import { isUnsupported } from '../engine';
import { createProblem } from '../problem';
import { referenceCache } from '../reference-cache';
import { planTfjs, tfjsEngines } from './tfjs';

function problem(op: BenchConfig['op'], sizes: Partial<ConvSizes>) {
  const config: BenchConfig = {
    id: 'case',
    op,
    about: 'test case',
    batch: 1,
    inChannels: 4,
    outChannels: 4,
    inputSpatial: [6, 6],
    kernelSize: 3,
    ...sizes,
    smoke: {},
  };
  return createProblem(config);
}

const reason = (p: ReturnType<typeof problem>, backend: 'cpu' | 'wasm' = 'cpu') => {
  const plan = planTfjs(p, backend, tf);
  return typeof plan === 'string' ? plan : 'supported';
};

describe('planTfjs', () => {
  it('runs plain, depthwise, dilated, 1-D, 3-D and transposed convolutions', () => {
    expect(reason(problem('conv', { padding: 1 }))).toBe('supported');
    expect(reason(problem('conv', { groups: 4, outChannels: 8 }))).toBe('supported');
    expect(reason(problem('conv', { dilation: 2, padding: 2 }))).toBe('supported');
    expect(reason(problem('conv', { inputSpatial: [9], stride: 2 }))).toBe('supported');
    expect(reason(problem('conv', { inputSpatial: [4, 5, 5], padding: 1 }))).toBe('supported');
    expect(reason(problem('conv', { inputSpatial: [4, 5, 5] }))).toBe('supported');
    expect(reason(problem('convTranspose', { stride: 2, padding: 1 }))).toBe('supported');
    expect(reason(problem('convBackward', { padding: 1 }))).toBe('supported');
  });

  it('computes what convkit computes on cases outside the suite (depthwise x2, 1-D stride 2, valid 3-D)', async () => {
    const cpu = tfjsEngines()[0]!;
    await cpu.init();
    const cases = [
      problem('conv', { groups: 4, outChannels: 8, padding: 1 }),
      problem('conv', { inputSpatial: [9], stride: 2, padding: 1 }),
      problem('conv', { inputSpatial: [4, 5, 5] }),
      problem('conv', { stride: 2, padding: 1, inputSpatial: [7, 6] }),
      problem('convTranspose', { stride: 2, padding: 1, outputPadding: 1 }),
    ];
    for (const p of cases) {
      const prepared = await cpu.prepare(p);
      if (isUnsupported(prepared)) throw new Error(prepared.unsupported);
      const { output } = await prepared.run({ keepOutput: true });
      const report = compareClose(output!, (await referenceCache.get(p)).output);
      expect(report.ok, p.notation).toBe(true);
      await prepared.dispose();
    }
    await cpu.close();
  });

  it('says why tfjs cannot run a config', () => {
    expect(reason(problem('conv', { groups: 2 }))).toBe(
      'tfjs has no grouped convolution (groups=2); only depthwiseConv2d, where groups = C_in',
    );
    expect(reason(problem('conv', { stride: 2, dilation: 2 }))).toBe(
      'tfjs convolutions take stride > 1 or dilation > 1, not both',
    );
    expect(reason(problem('conv', { inputSpatial: [4, 5, 5], padding: 2 }))).toBe(
      "tfjs conv3d takes padding 'same' or 'valid' only, not explicit amounts",
    );
    expect(reason(problem('deformConv', { padding: 1 }))).toBe('tfjs has no deformable convolution');
    expect(reason(problem('convTranspose', { groups: 2 }))).toBe('tfjs conv2dTranspose has no groups');
    expect(reason(problem('convTranspose', { dilation: 2 }))).toBe('tfjs conv2dTranspose has no dilation');
    expect(reason(problem('convBackward', { padding: 1 }), 'wasm')).toBe(
      'tfjs-backend-wasm registers no Conv2DBackpropFilter kernel (the weight gradient)',
    );
  });
});
