/**
 * GEMM speed: GFLOP/s (2 m n k / time) of `gemm` next to the textbook triple loop, for the
 * shapes the im2col convolution produces (64 x 3136 x 576: a 3x3 conv of 64 channels on
 * 56x56; 256 x 784 x 128: a 1x1 conv on 28x28) and square ones. Median of several timed
 * runs after warm-up, one process, single thread. Not a unit test: run it by hand,
 *
 *   cd apps/bench && npx tsx --conditions=convkit-source scripts/gemm-speed.ts [--quick]
 *
 * and copy the table into the report. Every result is checked against the reference first.
 */
import { performance } from 'node:perf_hooks';
import { gemm, gemmReference } from '@convkit/kernels-cpu';
import { createRng, maxAbsDiff } from '@convkit/tensor';

const quick = process.argv.includes('--quick');
const shapes: [number, number, number][] = [
  [64, 3136, 576],
  [256, 784, 128],
  [128, 128, 128],
  [512, 512, 512],
];
const rng = createRng(1);

/** The naive loop users would write: i, j, then a dot product over p (B read down a column). */
function naive(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = sum;
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median seconds per call: warm-up calls, then `runs` timed batches of `reps` calls each. */
function time(run: () => void, flops: number, runs: number): number {
  const reps = Math.max(1, Math.round(3e8 / flops));
  for (let i = 0; i < Math.max(2, reps); i++) run();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) run();
    samples.push((performance.now() - start) / 1000 / reps);
  }
  return median(samples);
}

const rows: string[] = [];
for (const [m, n, k] of shapes) {
  const a = rng.uniformTensor([m * k], -1, 1).data;
  const b = rng.uniformTensor([k * n], -1, 1).data;
  const c = new Float32Array(m * n);
  const expected = new Float32Array(m * n);
  gemmReference(m, n, k, a, 0, k, b, 0, n, expected, 0, n);
  gemm(m, n, k, a, 0, k, b, 0, n, c, 0, n);
  const error = maxAbsDiff(c, expected);
  if (!(error <= 1e-4 * Math.sqrt(k)))
    throw new Error(`gemm ${m}x${n}x${k} differs from the reference by ${error}`);
  const flops = 2 * m * n * k;
  const fast = time(() => gemm(m, n, k, a, 0, k, b, 0, n, c, 0, n), flops, quick ? 3 : 7);
  const slow = time(() => naive(m, n, k, a, b, c), flops, quick ? 1 : 3);
  rows.push(
    `| ${`${m} x ${n} x ${k}`.padEnd(16)} | ${(flops / fast / 1e9).toFixed(2).padStart(6)} | ${(flops / slow / 1e9).toFixed(2).padStart(6)} | ${(slow / fast).toFixed(1).padStart(5)} |`,
  );
}
console.log(`node ${process.version}, single thread, median of ${quick ? 3 : 7} runs after warm-up`);
console.log('| m x n x k        |   gemm |  naive | ratio |   (GFLOP/s)');
console.log('|------------------|-------:|-------:|------:|');
for (const row of rows) console.log(row);
