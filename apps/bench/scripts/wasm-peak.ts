/**
 * wasm-peak: this machine's WebAssembly f32x4 peak, and every convkit WebAssembly kernel's
 * share of it. The peak loop (measureWasmPeak from @convkit/kernels-cpu) is a register-resident
 * multiply-add loop: mul + add on the plain SIMD build, relaxed_madd (a fused multiply-add) on
 * the relaxed one. Then each config of the quick suite that convkit runs with WebAssembly is
 * timed under 'auto' and each WebAssembly algorithm, and reported as GFLOP/s and % of peak.
 *
 *   pnpm --filter @convkit/bench speed:peak [--filter c3x3,pw1x1] [--budget-ms 1500]
 *
 * Runs under --experimental-wasm-relaxed-simd (the package script passes it on Node 20).
 * Times are medians of repeated runs after warm-up, in one process, single thread; on a shared
 * machine compare only numbers from one run. Not a unit test.
 */
import { performance } from 'node:perf_hooks';
import {
  CONV_ALGORITHMS,
  conv,
  convBackward,
  convTranspose,
  deformConv,
  initWasmSync,
  measureWasmPeak,
  type WasmBuild,
  wasmSupport,
} from '@convkit/kernels-cpu';
import type { Tensor } from '@convkit/tensor';
import { BENCH_CONFIGS } from '../src/bench-configs';
import { describeMachine, machineInfo } from '../src/machine-info';
import { createProblem, type Problem } from '../src/problem';
import { selectById } from '../src/select-by-id';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const budgetMs = Number(flag('--budget-ms') ?? 1500);
const configs = flag('--filter')
  ? selectById(BENCH_CONFIGS, (c) => c.id, flag('--filter')!.split(','), 'filter')
  : BENCH_CONFIGS;
const TS_ALGORITHMS = new Set(['reference', 'im2col']);
const algorithms = ['auto', ...CONV_ALGORITHMS.filter((a) => !TS_ALGORITHMS.has(a))];

function call(problem: Problem, algorithm: string): () => Tensor {
  const g = problem.geometry;
  const options = {
    stride: g.stride,
    padding: g.padBefore.map((before, d) => [before, g.padAfter[d]!] as [number, number]),
    dilation: g.dilation,
    groups: g.groups,
    algorithm,
  };
  switch (problem.op) {
    case 'conv':
      return () => conv(problem.input, problem.weight, options);
    case 'convTranspose':
      return () =>
        convTranspose(problem.input, problem.weight, {
          ...options,
          outputPadding: problem.sizes.outputPadding ?? 0,
        });
    case 'deformConv':
      return () =>
        deformConv(problem.input, problem.weight, problem.offset!, { ...options, mask: problem.mask });
    case 'convBackward':
      return () => convBackward(problem.gradOutput!, problem.input, problem.weight, options).gradWeight;
  }
}

function medianMs(run: () => unknown): number | string {
  try {
    run();
  } catch (error) {
    return (error as Error).message.split(':').slice(1).join(':').trim().slice(0, 60);
  }
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (times.length < 3 || (performance.now() < end && times.length < 15)) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const builds: WasmBuild[] = wasmSupport().relaxedSimd ? ['relaxed-simd', 'simd'] : ['simd'];
console.log(`wasm-peak: ${describeMachine(machineInfo())}`);
const peaks = new Map(builds.map((build) => [build, measureWasmPeak(build, 500)]));
for (const [build, peak] of peaks) {
  console.log(
    `  f32x4 peak, ${build === 'simd' ? 'mul + add' : 'relaxed_madd'} (${build}): ${peak.toFixed(1)} GFLOP/s`,
  );
}
console.log('');
console.log('| config | algorithm | build | median ms | GFLOP/s | % of peak |');
console.log('| --- | --- | --- | ---: | ---: | ---: |');
for (const config of configs) {
  const problem = createProblem(config, { seed: 0 });
  const flops = problem.flops;
  for (const build of builds) {
    initWasmSync({ build });
    for (const algorithm of algorithms) {
      const ms = medianMs(call(problem, algorithm));
      if (typeof ms === 'string') {
        console.log(`| ${config.id} | ${algorithm} | ${build} | - | - | (${ms}) |`);
        continue;
      }
      const gflops = flops / ms / 1e6;
      const share = (100 * gflops) / peaks.get(build)!;
      console.log(
        `| ${config.id} | ${algorithm} | ${build} | ${ms.toFixed(2)} | ${gflops.toFixed(1)} | ${share.toFixed(0)}% |`,
      );
    }
  }
}
initWasmSync();
