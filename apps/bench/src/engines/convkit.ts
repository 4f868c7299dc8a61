/**
 * convkitEngines: one engine per algorithm that @convkit/kernels-cpu registers in
 * `CONV_ALGORITHMS`, read at run time, so a new algorithm is measured without a change here.
 * The 'reference' algorithm is the oracle: its output is the truth every engine is checked
 * against. Inputs are convkit Tensors in channels-first layout, as the ops take them.
 */
import { createRequire } from 'node:module';
import { CONV_ALGORITHMS, conv, convBackward, convTranspose, deformConv } from '@convkit/kernels-cpu';
import { ArgumentError, type Tensor, UnsupportedError } from '@convkit/tensor';
import { concatOutputs, type Engine, type PreparedRun, timeRun } from '../engine';
import { EngineUnsupportedError } from '../engine-unsupported-error';
import type { Problem } from '../problem';

const kernelsVersion = (
  createRequire(import.meta.url)('@convkit/kernels-cpu/package.json') as { version: string }
).version;

/** The name of the oracle algorithm: the readable direct loops with float64 accumulation. */
export const ORACLE_ALGORITHM = 'reference';

/** The op call of one problem with one algorithm; returns the output tensors in the engine's order. */
function callFor(problem: Problem, algorithm: string): () => Tensor[] {
  const { geometry: g, sizes } = problem;
  const common = {
    stride: g.stride,
    padding: g.padBefore.map((before, d) => [before, g.padAfter[d]!] as [number, number]),
    dilation: g.dilation,
    groups: g.groups,
    algorithm,
  };
  switch (problem.op) {
    case 'conv':
      return () => [conv(problem.input, problem.weight, common)];
    case 'convTranspose':
      return () => [
        convTranspose(problem.input, problem.weight, { ...common, outputPadding: sizes.outputPadding ?? 0 }),
      ];
    case 'deformConv':
      return () => [
        deformConv(problem.input, problem.weight, problem.offset!, { ...common, mask: problem.mask }),
      ];
    case 'convBackward':
      return () => {
        const grads = convBackward(problem.gradOutput!, problem.input, problem.weight, common);
        return [grads.gradInput, grads.gradWeight];
      };
  }
}

/** An algorithm the op does not have is 'unsupported', not an error of the bench. */
function isMissingAlgorithm(error: unknown): boolean {
  return (
    UnsupportedError.isInstance(error) ||
    (ArgumentError.isInstance(error) && /algorithm must be/.test((error as Error).message))
  );
}

/** The engine of one convkit algorithm. */
export function convkitEngine(algorithm: string): Engine {
  return {
    info: {
      id: `convkit-${algorithm}`,
      label: `convkit ${algorithm}`,
      library: '@convkit/kernels-cpu',
      version: kernelsVersion,
      backend: `${algorithm} (TypeScript)`,
      threads: 1,
      convkit: true,
      oracle: algorithm === ORACLE_ALGORITHM,
    },
    async init() {},
    async prepare(problem) {
      const call = callFor(problem, algorithm);
      const prepared: PreparedRun = {
        async run(options) {
          let timed: { ms: number; value: Tensor[] };
          try {
            timed = await timeRun(call);
          } catch (error) {
            if (isMissingAlgorithm(error)) throw new EngineUnsupportedError((error as Error).message);
            throw error;
          }
          return {
            ms: timed.ms,
            output: options?.keepOutput
              ? concatOutputs(timed.value.map((t) => t.toFloat32Array()))
              : undefined,
          };
        },
        dispose() {},
      };
      return prepared;
    },
    async close() {},
  };
}

/** Every algorithm kernels-cpu has now, the oracle first. */
export function convkitEngines(): Engine[] {
  const names = [...CONV_ALGORITHMS].sort(
    (a, b) => Number(b === ORACLE_ALGORITHM) - Number(a === ORACLE_ALGORITHM),
  );
  return names.map((name) => convkitEngine(name));
}
