/**
 * renderChartSvg: the GFLOP/s of every timed (config, engine) pair as a grouped bar chart,
 * drawn by Vega-Lite (compiled to a Vega spec and rendered headless in Node with the 'none'
 * renderer). Log scale, because the reference loops and the best peers differ by 100x.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { BenchReport } from './bench-report';
import { describeMachine } from './machine-info';

/** The Vega-Lite spec of the chart (exported for tests and for anyone re-rendering the JSON). */
export function chartSpec(report: BenchReport): vl.TopLevelSpec {
  const labels = new Map(report.engines.map((e) => [e.id, e.label]));
  const engineOrder = report.engines.map((e) => e.label);
  const values = report.results
    .filter((r) => r.status === 'ok' && r.timing)
    .map((r) => ({
      config: r.config,
      engine: labels.get(r.engine) ?? r.engine,
      gflops: r.timing!.gflops,
      medianMs: r.timing!.medianMs,
      runs: r.timing!.runs,
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `convkit bench (${report.mode}): GFLOP/s per config and engine, higher is better (log scale)`,
      subtitle: describeMachine(report.machine),
    },
    width: { step: 14 },
    height: 320,
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'config',
        type: 'nominal',
        sort: report.configs.map((c) => c.id),
        title: 'config',
        axis: { labelAngle: -30 },
      },
      xOffset: { field: 'engine', type: 'nominal', sort: engineOrder },
      y: {
        field: 'gflops',
        type: 'quantitative',
        scale: { type: 'log' },
        // Bars side by side (xOffset), not stacked: a stack starts at 0, which a log scale cannot show.
        stack: null,
        title: 'GFLOP/s (2 x MACs / median time)',
      },
      color: { field: 'engine', type: 'nominal', sort: engineOrder, legend: { title: 'engine' } },
      tooltip: [
        { field: 'config', type: 'nominal' },
        { field: 'engine', type: 'nominal' },
        { field: 'gflops', type: 'quantitative', format: '.3g' },
        { field: 'medianMs', type: 'quantitative', format: '.3g' },
        { field: 'runs', type: 'quantitative' },
      ],
    },
    config: { background: 'white' },
  };
}

/** The chart as an SVG document. */
export async function renderChartSvg(report: BenchReport): Promise<string> {
  const compiled = vl.compile(chartSpec(report)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
