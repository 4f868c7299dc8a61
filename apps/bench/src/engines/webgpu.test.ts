import { createGpuContext } from '@convkit/kernels-gpu';
import { describe, expect, it } from 'vitest';
import { BENCH_CONFIGS } from '../bench-configs';
import { isUnsupported } from '../engine';
import { createProblem } from '../problem';
import { referenceCache } from '../reference-cache';
import { webgpuEngine, webgpuEngines } from './webgpu';

/** Whether this machine has a WebGPU adapter (else the suite says why it skips). */
const adapter = await createGpuContext().then(
  (gpu) => {
    const software = gpu.info.software;
    gpu.dispose();
    return { ok: true, software, reason: '' };
  },
  (error: unknown) => ({ ok: false, software: false, reason: (error as Error).message }),
);
if (!adapter.ok) console.warn(`[bench] webgpu engine tests skipped: ${adapter.reason}`);

const config = (id: string) => BENCH_CONFIGS.find((c) => c.id === id)!;

describe('webgpuEngines', () => {
  it("has 'auto' and the direct kernels, as convkit engines", () => {
    const engines = webgpuEngines();
    expect(engines.map((e) => e.info.id)).toEqual(['convkit-webgpu', 'convkit-webgpu-direct']);
    expect(engines.every((e) => e.info.convkit && !e.info.oracle)).toBe(true);
  });

  describe.skipIf(!adapter.ok)(
    `on this machine's adapter${adapter.reason ? ` (${adapter.reason})` : ''}`,
    () => {
      it('returns the reference output of every op, within the tolerance, and says when the adapter is software', async () => {
        const engine = webgpuEngine('auto');
        await engine.init();
        expect(engine.info.label.endsWith('(software adapter)')).toBe(adapter.software);
        for (const id of ['c3x3', 'tconv4x4', 'deform3x3', 'c3x3-bwd', 'conv3d', 'dw3x3']) {
          const problem = createProblem(config(id), { smoke: true });
          const made = await engine.prepare(problem);
          if (isUnsupported(made)) throw new Error(made.unsupported);
          const { output, ms } = await made.run({ keepOutput: true });
          expect(ms).toBeGreaterThan(0);
          const expected = (await referenceCache.get(problem)).output;
          expect(output!.length, id).toBe(expected.length);
          for (let i = 0; i < expected.length; i++) {
            expect(Math.abs(output![i]! - expected[i]!), `${id}[${i}]`).toBeLessThanOrEqual(
              1e-4 + 1e-4 * Math.abs(expected[i]!),
            );
          }
          await made.dispose();
        }
        await engine.close();
      });

      it.skipIf(!adapter.software)(
        'on a software adapter, reports full-size configs unsupported with the reason',
        async () => {
          const engine = webgpuEngine('direct');
          await engine.init();
          const made = await engine.prepare(createProblem(config('c3x3')));
          expect(isUnsupported(made) && made.unsupported).toMatch(/software WebGPU adapter .*gpu-bench\.sh/);
          await engine.close();
        },
      );
    },
  );
});
