import { describe, expect, it } from 'vitest';
import type { BenchReport } from './bench-report';
import { formatFlops, formatMarkdown, formatMs, formatRatio, formatTerminalTable } from './format-tables';
import { chartSpec, renderChartSvg } from './render-chart';

function sampleReport(): BenchReport {
  const engine = (id: string, label: string, convkit: boolean) => ({
    id,
    label,
    library: convkit ? '@convkit/kernels-cpu' : 'peer-lib',
    version: '1.0.0',
    backend: 'cpu',
    threads: 1,
    convkit,
  });
  return {
    schemaVersion: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    mode: 'quick',
    machine: {
      cpuModel: 'Test CPU',
      cores: 2,
      node: 'v20.0.0',
      platform: 'linux',
      arch: 'x64',
      totalMemoryGiB: 8,
      loadAverage1m: 0.5,
      simd: ['avx2', 'fma'],
    },
    settings: { warmupRuns: 1, repeats: 5, budgetMs: 1500, seed: 0, atol: 1e-4, rtol: 1e-4 },
    formulas: {
      flops: 'FLOPs = 2 * MACs',
      ratio: 'ratio = GFLOP/s / best peer',
      macs: {
        conv: 'MACs = conv',
        convTranspose: 'MACs = t',
        deformConv: 'MACs = d',
        convBackward: 'MACs = b',
      },
    },
    engines: [
      engine('convkit-reference', 'convkit reference', true),
      engine('peer', 'peer | one', false),
      engine('tf', 'tfjs cpu', false),
    ],
    configs: [
      {
        id: 'c3x3',
        op: 'conv',
        about: 'a 3x3 conv',
        notation: 'N1 C64 56x56 -> 64 k3 p1',
        pytorch: 'Conv2d(64, 64, kernel_size=3, padding=1, bias=False)',
        inputShape: [1, 64, 56, 56],
        weightShape: [64, 64, 3, 3],
        outputShape: [1, 64, 56, 56],
        macs: 115_605_504,
        flops: 231_211_008,
        macsFormula: 'MACs = conv',
        referenceMs: 1000,
      },
    ],
    results: [
      {
        config: 'c3x3',
        engine: 'convkit-reference',
        status: 'ok',
        verification: { maxAbsDiff: 0, mismatches: 0, elements: 200704 },
        timing: {
          runs: 1,
          warmupRuns: 0,
          cold: true,
          timesMs: [1000],
          medianMs: 1000,
          minMs: 1000,
          maxMs: 1000,
          gflops: 0.231,
          ratioToBestPeer: 0.0023,
        },
      },
      {
        config: 'c3x3',
        engine: 'peer',
        status: 'ok',
        verification: { maxAbsDiff: 1e-6, mismatches: 0, elements: 200704 },
        timing: {
          runs: 5,
          warmupRuns: 1,
          cold: false,
          timesMs: [2.3, 2.31, 2.4, 2.2, 2.5],
          medianMs: 2.31,
          minMs: 2.2,
          maxMs: 2.5,
          gflops: 100.09,
          ratioToBestPeer: 1,
        },
      },
      { config: 'c3x3', engine: 'tf', status: 'unsupported', reason: 'tfjs has no grouped convolution' },
    ],
    durationMs: 12_345,
  };
}

describe('number formats', () => {
  it('keep three significant digits or more', () => {
    expect([formatMs(1234.5), formatMs(12.345), formatMs(1.2345), formatMs(0.012345)]).toEqual([
      '1235',
      '12.3',
      '1.23',
      '0.0123',
    ]);
    expect([formatRatio(1), formatRatio(0.456), formatRatio(0.0023)]).toEqual(['1.00x', '0.46x', '0.0023x']);
    expect([formatFlops(231_211_008), formatFlops(3_221_225_472)]).toEqual(['231 MFLOP', '3.22 GFLOP']);
  });
});

describe('formatTerminalTable', () => {
  const text = formatTerminalTable(sampleReport());

  it('prints the machine, the settings and the formulas first', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'convkit bench: Test CPU (avx2 fma), 2 cores, Node v20.0.0, linux x64, 8 GiB, load 0.50 at start',
    );
    expect(lines[1]).toContain('up to 5 timed runs, time cap 1500 ms per engine and config');
    expect(text).toContain('FLOPs = 2 * MACs');
    expect(text).toContain('  conv: MACs = conv');
    expect(text).not.toContain('MACs = t'); // only the ops of the configs run
  });

  it('prints one block per config with aligned rows, cold runs and reasons', () => {
    expect(text).toContain(
      'c3x3: N1 C64 56x56 -> 64 k3 p1, 231 MFLOP, Conv2d(64, 64, kernel_size=3, padding=1, bias=False)',
    );
    const rows = text
      .split('\n')
      .filter((l) => l.startsWith('  convkit') || l.startsWith('  peer') || l.startsWith('  tfjs'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^ {2}convkit reference +1000 +1000-1000 +1 \(cold\) +0\.23 +0\.0023x$/);
    expect(rows[1]).toMatch(/^ {2}peer \| one +2\.31 +2\.20-2\.50 +5 +100\.1 +1\.00x$/);
    expect(rows[2]).toMatch(/^ {2}tfjs cpu +unsupported: tfjs has no grouped convolution$/);
    expect(rows[0]!.length).toBe(rows[1]!.length);
    expect(text.trimEnd().endsWith('done in 12.3 s')).toBe(true);
  });
});

describe('formatMarkdown', () => {
  it('writes a table per config, escaping pipes and spanning reasons', () => {
    const md = formatMarkdown(sampleReport());
    expect(md.startsWith('# convkit bench (quick)\n')).toBe(true);
    expect(md).toContain('## c3x3');
    expect(md).toContain('| engine | median ms | min-max ms | runs | GFLOP/s | vs best peer |');
    expect(md).toContain('| --- | ---: | ---: | ---: | ---: | ---: |');
    expect(md).toContain('| peer \\| one | 2.31 | 2.20-2.50 | 5 | 100.1 | 1.00x |');
    expect(md).toContain('| tfjs cpu | unsupported: tfjs has no grouped convolution |  |  |  |  |');
    expect(md).toContain('- Engines: convkit reference (@convkit/kernels-cpu 1.0.0, cpu, 1 thread);');
  });
});

describe('the chart', () => {
  it('plots one bar per timed result on a log scale, in suite and engine order', () => {
    const spec = chartSpec(sampleReport()) as unknown as {
      data: { values: { config: string; engine: string; gflops: number }[] };
      encoding: { y: { scale: { type: string }; stack: null }; x: { sort: string[] } };
    };
    expect(spec.data.values.map((v) => [v.config, v.engine, v.gflops])).toEqual([
      ['c3x3', 'convkit reference', 0.231],
      ['c3x3', 'peer | one', 100.09],
    ]);
    expect(spec.encoding.y.scale.type).toBe('log');
    expect(spec.encoding.y.stack).toBeNull();
    expect(spec.encoding.x.sort).toEqual(['c3x3']);
  });

  it('renders to an SVG whose bars have height and whose log axis has labels', async () => {
    const svg = await renderChartSvg(sampleReport());
    expect(svg.startsWith('<svg')).toBe(true);
    const bars = [...svg.matchAll(/aria-roledescription="bar" d="M[\d.]+,([\d.]+)h[\d.]+v([\d.]+)/g)];
    expect(bars).toHaveLength(2);
    for (const [, , height] of bars) expect(Number(height)).toBeGreaterThan(0);
    expect(svg).toContain('>100</text>');
    expect(svg).toContain('GFLOP/s (2 x MACs / median time)');
  });
});
