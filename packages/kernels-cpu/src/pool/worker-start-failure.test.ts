/**
 * A CPU context whose workers cannot start (their script does not load, as in a bundle that
 * did not ship cpu-worker.js): the pool retries each slot once and then leaves it empty, the
 * context warns once and runs every call on the caller, with the synchronous ops' results.
 */
import { assertClose, createRng, type Tensor } from '@convkit/tensor';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { conv } from '../conv';
import { convBackward } from '../conv-backward';
import { createSplittingContext } from './piece-context-for-tests';
import { AbortError } from './pool-errors';
import type { PoolTeam } from './wasm-team';
import { setWorkerUrlForTest } from './worker-handle';
import { START_RETRIES } from './worker-pool';

const rng = createRng(404);
const same = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 0, rtol: 0 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Hooks {
  spawnedWorkersForTest(): number;
  splitCallsForTest(): number;
  teamForTest(): PoolTeam | null;
}
const hooks = (context: object) => context as unknown as Hooks;

afterEach(() => {
  setWorkerUrlForTest(null);
  vi.restoreAllMocks();
});

describe('createCpuContext whose workers cannot start', () => {
  it('spawns a bounded number of workers, warns once, runs every call on the caller, and disposes', async () => {
    const missing = new URL('./no-such-cpu-worker.js', import.meta.url);
    setWorkerUrlForTest(missing);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // Splitting from a few million multiply-adds: with its workers these calls would be shared out.
    const cpu = await createSplittingContext({ threads: 2 });
    try {
      const spawned = hooks(cpu).spawnedWorkersForTest();
      expect(spawned).toBe(1 + START_RETRIES);
      expect(cpu.threads).toBe(0);
      expect(cpu.sync.threads).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
      const message = String(warn.mock.calls[0]![0]);
      expect(message).toContain(missing.href);
      expect(message).toContain('(it threw Cannot find module'); // the platform's error
      expect(message).toContain('runs every call on the calling thread only');
      expect(message).toContain("new URL('./cpu-worker.js', import.meta.url)");
      expect(message).toContain('second entry point');
      expect(message).toContain('beside the module that imports @convkit/kernels-cpu');
      // No respawn loop.
      await sleep(500);
      expect(hooks(cpu).spawnedWorkersForTest()).toBe(spawned);

      const x = rng.normalTensor([2, 16, 40, 40]);
      const w = rng.normalTensor([32, 16, 3, 3]);
      const b = rng.normalTensor([32]);
      same(await cpu.conv(x, w, { padding: 1, bias: b }), conv(x, w, { padding: 1, bias: b }));
      same(cpu.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      const gy = rng.normalTensor([2, 32, 40, 40]);
      const want = convBackward(gy, x, w, { padding: 1 });
      for (const got of [
        await cpu.convBackward(gy, x, w, { padding: 1 }),
        cpu.sync.convBackward(gy, x, w, { padding: 1 }),
      ]) {
        same(got.gradInput, want.gradInput);
        same(got.gradWeight, want.gradWeight);
        same(got.gradBias, want.gradBias);
      }
      // Nothing was shared out: no op-level pieces, nothing on the team (no member).
      expect(hooks(cpu).splitCallsForTest()).toBe(0);
      const team = hooks(cpu).teamForTest();
      expect(team === null || (team.threads === 1 && team.workerParts + team.takenBack === 0)).toBe(true);

      // Once per worker script: a second context that fails the same way says nothing more.
      const again = await createSplittingContext({ threads: 2 });
      expect(again.threads).toBe(0);
      again.dispose();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(hooks(cpu).spawnedWorkersForTest()).toBe(spawned);
    } finally {
      cpu.dispose();
    }
    await expect(cpu.conv(rng.normalTensor([1, 2, 4, 4]), rng.normalTensor([2, 2, 1, 1]))).rejects.toThrow(
      AbortError,
    );
  });
});
