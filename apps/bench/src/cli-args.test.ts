import { describe, expect, it } from 'vitest';
import { CliError, parseBenchArgs } from './cli-args';

describe('parseBenchArgs', () => {
  it('defaults to the full mode with every config and engine', () => {
    expect(parseBenchArgs([])).toEqual({
      mode: 'full',
      filter: null,
      engines: null,
      json: null,
      out: null,
      repeats: null,
      warmup: null,
      budgetMs: null,
      seed: 0,
      progress: true,
      list: false,
      help: false,
    });
  });

  it('reads modes, lists, paths and numbers, in both --flag value and --flag=value forms', () => {
    const args = parseBenchArgs([
      '--quick',
      '--filter',
      'c3x3, dw3x3',
      '--engines=convkit,ort-node',
      '--json',
      'out/run.json',
      '--repeats=3',
      '--warmup',
      '0',
      '--budget-ms',
      '500',
      '--seed',
      '7',
      '--no-progress',
    ]);
    expect(args).toMatchObject({
      mode: 'quick',
      filter: ['c3x3', 'dw3x3'],
      engines: ['convkit', 'ort-node'],
      json: 'out/run.json',
      repeats: 3,
      warmup: 0,
      budgetMs: 500,
      seed: 7,
      progress: false,
    });
    expect(parseBenchArgs(['--smoke', '--out', '/tmp/x']).mode).toBe('smoke');
  });

  it('ignores the -- separator that `pnpm bench -- --quick` passes through', () => {
    expect(parseBenchArgs(['--', '--quick']).mode).toBe('quick');
  });

  it('names the bad flag or value', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(CliError);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/^unknown option '--fast'\n\nUsage: pnpm bench/);
    expect(() => parseBenchArgs(['--filter'])).toThrow(/--filter/);
    expect(() => parseBenchArgs(['--quick', '--smoke'])).toThrow(
      '--quick and --smoke are different modes; give one',
    );
    expect(() => parseBenchArgs(['--repeats', '0'])).toThrow("--repeats must be an integer >= 1, got '0'");
    expect(() => parseBenchArgs(['--budget-ms', 'soon'])).toThrow(
      "--budget-ms must be an integer >= 0, got 'soon'",
    );
    expect(() => parseBenchArgs(['--filter', ' , '])).toThrow('--filter needs a comma-separated list of ids');
    expect(() => parseBenchArgs(['quick'])).toThrow("unexpected argument 'quick'");
  });
});
