/** The trainer's memory measure: what counts as one batch's activations, and the report's arithmetic. */
import { describe, expect, it } from 'vitest';
import { batchActivationBytes, formatMemory, MemoryMeter } from './memory-meter';
import { fashionCnn } from './model';

describe('memory measure', () => {
  it("counts the input and every layer's output, float32, times the batch", () => {
    const image = new Float32Array(784).map((_, i) => (i % 7) - 3);
    // Width 1: the input, then conv, bn, relu 32x28x28; pool 32x14x14; conv, bn, relu
    // 64x14x14; pool and flatten 64x7x7; linear and relu 128; linear 10.
    const perImage = 784 + 3 * 25088 + 6272 + 3 * 12544 + 2 * 3136 + 2 * 128 + 10;
    expect(batchActivationBytes(fashionCnn(1), image, 128)).toBe(perImage * 4 * 128);
    const quarter = 784 + 3 * 6272 + 1568 + 3 * 3136 + 2 * 784 + 2 * 32 + 10;
    const model = fashionCnn(0.25);
    expect(model.training).toBe(true);
    expect(batchActivationBytes(model, image, 50)).toBe(quarter * 4 * 50);
    expect(model.training).toBe(true); // the probe runs in eval mode and restores the mode
  });

  it('reports the peak growth over the baseline against the activations', () => {
    const meter = new MemoryMeter();
    const held = new Float32Array(4 * 2 ** 20).fill(1); // 16 MB touched after the baseline
    meter.sample('the probe');
    const report = meter.report(8 * 2 ** 20, 3 * 2 ** 20);
    expect(held[held.length - 1]).toBe(1);
    expect(report.peakRssMb).toBeCloseTo(report.rssBeforeTrainingMb + report.peakRssGrowthMb, 6);
    expect(report.peakRssGrowthMb).toBeGreaterThanOrEqual(0);
    expect(report.batchActivationsMb).toBe(8);
    expect(report.wasmMemoryMb).toBe(3);
    expect(report.ratio).toBeCloseTo(report.peakRssGrowthMb / 8, 9);
    expect(formatMemory(report)).toMatch(
      /^memory: peak RSS \d+ MB, \d+ MB over the \d+ MB before training = \d+\.\d\dx the 8 MB of one batch's activations, reached by (the probe|the end|before training) \(kernels-cpu's WebAssembly memory 3 MB of it; typed arrays grew -?\d+ MB\)$/,
    );
  });
});
