/**
 * onnxruntimeWebEngines: ONNX Runtime Web (onnxruntime-web, its WebAssembly SIMD build) at 1
 * and 2 threads. Its thread count is fixed when the wasm module starts, once per copy of the
 * library, so each engine runs the library in its own worker thread (./ort-web-worker.mjs)
 * and times each run there. Two threads need WebAssembly threads (SharedArrayBuffer), which
 * Node has; if the library falls back to one thread, the 2-thread engine says so instead of
 * reporting a 1-thread number under a 2-thread name.
 */
import { Worker } from 'node:worker_threads';
import { type Engine, type PreparedRun, unsupported } from '../engine';
import { buildOnnxModel } from '../onnx-model';
import type { Problem } from '../problem';
import { type OnnxFeed, onnxConvModel } from './onnx-conv-model';

interface Reply {
  id: number;
  result?: { ms?: number; output?: Float32Array; version?: string; threads?: number };
  error?: string;
}

/** A worker thread with request/reply messaging. */
class OrtWebWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Reply['result']) => void; reject: (e: Error) => void }
  >();
  private failure: Error | null = null;

  constructor(threads: number) {
    this.worker = new Worker(new URL('./ort-web-worker.mjs', import.meta.url), { workerData: { threads } });
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply.result);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`onnxruntime-web worker exited with code ${code}`)));
  }

  request(message: Record<string, unknown>): Promise<NonNullable<Reply['result']>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (r) => resolve(r ?? {}), reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** A 1x1 convolution on one pixel: enough to start the wasm module and its thread pool. */
function startupModel(): { model: Uint8Array; feeds: OnnxFeed[]; outputName: string } {
  const model = buildOnnxModel({
    opType: 'Conv',
    nodeInputs: ['X', 'W'],
    graphInputs: [{ name: 'X', shape: [1, 1, 1, 1] }],
    initializers: [{ name: 'W', shape: [1, 1, 1, 1], data: new Float32Array([1]) }],
    output: { name: 'Y', shape: [1, 1, 1, 1] },
    attributes: { kernel_shape: [1, 1] },
  });
  return { model, feeds: [{ name: 'X', data: new Float32Array([1]), dims: [1, 1, 1, 1] }], outputName: 'Y' };
}

function ortWebEngine(threads: number): Engine {
  let worker: OrtWebWorker | null = null;
  let prepared = 0;
  const engine: Engine = {
    info: {
      id: `ort-web-${threads}t`,
      label: `onnxruntime-web ${threads}T`,
      library: 'onnxruntime-web',
      version: '',
      backend: 'wasm (SIMD)',
      threads,
      convkit: false,
    },
    async init() {
      worker = new OrtWebWorker(threads);
      try {
        const started = await worker.request({ type: 'init', ...startupModel() });
        engine.info.version = started.version ?? '';
        if (started.threads !== threads) {
          throw new Error(
            `onnxruntime-web started ${started.threads} thread(s) instead of ${threads}: WebAssembly threads are not available in this Node.js`,
          );
        }
      } catch (error) {
        await worker.terminate();
        worker = null;
        throw error;
      }
    },
    async prepare(problem: Problem) {
      const built = onnxConvModel(problem);
      if (typeof built === 'string') return unsupported(built);
      const w = worker!;
      const key = `${problem.key}#${prepared++}`;
      await w.request({
        type: 'prepare',
        key,
        model: built.model,
        feeds: built.feeds,
        outputName: built.outputName,
      });
      const run: PreparedRun = {
        async run(options) {
          const reply = await w.request({ type: 'run', key, keepOutput: options?.keepOutput ?? false });
          return { ms: reply.ms!, output: reply.output };
        },
        async dispose() {
          await w.request({ type: 'dispose', key });
        },
        notes: ['timed inside its worker thread (one copy of onnxruntime-web per thread count)'],
      };
      return run;
    },
    async close() {
      await worker?.terminate();
      worker = null;
    },
  };
  return engine;
}

/** ONNX Runtime Web (wasm), 1 and 2 threads. */
export function onnxruntimeWebEngines(): Engine[] {
  return [ortWebEngine(1), ortWebEngine(2)];
}
