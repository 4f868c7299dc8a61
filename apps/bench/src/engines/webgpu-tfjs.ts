/**
 * tfjsWebgpuEngine: TensorFlow.js on its WebGPU backend (@tensorflow/tfjs-backend-webgpu), the
 * GPU peer convkit webgpu is compared with. It runs headless in Node: the backend asks
 * `navigator.gpu` for an adapter, which Node 20 lacks, so the engine installs the `webgpu`
 * package's GPU object (Dawn) there, with the WebGPU constants (GPUBufferUsage...) as globals,
 * before loading the backend. The problems and layouts are those of ./tfjs (`planTfjs`: NHWC,
 * converted outside the timed region); the timed region is the op and `await data()` of its
 * outputs (WebGPU has no synchronous read-back). On a software adapter, as for convkit webgpu,
 * only the smoke sizes run unless CONVKIT_BENCH_SOFTWARE_GPU=1.
 *
 * ONNX Runtime Web's WebGPU provider is not an engine: in Node (onnxruntime-web 1.30, with
 * navigator.gpu set to Dawn's) creating a session with executionProviders ['webgpu'] fails
 * inside its wasm with "Invalid argument", where the same model runs on 'wasm'; it needs a browser.
 */
import { createRequire } from 'node:module';
import type * as TfCore from '@tensorflow/tfjs-core';
import { concatOutputs, type Engine, type PreparedRun, timeRun, unsupported } from '../engine';
import { permuteData } from '../layout';
import { planTfjs } from './tfjs';

type Tf = typeof TfCore;

interface Loaded {
  tf: Tf;
  version: string;
  adapter: string;
  software: boolean;
  /** The `webgpu` package's GPU object: Dawn crashes if it is collected while its device lives. */
  gpu: unknown;
}

let loading: Promise<Loaded> | null = null;

/** The backend's version (it exports none): its package.json, else tfjs-core's (released together). */
function backendVersion(tf: Tf): string {
  try {
    return (
      createRequire(import.meta.url)('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string }
    ).version;
  } catch {
    return tf.version_core;
  }
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software/i;

/** Gives Node a navigator.gpu (Dawn) and the WebGPU globals, then loads tfjs and its WebGPU backend. */
function loadTfjsWebgpu(): Promise<Loaded> {
  loading ??= (async () => {
    const dawn = (await import('webgpu')) as { create: (options: string[]) => GPU; globals: object };
    const gpu = dawn.create([]);
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    }
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (g.navigator === undefined) g.navigator = { gpu };
    else if (g.navigator.gpu === undefined)
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    const adapter = await gpu.requestAdapter();
    const info = (
      adapter as { info?: { description?: string; device?: string; architecture?: string } } | null
    )?.info;
    const description = info?.description || info?.device || 'unknown adapter';
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    return {
      tf,
      version: backendVersion(tf),
      adapter: description,
      software: SOFTWARE.test(`${description} ${info?.architecture ?? ''}`),
      gpu,
    };
  })();
  return loading;
}

async function selectWebgpu(tf: Tf): Promise<void> {
  if (tf.getBackend() === 'webgpu') return;
  if (!(await tf.setBackend('webgpu'))) throw new Error("tfjs could not initialise its 'webgpu' backend");
}

export function tfjsWebgpuEngine(): Engine {
  let loaded: Loaded | null = null;
  const engine: Engine = {
    info: {
      id: 'tfjs-webgpu',
      label: 'tfjs webgpu',
      library: '@tensorflow/tfjs-backend-webgpu',
      version: '',
      backend: 'WebGPU',
      threads: 1,
      convkit: false,
    },
    async init() {
      loaded = await loadTfjsWebgpu();
      engine.info.version = loaded.version;
      engine.info.backend = `WebGPU: ${loaded.adapter}${loaded.software ? ' (software adapter)' : ''}`;
      if (loaded.software) engine.info.label += ' (software adapter)';
      await selectWebgpu(loaded.tf);
    },
    async prepare(problem) {
      const { tf, software, adapter } = loaded!;
      if (software && !problem.smoke && process.env.CONVKIT_BENCH_SOFTWARE_GPU !== '1') {
        return unsupported(
          `software WebGPU adapter (${adapter}): only --smoke sizes run here (set CONVKIT_BENCH_SOFTWARE_GPU=1 to time them anyway)`,
        );
      }
      await selectWebgpu(tf);
      const plan = planTfjs(problem, 'webgpu' as never, tf);
      if (typeof plan === 'string') return unsupported(plan);
      const inputs = plan.tensors.map((t) => tf.tensor(t.data, t.shape, 'float32'));
      const prepared: PreparedRun = {
        async run(options) {
          await selectWebgpu(tf);
          const { ms, value } = await timeRun(async () => {
            const ys = plan.run(tf, inputs);
            const data = await Promise.all(ys.map((y) => y.data() as Promise<Float32Array>));
            return { ys, data };
          });
          const output = options?.keepOutput
            ? concatOutputs(
                value.data.map((d, i) => permuteData(d, value.ys[i]!.shape, plan.outputOrders[i]!)),
              )
            : undefined;
          for (const y of value.ys) y.dispose();
          return { ms, output };
        },
        dispose() {
          for (const t of inputs) t.dispose();
        },
        notes: ['channels-last (NHWC) data converted outside the timed region'],
      };
      return prepared;
    },
    async close() {},
  };
  return engine;
}

/** The WebGPU peers that run headless in Node: tfjs-backend-webgpu. */
export function webgpuPeerEngines(): Engine[] {
  return [tfjsWebgpuEngine()];
}
