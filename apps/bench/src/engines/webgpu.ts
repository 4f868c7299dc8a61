/**
 * webgpuEngines: @convkit/kernels-gpu on WebGPU ('convkit webgpu', what 'auto' picks, and
 * 'convkit webgpu direct', the GPU's reference kernels). In Node the device comes from the
 * `webgpu` package (Dawn): on a machine without a GPU that is a CPU Vulkan driver (lavapipe,
 * SwiftShader), and the label then says 'software adapter', because such timings say nothing
 * about GPUs. Inputs and weights are uploaded while preparing (untimed); the timed region is
 * the op and the read-back of its outputs into JS memory (`toTensor`), which waits for the GPU.
 * On a software adapter only the smoke problems run (they check correctness); full-size
 * configs are reported unsupported unless CONVKIT_BENCH_SOFTWARE_GPU=1, because they take
 * minutes on a CPU driver and their timings mean nothing (scripts/gpu-bench.sh runs them on a GPU).
 */
import { createRequire } from 'node:module';
import { createGpuContext, type GpuContext, type GpuTensor } from '@convkit/kernels-gpu';
import { ArgumentError, UnsupportedError } from '@convkit/tensor';
import { concatOutputs, type Engine, type PreparedRun, timeRun, unsupported } from '../engine';
import { EngineUnsupportedError } from '../engine-unsupported-error';
import type { Problem } from '../problem';

const version = (createRequire(import.meta.url)('@convkit/kernels-gpu/package.json') as { version: string })
  .version;

/** The op call of one problem on GPU tensors; returns the outputs in the harness's order. */
function callFor(
  gpu: GpuContext,
  problem: Problem,
  algorithm: string,
  inputs: Record<string, GpuTensor | null>,
): () => GpuTensor[] {
  const { geometry: g, sizes } = problem;
  const common = {
    stride: g.stride,
    padding: g.padBefore.map((before, d) => [before, g.padAfter[d]!] as [number, number]),
    dilation: g.dilation,
    groups: g.groups,
    algorithm: algorithm as 'auto',
  };
  const { input, weight, offset, gradOutput } = inputs as Record<string, GpuTensor>;
  switch (problem.op) {
    case 'conv':
      return () => [gpu.conv(input!, weight!, common)];
    case 'convTranspose':
      return () => [
        gpu.convTranspose(input!, weight!, { ...common, outputPadding: sizes.outputPadding ?? 0 }),
      ];
    case 'deformConv':
      return () => [gpu.deformConv(input!, weight!, offset!, { ...common, mask: inputs.mask })];
    case 'convBackward':
      return () => {
        const grads = gpu.convBackward(gradOutput!, input!, weight!, common);
        grads.gradBias.dispose();
        return [grads.gradInput, grads.gradWeight];
      };
  }
}

/** The engine of one GPU algorithm ('auto' or a name from GPU_CONV_ALGORITHMS). */
export function webgpuEngine(algorithm: 'auto' | 'direct'): Engine {
  let gpu: GpuContext | null = null;
  const suffix = algorithm === 'auto' ? '' : `-${algorithm}`;
  const engine: Engine = {
    info: {
      id: `convkit-webgpu${suffix}`,
      label: `convkit webgpu${algorithm === 'auto' ? '' : ` ${algorithm}`}`,
      library: '@convkit/kernels-gpu',
      version,
      backend: 'WebGPU',
      threads: 1,
      convkit: true,
    },
    async init() {
      gpu = await createGpuContext({ powerPreference: 'high-performance' });
      const what = gpu.info.description || gpu.info.device || gpu.info.vendor || 'unknown adapter';
      engine.info.backend = `WebGPU: ${what}${gpu.info.software ? ' (software adapter)' : ''}`;
      if (gpu.info.software) engine.info.label += ' (software adapter)';
    },
    async prepare(problem) {
      const ctx = gpu!;
      if (ctx.info.software && !problem.smoke && process.env.CONVKIT_BENCH_SOFTWARE_GPU !== '1') {
        return unsupported(
          `software WebGPU adapter (${ctx.info.description || ctx.info.device}): only --smoke sizes run here (set CONVKIT_BENCH_SOFTWARE_GPU=1 to time them anyway; scripts/gpu-bench.sh runs a real GPU)`,
        );
      }
      const uploaded: Record<string, GpuTensor | null> = {
        input: ctx.upload(problem.input),
        weight: ctx.upload(problem.weight),
        offset: problem.offset ? ctx.upload(problem.offset) : null,
        mask: problem.mask ? ctx.upload(problem.mask) : null,
        gradOutput: problem.gradOutput ? ctx.upload(problem.gradOutput) : null,
      };
      const call = callFor(ctx, problem, algorithm, uploaded);
      const prepared: PreparedRun = {
        async run(options) {
          let timed: { ms: number; value: Float32Array[] };
          try {
            timed = await timeRun(async () => {
              const outputs = call();
              const hosts = await Promise.all(outputs.map((t) => t.toTensor()));
              for (const t of outputs) t.dispose();
              return hosts.map((t) => t.data);
            });
          } catch (error) {
            if (UnsupportedError.isInstance(error) || ArgumentError.isInstance(error)) {
              throw new EngineUnsupportedError((error as Error).message);
            }
            throw error;
          }
          return { ms: timed.ms, output: options?.keepOutput ? concatOutputs(timed.value) : undefined };
        },
        dispose() {
          for (const t of Object.values(uploaded)) t?.dispose();
        },
        notes: ctx.info.software
          ? ['software WebGPU adapter: checks correctness, says nothing of GPU speed']
          : [],
      };
      return prepared;
    },
    async close() {
      gpu?.dispose();
      gpu = null;
    },
  };
  return engine;
}

/** convkit on WebGPU: 'auto' and the direct kernels. */
export function webgpuEngines(): Engine[] {
  return [webgpuEngine('auto'), webgpuEngine('direct')];
}
