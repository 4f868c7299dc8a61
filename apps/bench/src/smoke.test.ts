/**
 * The CI smoke run: `pnpm bench --smoke` in-process (tiny sizes, one timed run, every engine
 * and config). Checks correctness, not speed: every engine is verified against convkit's
 * reference or says why it cannot run a config, and the three result files are written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchCommandResult, benchCommand } from './bench-command';
import { BENCH_CONFIGS } from './bench-configs';
import type { BenchReport } from './bench-report';
import { parseBenchArgs } from './cli-args';
import { createEngines } from './engines/index';

describe('pnpm bench --smoke', () => {
  let folder: string;
  let outcome: BenchCommandResult;
  let printed = '';
  let report: BenchReport;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'convkit-bench-test-'));
    const args = parseBenchArgs([
      '--smoke',
      '--out',
      folder,
      '--json',
      path.join(folder, 'copy', 'run.json'),
    ]);
    outcome = await benchCommand(args, { print: (text) => (printed += `${text}\n`), progress: false });
    report = outcome.report!;
  }, 120_000);

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('runs every config on every engine and exits 0', () => {
    expect(outcome.exitCode).toBe(0);
    expect(report.mode).toBe('smoke');
    expect(report.configs.map((c) => c.id)).toEqual(BENCH_CONFIGS.map((c) => c.id));
    const engineIds = createEngines().map((e) => e.info.id);
    expect(report.engines.map((e) => e.id)).toEqual(engineIds);
    expect(report.results).toHaveLength(BENCH_CONFIGS.length * engineIds.length);
  });

  it('verifies every result against the reference, or gives the reason it cannot run', () => {
    for (const r of report.results) {
      const where = `${r.config}/${r.engine}: ${r.reason ?? ''}`;
      expect(['ok', 'unsupported'], where).toContain(r.status);
      if (r.status === 'ok') {
        expect(r.verification!.mismatches, where).toBe(0);
        expect(r.verification!.maxAbsDiff, where).toBeLessThan(1e-4);
        expect(r.timing!.runs, where).toBe(1);
        expect(r.timing!.gflops, where).toBeGreaterThan(0);
      } else {
        expect(r.reason!.length, where).toBeGreaterThan(10);
      }
    }
  });

  it('starts every engine and times each one on some config', () => {
    for (const engine of report.engines) {
      expect(engine.startError, engine.id).toBeUndefined();
      expect(engine.version, engine.id).toMatch(/^\d+\.\d+/);
      expect(
        report.results.some((r) => r.engine === engine.id && r.status === 'ok'),
        engine.id,
      ).toBe(true);
    }
  });

  it('runs convkit on every config and marks only the known gaps of the peers unsupported', () => {
    const status = (config: string, engine: string) =>
      report.results.find((r) => r.config === config && r.engine === engine)!.status;
    for (const c of BENCH_CONFIGS) expect(status(c.id, 'convkit-reference'), c.id).toBe('ok');
    const peers = new Set(report.engines.filter((e) => !e.convkit).map((e) => e.id));
    const unsupported = report.results
      .filter((r) => r.status === 'unsupported' && peers.has(r.engine))
      .map((r) => `${r.config}/${r.engine}`)
      .sort();
    expect(unsupported).toEqual(
      [
        'grp3x3/tfjs-cpu',
        'grp3x3/tfjs-wasm',
        'grp3x3/tfjs-webgpu',
        'deform3x3/tfjs-cpu',
        'deform3x3/tfjs-wasm',
        'deform3x3/tfjs-webgpu',
        'c3x3-bwd/tfjs-wasm',
        'c3x3-bwd/ort-web-1t',
        'c3x3-bwd/ort-web-2t',
        'c3x3-bwd/ort-node-1t',
        'c3x3-bwd/ort-node-2t',
      ].sort(),
    );
  });

  it('writes the JSON, Markdown and SVG files, and the --json copy', () => {
    const files = outcome.files!;
    for (const file of [files.json, files.markdown, files.svg]) expect(existsSync(file), file).toBe(true);
    expect(path.dirname(files.json)).toBe(folder);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as BenchReport;
    expect(json.schemaVersion).toBe(1);
    expect(json.results).toHaveLength(report.results.length);
    expect(json.settings.budgetMs).toBeNull();
    expect(readFileSync(path.join(folder, 'copy', 'run.json'), 'utf8')).toBe(
      readFileSync(files.json, 'utf8'),
    );
    const md = readFileSync(files.markdown, 'utf8');
    for (const c of BENCH_CONFIGS) expect(md).toContain(`## ${c.id}`);
    const svg = readFileSync(files.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('convkit bench (smoke)');
  });

  it('prints the table with the machine and every config', () => {
    expect(printed).toMatch(/^convkit bench: .+, \d+ cores, Node v\d+/);
    for (const c of report.configs) expect(printed).toContain(`${c.id}: ${c.notation}`);
    expect(printed).toContain(`wrote ${outcome.files!.json}`);
  });
});
