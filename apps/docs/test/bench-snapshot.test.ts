import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { latestSnapshotName, parseBenchSnapshot } from '../src/bench-snapshot';

const SAMPLE = `# convkit bench (quick)

- Machine: Test CPU, 2 cores
- Run: 2026-01-01T00:00:00Z, 1 s
- Commit: abc1234

## c3x3

N1 C64 56x56 -> 64 k3 p1: a config.

| engine | median ms | min-max ms | runs | GFLOP/s | vs best peer |
| --- | ---: | ---: | ---: | ---: | ---: |
| convkit im2col | 73.5 | 53.6-103 | 5 | 3.15 | 0.020x |
| tfjs wasm | unsupported: no kernel |  |  |  |  |

## dw3x3

Depthwise.

| engine | median ms | min-max ms | runs | GFLOP/s | vs best peer |
| --- | ---: | ---: | ---: | ---: | ---: |
| convkit im2col | 1.5 | 1-2 | 5 | 0.5 | 1.00x |
`;

describe('parseBenchSnapshot', () => {
  it('reads the header, the configs and every engine', () => {
    const s = parseBenchSnapshot(SAMPLE);
    expect(s.title).toBe('convkit bench (quick)');
    expect(s.machine).toBe('Test CPU, 2 cores');
    expect(s.commit).toBe('abc1234');
    expect(s.engines).toEqual(['convkit im2col', 'tfjs wasm']);
    expect(s.configs.map((c) => c.id)).toEqual(['c3x3', 'dw3x3']);
    expect(s.configs[0]!.description).toBe('N1 C64 56x56 -> 64 k3 p1: a config.');
    expect(s.configs[0]!.results).toEqual([
      { engine: 'convkit im2col', medianMs: 73.5, gflops: 3.15, unsupported: null },
      { engine: 'tfjs wasm', medianMs: null, gflops: null, unsupported: 'no kernel' },
    ]);
  });

  it('reads the committed snapshots', () => {
    const dir = new URL('../../bench/snapshots/', import.meta.url);
    const name = latestSnapshotName(readdirSync(dir));
    expect(name).not.toBeNull();
    const s = parseBenchSnapshot(readFileSync(new URL(name!, dir), 'utf8'));
    expect(s.configs.length).toBeGreaterThan(0);
    expect(s.configs.every((c) => c.results.length > 0)).toBe(true);
  });

  it('refuses a config without a results table', () => {
    expect(() => parseBenchSnapshot('# t\n\n## broken\n\nno table here\n')).toThrow(/broken/);
  });
});

describe('latestSnapshotName', () => {
  it('takes the newest dated Markdown file', () => {
    expect(
      latestSnapshotName(['2026-01-02-quick.md', '2026-11-28-quick.md', '2026-11-28-quick.svg', 'README.md']),
    ).toBe('2026-11-28-quick.md');
    expect(
      latestSnapshotName([
        '2026-11-28-gpu-h200.md',
        '2026-11-28-quick-0-typescript.md',
        '2026-11-28-quick-2-tuned.md',
        '2026-11-28-quick-1-wasm.md',
        '2026-11-28-quick-2-tuned.svg',
      ]),
    ).toBe('2026-11-28-quick-2-tuned.md');
  });
  it('gives null when there is none', () => {
    expect(latestSnapshotName(['notes.md', 'chart.svg'])).toBeNull();
  });
});
