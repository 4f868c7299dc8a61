/**
 * convkitEngines: one engine per algorithm that @convkit/kernels-cpu registers in
 * `CONV_ALGORITHMS`, read at run time, so a new algorithm is measured without a change here.
 * The 'reference' algorithm is the oracle: its output is the truth every engine is checked
 * against. Inputs are convkit Tensors in channels-first layout, as the ops take them.
 */
import { createRequire } from 'node:module';
import {
  CONV_ALGORITHMS,
  conv,
  convBackward,
  convTranspose,
  deformConv,
  initWasmSync,
  type WasmBuild,
  wasmSupport,
} from '@convkit/kernels-cpu';
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

/** Algorithms written in TypeScript; every other one runs WebAssembly kernels. */
const TYPESCRIPT_ALGORITHMS = new Set(['reference', 'im2col']);

/**
 * The engine of one convkit algorithm ('auto' is what users get). `build` pins the WebAssembly
 * build ('simd' measures engines without relaxed SIMD); by default the one convkit picks.
 */
export function convkitEngine(algorithm: string, build?: WasmBuild): Engine {
  const wasm = !TYPESCRIPT_ALGORITHMS.has(algorithm);
  const backend = !wasm
    ? 'TypeScript'
    : `WebAssembly ${build ?? (wasmSupport().relaxedSimd ? 'relaxed-simd' : 'simd')}`;
  return {
    info: {
      id: build ? `convkit-${algorithm}-${build}` : `convkit-${algorithm}`,
      label: build ? `convkit ${algorithm} (${build})` : `convkit ${algorithm}`,
      library: '@convkit/kernels-cpu',
      version: kernelsVersion,
      backend: `${algorithm} (${backend})`,
      threads: 1,
      convkit: true,
      oracle: algorithm === ORACLE_ALGORITHM,
    },
    async init() {},
    async prepare(problem) {
      const call = callFor(problem, algorithm);
      // Each engine selects its build before it runs: engines of both builds share one instance cache.
      const selectBuild = () => {
        if (wasm) initWasmSync({ build: build ?? 'auto' });
      };
      const prepared: PreparedRun = {
        async run(options) {
          let timed: { ms: number; value: Tensor[] };
          try {
            selectBuild();
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

/**
 * The oracle first, then 'auto' (what users get: relaxed SIMD where the engine has it), 'auto'
 * on the plain SIMD build (when relaxed SIMD is the default, to show both), and every other
 * algorithm kernels-cpu has now.
 */
export function convkitEngines(): Engine[] {
  const others = CONV_ALGORITHMS.filter((name) => name !== ORACLE_ALGORITHM);
  return [
    convkitEngine(ORACLE_ALGORITHM),
    convkitEngine('auto'),
    ...(wasmSupport().relaxedSimd ? [convkitEngine('auto', 'simd')] : []),
    ...others.map((name) => convkitEngine(name)),
  ];
}
