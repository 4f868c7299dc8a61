import { describe, expect, it } from 'vitest';
import { BENCH_CONFIGS } from '../bench-configs';
import { isUnsupported } from '../engine';
import { createProblem } from '../problem';
import { referenceCache } from '../reference-cache';
import { tfjsWebgpuEngine, webgpuPeerEngines } from './webgpu-tfjs';

const smoke = (id: string) => createProblem(BENCH_CONFIGS.find((c) => c.id === id)!, { smoke: true });

/** tfjs-webgpu needs a WebGPU adapter (Dawn on this machine's Vulkan driver); else one line says why it skips. */
const engine = tfjsWebgpuEngine();
const started = await engine.init().then(
  () => '',
  (error: unknown) => (error as Error).message,
);
if (started) console.warn(`[bench] tfjs-webgpu engine tests skipped: ${started}`);

describe('webgpuPeerEngines', () => {
  it('is tfjs on its WebGPU backend, a peer', () => {
    expect(webgpuPeerEngines().map((e) => e.info.id)).toEqual(['tfjs-webgpu']);
    expect(engine.info.convkit).toBe(false);
  });

  it.skipIf(started !== '')(
    'runs headless in Node and returns the reference output, in convkit layouts',
    async () => {
      expect(engine.info.version).toMatch(/^4\./);
      for (const id of ['c3x3', 'dw3x3', 'tconv4x4', 'c3x3-bwd']) {
        const problem = smoke(id);
        const made = await engine.prepare(problem);
        if (isUnsupported(made)) throw new Error(`${id}: ${made.unsupported}`);
        const { output } = await made.run({ keepOutput: true });
        const expected = (await referenceCache.get(problem)).output;
        expect(output!.length, id).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) {
          expect(Math.abs(output![i]! - expected[i]!), `${id}[${i}]`).toBeLessThanOrEqual(
            1e-4 + 1e-4 * Math.abs(expected[i]!),
          );
        }
        await made.dispose();
      }
    },
  );

  it.skipIf(started !== '')('says what tfjs cannot run', async () => {
    const made = await engine.prepare(smoke('deform3x3'));
    expect(isUnsupported(made) && made.unsupported).toBe('tfjs has no deformable convolution');
  });
});
