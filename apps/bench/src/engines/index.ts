/**
 * Every engine the harness knows, convkit first. A new engine (kernels-gpu, another peer)
 * is one more factory in this list; nothing else in the harness changes.
 */
import type { Engine } from '../engine';
import { convkitEngines } from './convkit';
import { convkitThreadEngines } from './convkit-threads';
import { onnxruntimeNodeEngines } from './onnxruntime-node';
import { onnxruntimeWebEngines } from './onnxruntime-web';
import { tfjsEngines } from './tfjs';
import { webgpuEngines } from './webgpu';
import { webgpuPeerEngines } from './webgpu-tfjs';

export const ENGINE_FACTORIES: readonly (() => Engine[])[] = [
  convkitEngines,
  convkitThreadEngines,
  webgpuEngines,
  tfjsEngines,
  webgpuPeerEngines,
  onnxruntimeWebEngines,
  onnxruntimeNodeEngines,
];

/** Fresh instances of every engine. */
export function createEngines(): Engine[] {
  return ENGINE_FACTORIES.flatMap((factory) => factory());
}
