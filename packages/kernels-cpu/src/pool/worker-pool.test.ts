import { createRng } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { conv } from '../conv';
import { wasmInfo } from '../wasm/wasm-runtime';
import { AbortError, WorkerError } from './pool-errors';
import { claimWords, DONE_BY_WORKER } from './pool-task';
import { describeShared, toShared } from './shared-tensor';
import { setWorkerUrlForTest } from './worker-handle';
import { START_RETRIES, type StartFailure, WorkerPool } from './worker-pool';

/** A worker script that does not exist, as in a bundle that did not ship cpu-worker.js. */
const MISSING_WORKER = new URL('./no-such-cpu-worker.js', import.meta.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rng = createRng(81);

/** A conv task on shared tensors, with its claim word; `output` receives the result. */
function convTask() {
  const x = toShared(rng.normalTensor([1, 4, 9, 9]));
  const w = toShared(rng.normalTensor([6, 4, 3, 3]));
  const output = toShared(rng.normalTensor([1, 6, 7, 7]));
  const claims = claimWords(1);
  const task = {
    op: 'conv' as const,
    build: wasmInfo().build,
    args: [describeShared(x), describeShared(w)],
    options: {},
    tensorOptions: { bias: null },
    outputs: { output: describeShared(output) },
    claim: { buffer: claims.buffer as SharedArrayBuffer, index: 0 },
  };
  return { task, claims, output, want: () => conv(x, w) };
}

describe('WorkerPool', () => {
  it('settles ready() once its workers have started and loaded the build, then runs tasks, woken or not', async () => {
    const pool = new WorkerPool(2, wasmInfo().build);
    try {
      const started = performance.now();
      await pool.ready(60_000);
      expect(performance.now() - started).toBeLessThan(30_000);
      for (let i = 0; i < 3; i++) {
        if (i > 0) pool.wake();
        const { task, claims, output, want } = convTask();
        const job = pool.run(task);
        await job.done;
        expect(job.failure()).toBeNull();
        expect(Atomics.load(claims, 0)).toBe(DONE_BY_WORKER);
        expect([...output.data]).toEqual([...want().data]);
      }
    } finally {
      pool.dispose();
    }
  });

  it('runs tasks that come while its worker sleeps on its doorbell and after it went back to its event loop', async () => {
    const pool = new WorkerPool(1, wasmInfo().build);
    try {
      await pool.ready(60_000);
      // 1 ms apart: the worker is on its doorbell (WORKER_IDLE_MS); 300 ms: in its event loop.
      for (const pause of [0, 1, 1, 300, 1]) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        const { task, output, want } = convTask();
        await pool.run(task).done;
        expect([...output.data]).toEqual([...want().data]);
      }
      // Stopped while it sleeps on the doorbell: the next task runs on its replacement.
      const started = performance.now();
      expect(pool.terminateBusyWorker()).toBe(false);
      const { task } = convTask();
      const job = pool.run(task);
      pool.terminateBusyWorker();
      await expect(job.done).rejects.toThrow('a pool worker stopped while it ran part of the call');
      const next = convTask();
      await pool.run(next.task).done;
      expect([...next.output.data]).toEqual([...next.want().data]);
      expect(performance.now() - started).toBeLessThan(30_000);
    } finally {
      pool.dispose();
    }
  });

  it('counts a worker that stops while starting as ready (its replacement starts on its own)', async () => {
    const pool = new WorkerPool(1, wasmInfo().build);
    try {
      // Stopped before it could answer: ready() must not wait for the timeout.
      expect(pool.terminateBusyWorker()).toBe(false); // no task yet: nothing busy to stop
      const { task } = convTask();
      const job = pool.run(task);
      job.done.catch(() => {});
      expect(pool.terminateBusyWorker()).toBe(true);
      const started = performance.now();
      await pool.ready(60_000);
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(job.failure()?.error).toBeDefined();
    } finally {
      pool.dispose();
    }
  });

  it('gives a queued piece up (abandon) with an AbortError, and refuses tasks once disposed', async () => {
    const pool = new WorkerPool(1, wasmInfo().build);
    await pool.ready(60_000);
    const first = pool.run(convTask().task);
    const second = pool.run(convTask().task); // queued behind the first
    second.abandon();
    await expect(second.done).rejects.toThrow(AbortError);
    expect(second.failure()?.error).toBeInstanceOf(AbortError);
    await first.done;
    pool.dispose();
    const late = pool.run(convTask().task);
    await expect(late.done).rejects.toThrow('conv: the CPU context was disposed');
  });

  it('gives a slot whose worker cannot start one retry, then leaves it empty: reports it once, and refuses pieces', async () => {
    setWorkerUrlForTest(MISSING_WORKER);
    const pool = new WorkerPool(3, wasmInfo().build);
    try {
      const reports: StartFailure[] = [];
      pool.onStartFailure = (failure) => reports.push(failure);
      // Handed out before the workers failed: it goes back to the queue, then fails (no worker left).
      const early = pool.run(convTask().task);
      early.done.catch(() => {});
      const started = performance.now();
      await pool.ready(60_000);
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(pool.spawned).toBe(3 * (1 + START_RETRIES));
      expect(pool.size).toBe(0);
      await expect(early.done).rejects.toThrow(WorkerError);
      await expect(early.done).rejects.toThrow('conv: no pool worker is running: they could not start');
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ url: MISSING_WORKER.href, failed: 3, running: 0, size: 3 });
      expect(reports[0]!.reason).toContain('no-such-cpu-worker.js');
      // No respawn loop: nothing more is spawned.
      await sleep(500);
      expect(pool.spawned).toBe(3 * (1 + START_RETRIES));
      const late = pool.run(convTask().task);
      await expect(late.done).rejects.toThrow(WorkerError);
      expect(late.failure()?.error).toBeInstanceOf(WorkerError);
      expect(pool.teamMembers()).toEqual([]);
    } finally {
      setWorkerUrlForTest(null);
      pool.dispose();
    }
  });

  it('keeps a slot whose retry starts, and runs there a piece handed to the worker that failed', async () => {
    setWorkerUrlForTest(MISSING_WORKER);
    const pool = new WorkerPool(1, wasmInfo().build);
    // The first worker was spawned with the missing script; its retry loads the real one.
    setWorkerUrlForTest(null);
    try {
      const reports: StartFailure[] = [];
      pool.onStartFailure = (failure) => reports.push(failure);
      const { task, claims, output, want } = convTask();
      const job = pool.run(task);
      await pool.ready(60_000);
      await job.done;
      expect(job.failure()).toBeNull();
      expect(Atomics.load(claims, 0)).toBe(DONE_BY_WORKER);
      expect([...output.data]).toEqual([...want().data]);
      expect(pool.spawned).toBe(2);
      expect(pool.size).toBe(1);
      expect(reports).toEqual([]);
      // A started worker that crashes is still replaced (a crash, not a start failure).
      const next = convTask();
      const crashed = pool.run(next.task);
      crashed.done.catch(() => {});
      expect(pool.terminateBusyWorker(true)).toBe(true);
      await expect(crashed.done).rejects.toThrow('a pool worker stopped while it ran part of the call');
      expect(pool.spawned).toBe(3);
      const after = convTask();
      await pool.run(after.task).done;
      expect([...after.output.data]).toEqual([...after.want().data]);
    } finally {
      pool.dispose();
    }
  });
});
