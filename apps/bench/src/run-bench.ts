/**
 * runBench: the harness. For each config: compute convkit's reference once, prepare every
 * engine (untimed), verify each engine's output against the reference (a wrong engine is
 * reported and not timed), warm up, then time the engines in interleaved rounds (the start
 * rotating each round) so that drift in the machine's speed hits all of them alike. Before
 * each run the harness waits until the process's threads are quiet (waitForIdleCpu): a peer
 * whose pool spins on after its run must not take a core from the engine timed next.
 * Medians with min and max, GFLOP/s and the ratio to the best peer go into a BenchReport.
 */
import { compareClose } from '@convkit/tensor';
import { BENCH_CONFIGS, type BenchConfig, type BenchOp } from './bench-configs';
import {
  BENCH_SCHEMA_VERSION,
  type BenchReport,
  type ConfigReport,
  type EngineReport,
  type ResultReport,
  type TimingReport,
} from './bench-report';
import { type Engine, isUnsupported, type PreparedRun } from './engine';
import { EngineUnsupportedError } from './engine-unsupported-error';
import { createEngines } from './engines/index';
import { machineInfo } from './machine-info';
import { createProblem, FLOPS_FORMULA, MACS_FORMULAS, type Problem } from './problem';
import { type ReferenceCache, referenceCache } from './reference-cache';
import {
  type BenchMode,
  gflopsPerSecond,
  summarizeTimes,
  TIMING_PRESETS,
  type TimingSettings,
} from './timing-settings';
import { waitForIdleCpu } from './wait-for-idle-cpu';

export const RATIO_FORMULA =
  'ratio = GFLOP/s / GFLOP/s of the fastest peer (non-convkit engine) on the same config';

export interface BenchProgress {
  /** Steps done and in all: per config one reference step, then per engine a verify and a timing step. */
  completed: number;
  total: number;
  config: string;
  engine: string;
  phase: string;
}

export interface RunBenchOptions {
  mode: BenchMode;
  /** Default: the whole suite. */
  configs?: readonly BenchConfig[];
  /** Default: every engine. Started here and closed at the end. */
  engines?: Engine[];
  /** Overrides of the mode's preset. */
  timing?: Partial<TimingSettings>;
  seed?: number;
  /** Verification tolerance: |engine - reference| <= atol + rtol * |reference| (default 1e-4 each, the convkit contract). */
  atol?: number;
  rtol?: number;
  onProgress?: (progress: BenchProgress) => void;
  /** Default: the process-wide cache. */
  references?: ReferenceCache;
  /** Run the configs at their smoke sizes (default: in smoke mode only). */
  smokeSizes?: boolean;
  /** Awaited before each warm-up and timed run (default: waitForIdleCpu). */
  waitForIdle?: () => Promise<unknown>;
}

interface EngineState {
  engine: Engine;
  startError: string | null;
}

/** Per-config work of one engine while it is being timed. */
interface Contender {
  engine: Engine;
  prepared: PreparedRun;
  result: ResultReport;
  /** Milliseconds spent on this config so far (verification, warm-up, timed runs). */
  spentMs: number;
  warmups: number;
  times: number[];
  cold: boolean;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runBench(options: RunBenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const timing: TimingSettings = { ...TIMING_PRESETS[options.mode], ...options.timing };
  const configs = options.configs ?? BENCH_CONFIGS;
  const engines = options.engines ?? createEngines();
  const references = options.references ?? referenceCache;
  const seed = options.seed ?? 0;
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-4;
  const smoke = options.smokeSizes ?? options.mode === 'smoke';
  const machine = machineInfo();

  const total = configs.length * (1 + 2 * engines.length);
  let completed = 0;
  const progress = (config: string, engine: string, phase: string, steps = 0) => {
    completed += steps;
    options.onProgress?.({ completed, total, config, engine, phase });
  };

  const states: EngineState[] = [];
  for (const engine of engines) {
    progress('', engine.info.id, 'starting');
    try {
      await engine.init();
      states.push({ engine, startError: null });
    } catch (error) {
      states.push({ engine, startError: messageOf(error) });
    }
  }

  const configReports: ConfigReport[] = [];
  const results: ResultReport[] = [];
  try {
    for (const config of configs) {
      const problem = createProblem(config, { smoke, seed });
      const configReport = describeProblem(problem);
      configReports.push(configReport);
      progress(config.id, 'convkit-reference', 'reference');
      let reference: { output: Float32Array; ms: number } | null = null;
      let referenceError: string | null = null;
      try {
        reference = await references.get(problem);
        configReport.referenceMs = reference.ms;
      } catch (error) {
        referenceError = messageOf(error);
      }
      progress(config.id, 'convkit-reference', 'reference done', 1);

      const contenders: Contender[] = [];
      for (const { engine, startError } of states) {
        const result: ResultReport = { config: config.id, engine: engine.info.id, status: 'ok' };
        results.push(result);
        const finish = (status: ResultReport['status'], reason: string) => {
          result.status = status;
          result.reason = reason;
          progress(config.id, engine.info.id, status, 2);
        };
        if (startError !== null) {
          finish('unsupported', `could not start: ${startError}`);
          continue;
        }
        if (referenceError !== null || reference === null) {
          finish('error', `no reference to verify against: ${referenceError}`);
          continue;
        }
        progress(config.id, engine.info.id, 'verifying');
        let prepared: PreparedRun;
        try {
          const made = await engine.prepare(problem);
          if (isUnsupported(made)) {
            finish('unsupported', made.unsupported);
            continue;
          }
          prepared = made;
        } catch (error) {
          finish('error', `prepare failed: ${messageOf(error)}`);
          continue;
        }
        if (prepared.notes?.length) result.notes = [...prepared.notes];
        const contender = await verify(engine, prepared, problem, reference, result, { atol, rtol });
        if (contender) {
          contenders.push(contender);
          progress(config.id, engine.info.id, 'verified', 1);
        } else {
          await dispose(prepared, result);
          progress(config.id, engine.info.id, result.status, 2);
        }
      }

      await timeContenders(
        contenders,
        timing,
        (c, phase, done) => progress(config.id, c.engine.info.id, phase, done ? 1 : 0),
        options.waitForIdle ?? waitForIdleCpu,
      );
      for (const c of contenders) {
        if (c.result.status === 'ok') c.result.timing = timingReport(c, problem.flops);
        await dispose(c.prepared, c.result);
      }
      fillRatios(
        results.filter((r) => r.config === config.id),
        states,
      );
    }
  } finally {
    for (const { engine } of states) await engine.close().catch(() => undefined);
  }

  return {
    schemaVersion: BENCH_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    mode: options.mode,
    machine,
    settings: {
      ...timing,
      budgetMs: Number.isFinite(timing.budgetMs) ? timing.budgetMs : null,
      seed,
      atol,
      rtol,
    },
    formulas: {
      flops: FLOPS_FORMULA,
      ratio: RATIO_FORMULA,
      macs: { ...MACS_FORMULAS } as Record<BenchOp, string>,
    },
    engines: states.map(
      ({ engine, startError }): EngineReport => ({
        ...engine.info,
        ...(startError !== null ? { startError } : {}),
      }),
    ),
    configs: configReports,
    results,
    durationMs: performance.now() - started,
  };
}

/** Frees an engine's per-config state; a failure to free is noted, not fatal to the run. */
async function dispose(prepared: PreparedRun, result: ResultReport): Promise<void> {
  try {
    await prepared.dispose();
  } catch (error) {
    result.notes = [...(result.notes ?? []), `dispose failed: ${messageOf(error)}`];
  }
}

function describeProblem(problem: Problem): ConfigReport {
  const g = problem.geometry;
  return {
    id: problem.config.id,
    op: problem.op,
    about: problem.config.about,
    notation: problem.notation,
    pytorch: problem.pytorch,
    inputShape: [...g.inputShape],
    weightShape: [...g.weightShape],
    outputShape: [...g.outputShape],
    macs: problem.macs,
    flops: problem.flops,
    macsFormula: problem.macsFormula,
    referenceMs: null,
  };
}

/** One run with the output kept, compared with the reference; a Contender when it matches. */
async function verify(
  engine: Engine,
  prepared: PreparedRun,
  problem: Problem,
  reference: { output: Float32Array; ms: number },
  result: ResultReport,
  tolerance: { atol: number; rtol: number },
): Promise<Contender | null> {
  let ms: number;
  let output: Float32Array;
  if (engine.info.oracle) {
    // The oracle's run is the reference itself: reuse it rather than run the slow loops again.
    ms = reference.ms;
    output = reference.output;
  } else {
    try {
      const run = await prepared.run({ keepOutput: true });
      ms = run.ms;
      output = run.output!;
    } catch (error) {
      result.status = error instanceof EngineUnsupportedError ? 'unsupported' : 'error';
      result.reason = messageOf(error);
      return null;
    }
  }
  if (output.length !== reference.output.length) {
    result.status = 'wrong';
    result.reason = `returned ${output.length} values, the reference has ${reference.output.length} (shapes ${problem.outputShapes.map((s) => `[${s.join(', ')}]`).join(' + ')})`;
    return null;
  }
  const report = compareClose(output, reference.output, tolerance);
  result.verification = {
    maxAbsDiff: report.maxAbsDiff,
    mismatches: report.mismatches,
    elements: output.length,
  };
  if (!report.ok) {
    const i = report.worstMismatch;
    result.status = 'wrong';
    result.reason = `${report.mismatches} of ${output.length} values differ from convkit's reference beyond atol=${tolerance.atol} rtol=${tolerance.rtol}; worst [${i}] ${output[i]} vs ${reference.output[i]}`;
    return null;
  }
  return { engine, prepared, result, spentMs: ms, warmups: 0, times: [], cold: false };
}

/** Warm-up, then interleaved timed rounds within each engine's budget. */
async function timeContenders(
  contenders: Contender[],
  timing: TimingSettings,
  report: (c: Contender, phase: string, done: boolean) => void,
  waitForIdle: () => Promise<unknown>,
): Promise<void> {
  const fail = (c: Contender, error: unknown) => {
    c.result.status = error instanceof EngineUnsupportedError ? 'unsupported' : 'error';
    c.result.reason = `failed while timed: ${messageOf(error)}`;
  };
  const active: Contender[] = [];
  for (const c of contenders) {
    if (c.spentMs >= timing.budgetMs) {
      // Its verification run alone used the budget: that run is its one (cold) measurement.
      c.cold = true;
      c.times.push(c.spentMs);
      report(c, 'timed (1 cold run)', true);
      continue;
    }
    // Each warm-up must leave room in the budget for a run of the length the verification took.
    const estimateMs = c.spentMs;
    try {
      while (c.warmups < timing.warmupRuns && c.spentMs + estimateMs <= timing.budgetMs) {
        report(c, `warm-up ${c.warmups + 1}`, false);
        await waitForIdle();
        c.spentMs += (await c.prepared.run()).ms;
        c.warmups++;
      }
      active.push(c);
    } catch (error) {
      fail(c, error);
      report(c, 'error', true);
    }
  }
  for (let round = 0; active.length > 0; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length]!);
    for (const c of order) {
      try {
        report(c, `run ${c.times.length + 1}/${timing.repeats}`, false);
        await waitForIdle();
        const { ms } = await c.prepared.run();
        c.times.push(ms);
        c.spentMs += ms;
      } catch (error) {
        fail(c, error);
      }
      const last = c.times[c.times.length - 1] ?? 0;
      const done =
        c.result.status !== 'ok' || c.times.length >= timing.repeats || c.spentMs + last > timing.budgetMs;
      if (done) {
        active.splice(active.indexOf(c), 1);
        report(
          c,
          c.result.status === 'ok'
            ? `timed (${c.times.length} run${c.times.length === 1 ? '' : 's'})`
            : 'error',
          true,
        );
      }
    }
  }
}

function timingReport(c: Contender, flops: number): TimingReport {
  const summary = summarizeTimes(c.times);
  return {
    runs: summary.runs,
    warmupRuns: c.warmups,
    cold: c.cold,
    timesMs: c.times.map((t) => Math.round(t * 1000) / 1000),
    medianMs: summary.medianMs,
    minMs: summary.minMs,
    maxMs: summary.maxMs,
    gflops: gflopsPerSecond(flops, summary.medianMs),
    ratioToBestPeer: null,
  };
}

/** ratioToBestPeer for every timed result of one config. */
function fillRatios(configResults: ResultReport[], states: EngineState[]): void {
  const isPeer = new Map(states.map((s) => [s.engine.info.id, !s.engine.info.convkit]));
  let best = 0;
  for (const r of configResults) {
    if (r.timing && isPeer.get(r.engine)) best = Math.max(best, r.timing.gflops);
  }
  for (const r of configResults) {
    if (r.timing) r.timing.ratioToBestPeer = best > 0 ? r.timing.gflops / best : null;
  }
}
