/**
 * benchCommand: `pnpm bench` from parsed arguments to files on disk: selects configs and
 * engines, runs the harness with a live progress bar (cli-progress, on stderr when it is a
 * terminal), prints the table and writes latest.json / latest.md / latest.svg. The smoke
 * test calls it in-process.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { BENCH_CONFIGS, configSizes, describeSizes } from './bench-configs';
import type { BenchReport } from './bench-report';
import type { BenchArgs } from './cli-args';
import { createEngines } from './engines/index';
import { formatTerminalTable } from './format-tables';
import { type BenchProgress, runBench } from './run-bench';
import { selectById } from './select-by-id';
import type { TimingSettings } from './timing-settings';
import { type WrittenFiles, writeResults } from './write-results';

/** apps/bench/results, wherever the command is run from. */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface BenchCommandResult {
  report: BenchReport | null;
  files: WrittenFiles | null;
  /** 0: every result verified or unsupported; 1: some engine was wrong or failed. */
  exitCode: number;
}

export interface BenchCommandIo {
  print(text: string): void;
  /** Show the progress bar (only honoured when stderr is a terminal). */
  progress: boolean;
}

function listing(): string {
  const engines = createEngines();
  const lines = ['configs:'];
  for (const c of BENCH_CONFIGS)
    lines.push(`  ${c.id.padEnd(10)} ${describeSizes(c.op, configSizes(c, false))}  (${c.about})`);
  lines.push('engines:');
  for (const e of engines)
    lines.push(`  ${e.info.id.padEnd(18)} ${e.info.label} (${e.info.library}, ${e.info.backend})`);
  return lines.join('\n');
}

function progressBar(enabled: boolean): { update(p: BenchProgress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} steps | {elapsed}s | {config} {engine}: {phase}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = Date.now();
  let started = false;
  return {
    update(p) {
      const payload = {
        config: p.config,
        engine: p.engine,
        phase: p.phase,
        elapsed: Math.round((Date.now() - startedAt) / 1000),
      };
      if (!started) {
        bar.start(p.total, p.completed, payload);
        started = true;
      } else bar.update(p.completed, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export async function benchCommand(args: BenchArgs, io: BenchCommandIo): Promise<BenchCommandResult> {
  if (args.list) {
    io.print(listing());
    return { report: null, files: null, exitCode: 0 };
  }
  const configs = args.filter ? selectById(BENCH_CONFIGS, (c) => c.id, args.filter, 'filter') : BENCH_CONFIGS;
  const allEngines = createEngines();
  const engines = args.engines
    ? selectById(allEngines, (e) => e.info.id, args.engines, 'engines')
    : allEngines;
  const timing: Partial<TimingSettings> = {};
  if (args.repeats !== null) timing.repeats = args.repeats;
  if (args.warmup !== null) timing.warmupRuns = args.warmup;
  if (args.budgetMs !== null) timing.budgetMs = args.budgetMs;

  const bar = progressBar(io.progress);
  let report: BenchReport;
  try {
    report = await runBench({
      mode: args.mode,
      configs,
      engines,
      timing,
      seed: args.seed,
      onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.stop();
  }
  io.print(formatTerminalTable(report));

  const folder =
    args.out !== null
      ? path.resolve(args.out)
      : args.mode === 'smoke'
        ? await mkdtemp(path.join(os.tmpdir(), 'convkit-bench-smoke-'))
        : DEFAULT_RESULTS_DIR;
  const files = await writeResults(report, folder, args.json ?? undefined);
  io.print(
    `wrote ${files.json}, ${files.markdown}, ${files.svg}${args.json ? ` and ${path.resolve(args.json)}` : ''}`,
  );

  const failed = report.results.filter((r) => r.status === 'wrong' || r.status === 'error');
  if (failed.length > 0) {
    io.print(
      `${failed.length} result(s) wrong or failed: ${failed.map((r) => `${r.config}/${r.engine} (${r.status})`).join(', ')}`,
    );
  }
  return { report, files, exitCode: failed.length > 0 ? 1 : 0 };
}
