/**
 * waitForIdleCpu: waits until this process's threads have gone quiet, before the harness times
 * the next run. Some peers' thread pools keep a core busy after their run has returned
 * (onnxruntime-web's pool spins on in its worker for some 10-20 ms: its session options cannot
 * turn the spinning of that global pool off), and the engine timed next would lose that core:
 * a multi-threaded engine timed right after one would measure the peer, not itself. Other
 * processes on the machine are not counted (their load is reported with the machine).
 */

export interface IdleCpuOptions {
  /** Give up after this long (default 250 ms): a process that never goes quiet is timed anyway. */
  maxMs?: number;
  /** Length of one sampling window (default 3 ms). */
  windowMs?: number;
  /** Quiet: at most this share of one core used over a window (default 0.15). */
  busyShare?: number;
  /** Consecutive quiet windows needed (default 2: a spinning thread the OS paused for one window is not quiet). */
  quietWindows?: number;
  /** The process's CPU time in microseconds so far (default: process.cpuUsage, every thread). */
  cpuMicros?: () => number;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface IdleCpuResult {
  /** Whether the quiet windows were seen before maxMs. */
  idle: boolean;
  /** Milliseconds waited. */
  waitedMs: number;
}

const processCpuMicros = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};
const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `quietWindows` windows in a row in which this process used at most `busyShare` of a core. */
export async function waitForIdleCpu(options: IdleCpuOptions = {}): Promise<IdleCpuResult> {
  const maxMs = options.maxMs ?? 250;
  const windowMs = options.windowMs ?? 3;
  const busyShare = options.busyShare ?? 0.15;
  const quietWindows = options.quietWindows ?? 2;
  const cpuMicros = options.cpuMicros ?? processCpuMicros;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? sleepMs;
  const start = now();
  let quiet = 0;
  for (;;) {
    const cpuBefore = cpuMicros();
    const windowStart = now();
    await sleep(windowMs);
    const cpuMs = (cpuMicros() - cpuBefore) / 1000;
    const end = now();
    quiet = cpuMs <= busyShare * (end - windowStart) ? quiet + 1 : 0;
    if (quiet >= quietWindows) return { idle: true, waitedMs: end - start };
    if (end - start >= maxMs) return { idle: false, waitedMs: end - start };
  }
}
