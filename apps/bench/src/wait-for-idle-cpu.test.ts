import { describe, expect, it } from 'vitest';
import { waitForIdleCpu } from './wait-for-idle-cpu';

/** A fake process: a clock that sleep advances, and CPU time that grows at `busy(t)` cores. */
function fakeProcess(busy: (t: number) => number) {
  let t = 0;
  let cpuMicros = 0;
  return {
    now: () => t,
    cpuMicros: () => cpuMicros,
    sleep: async (ms: number) => {
      for (let i = 0; i < ms; i++) cpuMicros += busy(t + i) * 1000;
      t += ms;
    },
  };
}

describe('waitForIdleCpu', () => {
  it('returns after two quiet windows in a quiet process', async () => {
    expect(await waitForIdleCpu(fakeProcess(() => 0))).toEqual({ idle: true, waitedMs: 6 });
    // The real process, idle here: quiet at once.
    expect((await waitForIdleCpu()).idle).toBe(true);
  });

  it('waits while a thread of this process keeps a core busy (a spinning pool), then returns', async () => {
    const spinning = fakeProcess((t) => (t < 20 ? 1 : 0.02));
    const result = await waitForIdleCpu(spinning);
    expect(result.idle).toBe(true);
    expect(result.waitedMs).toBeGreaterThanOrEqual(20);
    expect(result.waitedMs).toBeLessThanOrEqual(27);
  });

  it('does not take one quiet window between busy ones for idle', async () => {
    // Busy, except one window the scheduler paused the spinning thread for.
    const result = await waitForIdleCpu({ ...fakeProcess((t) => (t >= 9 && t < 12 ? 0 : 1)), maxMs: 40 });
    expect(result).toEqual({ idle: false, waitedMs: 42 });
  });

  it('gives up after maxMs when the process never goes quiet', async () => {
    expect(await waitForIdleCpu({ ...fakeProcess(() => 1), maxMs: 30 })).toEqual({
      idle: false,
      waitedMs: 30,
    });
  });
});
