import { describe, expect, it } from 'vitest';
import { gflopsPerSecond, summarizeTimes, TIMING_PRESETS } from './timing-settings';

describe('summarizeTimes', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(summarizeTimes([5, 1, 3])).toEqual({ runs: 3, medianMs: 3, minMs: 1, maxMs: 5 });
    expect(summarizeTimes([4, 1, 3, 10])).toEqual({ runs: 4, medianMs: 3.5, minMs: 1, maxMs: 10 });
    expect(summarizeTimes([2.5])).toEqual({ runs: 1, medianMs: 2.5, minMs: 2.5, maxMs: 2.5 });
  });

  it('refuses an empty list', () => {
    expect(() => summarizeTimes([])).toThrow('summarizeTimes: no runs to summarize');
  });
});

describe('gflopsPerSecond', () => {
  it('is FLOPs / (ms * 1e6)', () => {
    // c3x3: 2 * 64 * 56 * 56 * 64 * 9 FLOPs in 10 ms.
    expect(gflopsPerSecond(231_211_008, 10)).toBeCloseTo(23.1211008, 10);
  });
});

describe('TIMING_PRESETS', () => {
  it('gives smoke one timed run without a cap, and quick fewer runs and a smaller cap than full', () => {
    expect(TIMING_PRESETS.smoke).toEqual({ warmupRuns: 0, repeats: 1, budgetMs: Number.POSITIVE_INFINITY });
    expect(TIMING_PRESETS.quick.repeats).toBeLessThan(TIMING_PRESETS.full.repeats);
    expect(TIMING_PRESETS.quick.budgetMs).toBeLessThan(TIMING_PRESETS.full.budgetMs);
  });
});
