/**
 * convkitThreadEngines: convkit on several threads (createCpuContext from @convkit/kernels-cpu,
 * 'auto' algorithms), two threads ('convkit 2T': the calling thread and one worker, beside
 * onnxruntime-web 2T and onnxruntime-node 2T), and every core ('auto' threads) where that is
 * not two. The context starts once per engine (init) and its workers stay up between runs, as
 * in an app; each run is one awaited pooled call, on the default WebAssembly build (the
 * workers run the caller's build, which another convkit engine may have switched).
 */
import { availableParallelism } from 'node:os';
import { type CpuContext, createCpuContext, initWasmSync } from '@convkit/kernels-cpu';
import type { Tensor } from '@convkit/tensor';
import { concatOutputs, type Engine, timeRun } from '../engine';
import type { Problem } from '../problem';
import { convkitEngine } from './convkit';

/** The pooled call of one problem; resolves to the output tensors in the engine's order. */
function pooledCall(cpu: CpuContext, problem: Problem): () => Promise<Tensor[]> {
  const { geometry: g, sizes } = problem;
  const common = {
    stride: g.stride,
    padding: g.padBefore.map((before, d) => [before, g.padAfter[d]!] as [number, number]),
    dilation: g.dilation,
    groups: g.groups,
    algorithm: 'auto',
  };
  switch (problem.op) {
    case 'conv':
      return async () => [await cpu.conv(problem.input, problem.weight, common)];
    case 'convTranspose':
      return async () => [
        await cpu.convTranspose(problem.input, problem.weight, {
          ...common,
          outputPadding: sizes.outputPadding ?? 0,
        }),
      ];
    case 'deformConv':
      return async () => [
        await cpu.deformConv(problem.input, problem.weight, problem.offset!, {
          ...common,
          mask: problem.mask,
        }),
      ];
    case 'convBackward':
      return async () => {
        const grads = await cpu.convBackward(problem.gradOutput!, problem.input, problem.weight, common);
        return [grads.gradInput, grads.gradWeight];
      };
  }
}

/** convkit 'auto' on a pool of `threads` workers ('auto': every core). */
export function convkitThreadEngine(threads: number | 'auto'): Engine {
  const base = convkitEngine('auto').info;
  const count = threads === 'auto' ? availableParallelism() : threads;
  let cpu: CpuContext | null = null;
  return {
    info: {
      ...base,
      id: threads === 'auto' ? 'convkit-auto-threads' : `convkit-${threads}t`,
      label: threads === 'auto' ? `convkit auto threads (${count})` : `convkit ${threads}T`,
      backend: `${base.backend}, createCpuContext`,
      threads: count,
    },
    async init() {
      cpu = await createCpuContext({ threads });
    },
    async prepare(problem) {
      if (!cpu) cpu = await createCpuContext({ threads });
      const call = pooledCall(cpu, problem);
      return {
        async run(options) {
          initWasmSync({ build: 'auto' });
          const timed = await timeRun(call);
          return {
            ms: timed.ms,
            output: options?.keepOutput
              ? concatOutputs(timed.value.map((t) => t.toFloat32Array()))
              : undefined,
          };
        },
        dispose() {},
      };
    },
    async close() {
      cpu?.dispose();
      cpu = null;
    },
  };
}

/** convkit 2T, and 'auto' threads where the machine has other than two cores. */
export function convkitThreadEngines(): Engine[] {
  return [convkitThreadEngine(2), ...(availableParallelism() !== 2 ? [convkitThreadEngine('auto')] : [])];
}
