/**
 * The harness's rules, checked with fake engines that report fixed run times (no clock is
 * read by these tests): verify before timing, never time a wrong engine, warm-up and the
 * time cap, interleaving, ratios, and how unsupported and failing engines are reported.
 */
import { describe, expect, it } from 'vitest';
import { BENCH_CONFIGS } from './bench-configs';
import type { Engine, PreparedRun } from './engine';
import { unsupported } from './engine';
import { EngineUnsupportedError } from './engine-unsupported-error';
import type { Problem } from './problem';
import { referenceCache } from './reference-cache';
import { runBench } from './run-bench';
import { TIMING_PRESETS } from './timing-settings';

const QUICK = TIMING_PRESETS.quick;

interface FakeBehaviour {
  /** Milliseconds each run reports. */
  ms?: number;
  output?: 'right' | 'wrong' | 'short';
  convkit?: boolean;
  oracle?: boolean;
  initError?: string;
  prepareUnsupported?: string;
  /** Thrown by the first run. */
  runError?: Error;
}

function fakeEngine(id: string, behaviour: FakeBehaviour, log: string[]): Engine {
  return {
    info: {
      id,
      label: id,
      library: 'fake',
      version: '0',
      backend: 'fake',
      threads: 1,
      convkit: behaviour.convkit ?? false,
      oracle: behaviour.oracle,
    },
    async init() {
      if (behaviour.initError) throw new Error(behaviour.initError);
    },
    async prepare(problem: Problem) {
      if (behaviour.prepareUnsupported) return unsupported(behaviour.prepareUnsupported);
      const prepared: PreparedRun = {
        async run(options) {
          log.push(`${id}:${options?.keepOutput ? 'verify' : 'run'}`);
          if (behaviour.runError) throw behaviour.runError;
          const reference = (await referenceCache.get(problem)).output;
          let output = Float32Array.from(reference);
          if (behaviour.output === 'wrong') output[3] = output[3]! + 0.5;
          if (behaviour.output === 'short') output = output.subarray(1);
          return { ms: behaviour.ms ?? 1, output: options?.keepOutput ? output : undefined };
        },
        dispose() {
          log.push(`${id}:dispose`);
        },
      };
      return prepared;
    },
    async close() {
      log.push(`${id}:close`);
    },
  };
}

const c3x3 = BENCH_CONFIGS.filter((c) => c.id === 'c3x3');

async function run(engines: Record<string, FakeBehaviour>, timing = {}, mode: 'quick' | 'smoke' = 'quick') {
  const log: string[] = [];
  const report = await runBench({
    mode,
    configs: c3x3,
    engines: Object.entries(engines).map(([id, b]) => fakeEngine(id, b, log)),
    timing: { ...timing },
    // Smoke sizes keep the real reference fast; the timing rules come from `mode`.
    references: referenceCache,
    smokeSizes: true,
  });
  const result = (id: string) => report.results.find((r) => r.engine === id)!;
  return { report, log, result };
}

describe('runBench', () => {
  it('verifies, warms up, then takes the quick mode repeats of a fast engine', async () => {
    const { result, log, report } = await run({ fast: { ms: 10 } });
    const r = result('fast');
    expect(r.status).toBe('ok');
    expect(r.verification).toEqual({ maxAbsDiff: 0, mismatches: 0, elements: 4 * 6 * 6 });
    expect(r.timing).toMatchObject({
      runs: QUICK.repeats,
      warmupRuns: QUICK.warmupRuns,
      cold: false,
      medianMs: 10,
      minMs: 10,
      maxMs: 10,
    });
    expect(r.timing!.gflops).toBeCloseTo(report.configs[0]!.flops / 10e6, 12);
    expect(log.filter((l) => l.startsWith('fast:'))).toEqual([
      'fast:verify',
      ...Array<string>(QUICK.warmupRuns + QUICK.repeats).fill('fast:run'),
      'fast:dispose',
      'fast:close',
    ]);
  });

  it('reports a wrong engine with its worst value and never times it', async () => {
    const { result, log } = await run({ wrong: { output: 'wrong' }, short: { output: 'short' } });
    const wrong = result('wrong');
    expect(wrong.status).toBe('wrong');
    expect(wrong.reason).toMatch(
      /^1 of 144 values differ from convkit's reference beyond atol=0.0001 rtol=0.0001; worst \[3\]/,
    );
    expect(wrong.verification!.mismatches).toBe(1);
    expect(wrong.verification!.maxAbsDiff).toBeCloseTo(0.5, 5);
    expect(wrong.timing).toBeUndefined();
    expect(result('short')).toMatchObject({
      status: 'wrong',
      reason: 'returned 143 values, the reference has 144 (shapes [1, 4, 6, 6])',
    });
    expect(log.filter((l) => l.endsWith(':run'))).toEqual([]);
  });

  it('reuses the verification run of an engine slower than the cap as one cold run', async () => {
    const { result, log } = await run({ slow: { ms: 2_000 } });
    expect(result('slow').timing).toMatchObject({
      runs: 1,
      warmupRuns: 0,
      cold: true,
      timesMs: [2000],
      medianMs: 2000,
    });
    expect(log.filter((l) => l.startsWith('slow:') && l !== 'slow:dispose' && l !== 'slow:close')).toEqual([
      'slow:verify',
    ]);
  });

  it('warms up only when a run of the verification length still fits in the cap, and always times once', async () => {
    // Cap 1500 ms: verify 600, warm-up 600 (1200 spent), one timed run (1800), then the cap stops it.
    const medium = (await run({ medium: { ms: 600 } })).result('medium');
    expect(medium.timing).toMatchObject({ runs: 1, warmupRuns: 1, cold: false });
    // 800 ms: verify 800, no warm-up (800 + 800 > 1500), one timed run.
    const slower = (await run({ slower: { ms: 800 } })).result('slower');
    expect(slower.timing).toMatchObject({ runs: 1, warmupRuns: 0, cold: false });
  });

  it('interleaves engines, rotating who goes first each round', async () => {
    const { log } = await run({ a: {}, b: {}, c: {} }, { warmupRuns: 0, repeats: 3 });
    expect(log.filter((l) => l.endsWith(':run'))).toEqual([
      ...['a:run', 'b:run', 'c:run'],
      ...['b:run', 'c:run', 'a:run'],
      ...['c:run', 'a:run', 'b:run'],
    ]);
  });

  it('divides by the best peer, not by convkit', async () => {
    const { result } = await run({
      ours: { ms: 20, convkit: true },
      peerFast: { ms: 10 },
      peerSlow: { ms: 40 },
    });
    expect(result('ours').timing!.ratioToBestPeer).toBeCloseTo(0.5, 12);
    expect(result('peerFast').timing!.ratioToBestPeer).toBeCloseTo(1, 12);
    expect(result('peerSlow').timing!.ratioToBestPeer).toBeCloseTo(0.25, 12);
  });

  it('has no ratio when no peer ran the config', async () => {
    const { result } = await run({ ours: { convkit: true }, peer: { prepareUnsupported: 'no such op' } });
    expect(result('ours').timing!.ratioToBestPeer).toBeNull();
  });

  it('reports unsupported engines and failures with their reasons, and closes every engine', async () => {
    const { result, log, report } = await run({
      noop: { prepareUnsupported: 'fake has no grouped convolution' },
      broken: { initError: 'binary missing' },
      refuses: { runError: new EngineUnsupportedError("algorithm must be 'auto' or one of 'reference'") },
      crashes: { runError: new Error('out of memory') },
    });
    expect(result('noop')).toMatchObject({
      status: 'unsupported',
      reason: 'fake has no grouped convolution',
    });
    expect(result('broken')).toMatchObject({
      status: 'unsupported',
      reason: 'could not start: binary missing',
    });
    expect(report.engines.find((e) => e.id === 'broken')!.startError).toBe('binary missing');
    expect(result('refuses')).toMatchObject({
      status: 'unsupported',
      reason: "algorithm must be 'auto' or one of 'reference'",
    });
    expect(result('crashes')).toMatchObject({ status: 'error', reason: 'out of memory' });
    for (const id of ['noop', 'broken', 'refuses', 'crashes']) {
      expect(result(id).timing).toBeUndefined();
      expect(log).toContain(`${id}:close`);
    }
    expect(log).toContain('refuses:dispose');
    expect(log).toContain('crashes:dispose');
  });

  it("takes the oracle's verification from the reference instead of running it again", async () => {
    const { result, log, report } = await run({ oracle: { oracle: true, convkit: true } }, {}, 'smoke');
    expect(result('oracle').verification!.maxAbsDiff).toBe(0);
    expect(log.filter((l) => l.startsWith('oracle:'))).toEqual([
      'oracle:run',
      'oracle:dispose',
      'oracle:close',
    ]);
    expect(report.configs[0]!.referenceMs).toBeGreaterThan(0);
  });

  it('reports progress steps up to the total', async () => {
    const seen: number[] = [];
    await runBench({
      mode: 'smoke',
      configs: c3x3,
      engines: [fakeEngine('a', {}, []), fakeEngine('b', { prepareUnsupported: 'no' }, [])],
      onProgress: (p) => {
        expect(p.total).toBe(1 + 2 * 2);
        seen.push(p.completed);
      },
    });
    expect(seen.at(-1)).toBe(5);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
  });

  it('waits for the process to go quiet before every warm-up and timed run, not before verification', async () => {
    const log: string[] = [];
    await runBench({
      mode: 'quick',
      configs: c3x3,
      engines: [fakeEngine('a', {}, log), fakeEngine('b', {}, log)],
      references: referenceCache,
      smokeSizes: true,
      waitForIdle: async () => {
        log.push('idle');
      },
    });
    const runs = log.flatMap((entry, i) => (entry.endsWith(':run') ? [i] : []));
    const perEngine = QUICK.warmupRuns + QUICK.repeats;
    expect(runs).toHaveLength(2 * perEngine);
    for (const i of runs) expect(log[i - 1]).toBe('idle');
    expect(log.filter((entry) => entry === 'idle')).toHaveLength(2 * perEngine);
    for (const i of log.flatMap((entry, j) => (entry.endsWith(':verify') ? [j] : []))) {
      expect(log[i - 1]).not.toBe('idle');
    }
  });
});
