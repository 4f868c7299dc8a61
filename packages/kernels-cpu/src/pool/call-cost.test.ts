import { resolveConvCall, resolveDeformConvCall, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { initWasmSync } from '../wasm/wasm-runtime';
import { callMs, SPLIT_MIN_MS } from './call-cost';
import { createCpuContext } from './cpu-context';

const zeros = (shape: number[]) => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
const geometry = (x: number[], w: number[], options: Record<string, unknown>) =>
  resolveConvCall('conv', zeros(x), zeros(w), options).geometry;

describe('callMs', () => {
  initWasmSync();
  it('puts the one-sample bench convolutions under SPLIT_MIN_MS and batches and 3-D over it', () => {
    const c3x3 = (n: number) => geometry([n, 64, 56, 56], [64, 64, 3, 3], { padding: 1 });
    expect(callMs(c3x3(1), undefined, 'forward')).toBeLessThan(SPLIT_MIN_MS);
    expect(callMs(c3x3(1), undefined, 'backward')).toBeLessThan(SPLIT_MIN_MS);
    expect(callMs(c3x3(4), undefined, 'forward')).toBeGreaterThan(SPLIT_MIN_MS);
    const stem = geometry([1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 });
    expect(callMs(stem, undefined, 'forward')).toBeLessThan(SPLIT_MIN_MS);
    const conv3d = geometry([1, 16, 16, 56, 56], [32, 16, 3, 3, 3], { padding: 1 });
    expect(callMs(conv3d, undefined, 'forward')).toBeGreaterThan(4 * SPLIT_MIN_MS);
    // Fashion-MNIST's second convolution at batch 128: split, both passes.
    const conv2 = geometry([128, 32, 14, 14], [64, 32, 3, 3], { padding: 1 });
    expect(callMs(conv2, undefined, 'forward')).toBeGreaterThan(SPLIT_MIN_MS);
  });

  it("costs the kernel that runs: Winograd 2.4 times the rate of 'wasm', the TypeScript kernels a tenth of it, backward twice forward", () => {
    const g = geometry([2, 64, 56, 56], [64, 64, 3, 3], { padding: 1 });
    const winograd = callMs(g, 'winograd', 'forward');
    expect(callMs(g, 'wasm', 'forward') / winograd).toBeCloseTo(2.4, 5);
    expect(callMs(g, 'im2col', 'forward') / callMs(g, 'wasm', 'forward')).toBeCloseTo(10, 5);
    expect(callMs(g, 'winograd', 'backward')).toBeCloseTo(2 * winograd, 5);
    expect(callMs(g, 'no such algorithm', 'forward')).toBe(callMs(g, 'wasm', 'forward'));
    const deform = resolveDeformConvCall(
      'deformConv2d',
      zeros([1, 64, 56, 56]),
      zeros([64, 64, 3, 3]),
      zeros([1, 18, 56, 56]),
      { padding: 1 },
    ).geometry;
    expect(callMs(deform, undefined, 'forward', true)).toBeCloseTo((64 * 64 * 9 * 56 * 56) / 20e6, 5);
  });

  it('keeps a default context from splitting a call under it (it runs on the caller)', async () => {
    const cpu = await createCpuContext({ threads: 2 });
    try {
      const hooks = cpu as unknown as {
        splitCallsForTest(): number;
        teamForTest(): { workerParts: number; takenBack: number } | null;
      };
      const x = zeros([1, 64, 28, 28]);
      const w = zeros([64, 64, 3, 3]);
      cpu.sync.conv(x, w, { padding: 1 });
      await cpu.conv(x, w, { padding: 1 });
      const team = hooks.teamForTest();
      expect(hooks.splitCallsForTest()).toBe(0);
      expect(team === null ? 0 : team.workerParts + team.takenBack).toBe(0);
    } finally {
      cpu.dispose();
    }
  });
});
