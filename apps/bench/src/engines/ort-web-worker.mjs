/**
 * The worker behind the onnxruntime-web engines. onnxruntime-web sets its thread count once
 * per module instance (a global pool created at wasm start-up), so each thread count gets
 * its own worker thread with its own copy of the library. Runs are timed here, next to the
 * work, so that messaging stays outside the timed region. Plain JavaScript: the worker must
 * start without a TypeScript loader. Protocol: see onnxruntime-web.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = workerData.threads;
ort.env.logLevel = 'error';

/** @type {Map<string, { session: any, feeds: Record<string, any>, outputName: string }>} */
const prepared = new Map();

const sessionOptions = {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  // No spinning: an idle pool thread must not steal the core the next engine is timed on.
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

async function prepare(key, model, feeds, outputName) {
  const session = await ort.InferenceSession.create(model, sessionOptions);
  const tensors = {};
  for (const f of feeds) tensors[f.name] = new ort.Tensor('float32', f.data, f.dims);
  prepared.set(key, { session, feeds: tensors, outputName });
}

async function handle(message) {
  switch (message.type) {
    case 'init': {
      // A first session starts the wasm module, and with it the thread pool (or its fallback).
      await prepare('__init__', message.model, message.feeds, message.outputName);
      await release('__init__');
      return { version: ort.env.versions.web ?? ort.env.versions.common, threads: ort.env.wasm.numThreads };
    }
    case 'prepare':
      await prepare(message.key, message.model, message.feeds, message.outputName);
      return {};
    case 'run': {
      const entry = prepared.get(message.key);
      if (!entry) throw new Error(`ort-web worker: no prepared problem '${message.key}'`);
      const start = performance.now();
      const results = await entry.session.run(entry.feeds);
      const ms = performance.now() - start;
      const y = results[entry.outputName];
      const output = message.keepOutput ? Float32Array.from(y.data) : undefined;
      y.dispose?.();
      return { ms, output };
    }
    case 'dispose':
      await release(message.key);
      return {};
    default:
      throw new Error(`ort-web worker: unknown message type '${message.type}'`);
  }
}

async function release(key) {
  const entry = prepared.get(key);
  prepared.delete(key);
  if (entry) await entry.session.release();
}

parentPort.on('message', async (message) => {
  try {
    const result = await handle(message);
    parentPort.postMessage({ id: message.id, result });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
