/**
 * writeResults: the three files of a run in one folder: latest.json (the BenchReport),
 * latest.md (the Markdown tables) and latest.svg (the chart). Each is written to a .tmp
 * file first and renamed, so an interrupted run never leaves half a file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchReport } from './bench-report';
import { formatMarkdown } from './format-tables';
import { renderChartSvg } from './render-chart';

export interface WrittenFiles {
  json: string;
  markdown: string;
  svg: string;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, file);
}

/** The JSON text of a report. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Writes latest.json, latest.md and latest.svg into `folder` (created if needed); `jsonPath` adds a copy of the JSON. */
export async function writeResults(
  report: BenchReport,
  folder: string,
  jsonPath?: string,
): Promise<WrittenFiles> {
  const files = {
    json: path.join(folder, 'latest.json'),
    markdown: path.join(folder, 'latest.md'),
    svg: path.join(folder, 'latest.svg'),
  };
  const json = reportJson(report);
  await writeAtomically(files.json, json);
  await writeAtomically(files.markdown, formatMarkdown(report));
  await writeAtomically(files.svg, await renderChartSvg(report));
  if (jsonPath) await writeAtomically(path.resolve(jsonPath), json);
  return files;
}
