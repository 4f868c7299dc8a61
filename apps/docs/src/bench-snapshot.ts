/**
 * parseBenchSnapshot: reads a bench snapshot (the Markdown report apps/bench writes,
 * committed under apps/bench/snapshots/) into numbers for the performance chart: the run's
 * header lines and, per config, each engine's median time and GFLOP/s (null where the
 * engine cannot run that config, with its reason).
 */
export interface BenchEngineResult {
  readonly engine: string;
  readonly medianMs: number | null;
  readonly gflops: number | null;
  /** Why the engine did not run, when it did not. */
  readonly unsupported: string | null;
}

export interface BenchConfig {
  readonly id: string;
  readonly description: string;
  readonly results: readonly BenchEngineResult[];
}

export interface BenchSnapshot {
  readonly title: string;
  readonly machine: string;
  readonly run: string;
  readonly commit: string;
  readonly engines: readonly string[];
  readonly configs: readonly BenchConfig[];
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

export function parseBenchSnapshot(markdown: string): BenchSnapshot {
  const lines = markdown.split('\n');
  const header = (key: string) =>
    lines
      .find((l) => l.startsWith(`- ${key}:`))
      ?.slice(key.length + 3)
      .trim() ?? '';
  const title = (lines.find((l) => l.startsWith('# ')) ?? '# bench').slice(2).trim();
  const configs: BenchConfig[] = [];
  const engines: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const heading = /^## (\S+)\s*$/.exec(lines[i]!);
    if (!heading) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    const description = lines[j]?.startsWith('|') ? '' : (lines[j] ?? '').trim();
    while (j < lines.length && !lines[j]!.startsWith('| engine')) j++;
    const columns = cells(lines[j] ?? '');
    const msColumn = columns.indexOf('median ms');
    const gflopsColumn = columns.indexOf('GFLOP/s');
    if (msColumn < 0 || gflopsColumn < 0)
      throw new Error(`parseBenchSnapshot: config '${heading[1]}' has no results table`);
    const results: BenchEngineResult[] = [];
    for (j += 2; j < lines.length && lines[j]!.startsWith('|'); j++) {
      const row = cells(lines[j]!);
      const engine = row[0]!;
      if (!engines.includes(engine)) engines.push(engine);
      const unsupported = /^unsupported: (.*)$/.exec(row[1] ?? '');
      const number = (s: string | undefined) => {
        const v = Number.parseFloat(s ?? '');
        return Number.isFinite(v) ? v : null;
      };
      results.push(
        unsupported
          ? { engine, medianMs: null, gflops: null, unsupported: unsupported[1]! }
          : { engine, medianMs: number(row[msColumn]), gflops: number(row[gflopsColumn]), unsupported: null },
      );
    }
    configs.push({ id: heading[1]!, description, results });
  }
  return {
    title,
    machine: header('Machine'),
    run: header('Run'),
    commit: header('Commit'),
    engines,
    configs,
  };
}

/**
 * The newest CPU quick-suite snapshot among file names like 2026-11-28-quick.md or
 * 2026-11-28-quick-2-tuned.md (ISO dates sort, and runs of one day are numbered; GPU runs such
 * as 2026-11-28-gpu-h200.md are not this chart's).
 */
export function latestSnapshotName(names: readonly string[]): string | null {
  const snapshots = names.filter((n) => /^\d{4}-\d{2}-\d{2}-quick.*\.md$/.test(n)).sort();
  return snapshots.at(-1) ?? null;
}
