/**
 * How long the harness measures each (config, engine) pair, per mode, and the statistics it
 * reports. One budget bounds the time an engine spends on a config (verification, warm-up
 * and timed runs together); an engine always gets at least one timed run, and an engine
 * whose verification run alone exceeds the budget (the float64 reference on conv1d, tfjs
 * cpu on conv3d) reports that single cold run instead of running again.
 *
 * Quick takes up to 11 timed runs (it took 5): a millisecond-scale call on the shared 2-core
 * machine varies by 2x from run to run (another engine's threads, the scheduler, GC), and a
 * median of 5 moved the ratios between engines by 15-20% from one quick run to the next. The
 * 1.5 s cap keeps the slow engines' share where it was, so the run grows by seconds.
 */

export type BenchMode = 'full' | 'quick' | 'smoke';

export interface TimingSettings {
  /** Warm-up runs after the verification run (which is itself the first warm-up). */
  warmupRuns: number;
  /** Timed runs at most. */
  repeats: number;
  /** Milliseconds an engine may spend on one config; Infinity: no cap. */
  budgetMs: number;
}

export const TIMING_PRESETS: Readonly<Record<BenchMode, TimingSettings>> = Object.freeze({
  full: { warmupRuns: 3, repeats: 15, budgetMs: 12_000 },
  quick: { warmupRuns: 2, repeats: 11, budgetMs: 1_500 },
  smoke: { warmupRuns: 0, repeats: 1, budgetMs: Number.POSITIVE_INFINITY },
});

export interface TimeSummary {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** Median (mean of the middle two for an even count), min and max of run times. */
export function summarizeTimes(timesMs: readonly number[]): TimeSummary {
  if (timesMs.length === 0) throw new RangeError('summarizeTimes: no runs to summarize');
  const sorted = [...timesMs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { runs: sorted.length, medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}

/** GFLOP/s of `flops` done in `ms` milliseconds. */
export function gflopsPerSecond(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}
