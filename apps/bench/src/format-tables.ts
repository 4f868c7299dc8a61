/**
 * The report as text: a terminal table (one block per config, columns aligned) and a
 * Markdown document (results/latest.md). Both print the machine, the FLOP formulas and, for
 * every engine that did not run a config, the reason ("unsupported: ...", "WRONG: ...").
 */
import type { BenchReport, ConfigReport, EngineReport, ResultReport } from './bench-report';
import { describeMachine } from './machine-info';

const HEADERS = ['engine', 'median ms', 'min-max ms', 'runs', 'GFLOP/s', 'vs best peer'] as const;

/** Milliseconds with 3 significant digits or more: 0.0123, 1.23, 12.3, 1234. */
export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(3);
}

export function formatGflops(gflops: number): string {
  return gflops >= 10 ? gflops.toFixed(1) : gflops >= 1 ? gflops.toFixed(2) : gflops.toPrecision(2);
}

/** '0.231 GFLOP' or '3.6 MFLOP'. */
export function formatFlops(flops: number): string {
  return flops >= 1e9 ? `${(flops / 1e9).toPrecision(3)} GFLOP` : `${(flops / 1e6).toPrecision(3)} MFLOP`;
}

/** '1.25x', or two significant digits below 0.1: '0.0031x'. */
export function formatRatio(ratio: number): string {
  return `${ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)}x`;
}

function runsText(r: ResultReport): string {
  const t = r.timing!;
  if (t.cold) return '1 (cold)';
  return t.runs === 1 ? '1 run' : `${t.runs}`;
}

/** The table cells of one result: timed numbers, or a status with its reason in the second cell. */
export function resultCells(r: ResultReport, engine: EngineReport | undefined): string[] {
  const name = engine?.label ?? r.engine;
  if (r.status === 'ok' && r.timing) {
    const t = r.timing;
    const ratio = t.ratioToBestPeer === null ? '-' : formatRatio(t.ratioToBestPeer);
    return [
      name,
      formatMs(t.medianMs),
      `${formatMs(t.minMs)}-${formatMs(t.maxMs)}`,
      runsText(r),
      formatGflops(t.gflops),
      ratio,
    ];
  }
  const label = { ok: 'not timed', unsupported: 'unsupported', wrong: 'WRONG (not timed)', error: 'ERROR' }[
    r.status
  ];
  return [name, `${label}: ${r.reason ?? ''}`];
}

function configHeading(c: ConfigReport): string {
  return `${c.id}: ${c.notation}, ${formatFlops(c.flops)}, ${c.pytorch}`;
}

function formulaLines(report: BenchReport): string[] {
  const macs = [...new Set(report.configs.map((c) => c.op))].map(
    (op) => `  ${op}: ${report.formulas.macs[op]}`,
  );
  return [report.formulas.flops, ...macs, report.formulas.ratio];
}

function settingsLine(report: BenchReport): string {
  const s = report.settings;
  const budget = s.budgetMs === null ? 'no time cap' : `time cap ${s.budgetMs} ms per engine and config`;
  return `mode ${report.mode}: verification run + up to ${s.warmupRuns} warm-up, up to ${s.repeats} timed runs, ${budget}; engines interleaved; tolerance atol=${s.atol} rtol=${s.rtol}`;
}

/** The terminal table. */
export function formatTerminalTable(report: BenchReport): string {
  const engines = new Map(report.engines.map((e) => [e.id, e]));
  const lines: string[] = [];
  lines.push(`convkit bench: ${describeMachine(report.machine)}`);
  lines.push(settingsLine(report));
  lines.push(...formulaLines(report));
  const rowsByConfig = report.configs.map((c) => ({
    config: c,
    rows: report.results.filter((r) => r.config === c.id).map((r) => resultCells(r, engines.get(r.engine))),
  }));
  const widths = HEADERS.map((h) => h.length);
  for (const { rows } of rowsByConfig) {
    for (const row of rows) {
      if (row.length !== HEADERS.length) {
        widths[0] = Math.max(widths[0]!, row[0]!.length);
        continue;
      }
      for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length);
    }
  }
  const pad = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  for (const { config, rows } of rowsByConfig) {
    lines.push('');
    lines.push(configHeading(config));
    lines.push(`  ${pad(HEADERS)}`);
    for (const row of rows) {
      lines.push(
        row.length === HEADERS.length ? `  ${pad(row)}` : `  ${row[0]!.padEnd(widths[0]!)}  ${row[1]}`,
      );
    }
  }
  lines.push('');
  lines.push(`done in ${formatMs(report.durationMs / 1000)} s`);
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown document: header, then one table per config. */
export function formatMarkdown(report: BenchReport): string {
  const engines = new Map(report.engines.map((e) => [e.id, e]));
  const out: string[] = [];
  out.push(`# convkit bench (${report.mode})`);
  out.push('');
  out.push(`- Machine: ${describeMachine(report.machine)}`);
  out.push(`- Run: ${report.createdAt}, ${formatMs(report.durationMs / 1000)} s`);
  out.push(`- ${settingsLine(report)}`);
  for (const line of formulaLines(report)) out.push(`- ${line.trim()}`);
  out.push(
    `- Engines: ${report.engines.map((e) => `${e.label} (${e.library}${e.version ? ` ${e.version}` : ''}, ${e.backend}, ${e.threads} thread${e.threads === 1 ? '' : 's'})`).join('; ')}`,
  );
  for (const config of report.configs) {
    out.push('');
    out.push(`## ${config.id}`);
    out.push('');
    out.push(`${config.notation}: \`${config.pytorch}\`, ${formatFlops(config.flops)}. ${config.about}.`);
    out.push('');
    out.push(`| ${HEADERS.join(' | ')} |`);
    out.push(`|${HEADERS.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const r of report.results.filter((x) => x.config === config.id)) {
      const cells = resultCells(r, engines.get(r.engine));
      const full = cells.length === HEADERS.length ? cells : [cells[0]!, cells[1]!, '', '', '', ''];
      out.push(`| ${full.map(escapeCell).join(' | ')} |`);
    }
  }
  out.push('');
  return out.join('\n');
}
