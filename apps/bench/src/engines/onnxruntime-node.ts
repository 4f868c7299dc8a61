/**
 * onnxruntimeNodeEngines: ONNX Runtime's native CPU execution provider through
 * onnxruntime-node (MLAS kernels), at 1 and 2 intra-op threads. Thread-pool spinning is
 * turned off (session.intra_op.allow_spinning = 0): a spinning pool keeps a core busy after
 * each run and the next engine would be timed on it. The timed region is `session.run`,
 * whose output lands in a JS Float32Array.
 */
import type * as OrtCommon from 'onnxruntime-node';
import { type Engine, type PreparedRun, timeRun, unsupported } from '../engine';
import type { Problem } from '../problem';
import { onnxConvModel } from './onnx-conv-model';

type OrtNode = typeof import('onnxruntime-node');

let loading: Promise<OrtNode> | null = null;

function loadOrtNode(): Promise<OrtNode> {
  loading ??= import('onnxruntime-node');
  return loading;
}

/** Session options shared by both thread counts: no spinning, one inter-op thread, all graph optimisations. */
export function ortNodeSessionOptions(threads: number): OrtCommon.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

function ortNodeEngine(threads: number): Engine {
  let ort: OrtNode | null = null;
  const engine: Engine = {
    info: {
      id: `ort-node-${threads}t`,
      label: `onnxruntime-node ${threads}T`,
      library: 'onnxruntime-node',
      version: '',
      backend: 'cpu (native MLAS)',
      threads,
      convkit: false,
    },
    async init() {
      ort = await loadOrtNode();
      engine.info.version = ort.env.versions.node ?? ort.env.versions.common ?? '';
    },
    async prepare(problem: Problem) {
      const built = onnxConvModel(problem);
      if (typeof built === 'string') return unsupported(built);
      const runtime = ort!;
      const session = await runtime.InferenceSession.create(built.model, ortNodeSessionOptions(threads));
      const feeds: Record<string, OrtCommon.Tensor> = {};
      for (const f of built.feeds) feeds[f.name] = new runtime.Tensor('float32', f.data, f.dims);
      const prepared: PreparedRun = {
        async run(options) {
          const { ms, value } = await timeRun(() => session.run(feeds));
          const y = value[built.outputName]!;
          const output = options?.keepOutput ? Float32Array.from(y.data as Float32Array) : undefined;
          y.dispose();
          return { ms, output };
        },
        async dispose() {
          await session.release();
        },
      };
      return prepared;
    },
    async close() {},
  };
  return engine;
}

/** ONNX Runtime native, 1 and 2 threads. */
export function onnxruntimeNodeEngines(): Engine[] {
  return [ortNodeEngine(1), ortNodeEngine(2)];
}
