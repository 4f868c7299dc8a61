/**
 * parseBenchArgs: the command line of `pnpm bench` (see usage below and the app's README).
 * Strict: an unknown flag or a bad number is a CliError that names it.
 */
import { parseArgs } from 'node:util';
import { splitList } from './select-by-id';
import type { BenchMode } from './timing-settings';

export const USAGE = `Usage: pnpm bench [--quick | --smoke] [options]

Modes (default: full):
  --quick            every config, fewer repeats and a 1.5 s cap per engine and config (about 1-2 min on 2 cores)
  --smoke            tiny sizes, one timed run, every engine: checks correctness and the output files;
                     writes to a temporary folder unless --out is given

Options:
  --filter LIST      configs to run, comma-separated ids, prefixes or globs (e.g. c3x3,dw3x3 or 'conv*')
  --engines LIST     engines to run, same syntax (e.g. convkit,ort-node or '*-1t')
  --json PATH        also write the JSON report to PATH
  --out DIR          folder for latest.json, latest.md and latest.svg (default: apps/bench/results)
  --repeats N        timed runs at most (overrides the mode)
  --warmup N         warm-up runs after the verification run (overrides the mode)
  --budget-ms N      time cap per engine and config in milliseconds (overrides the mode)
  --seed N           seed of the random inputs (default 0)
  --no-progress      no progress bar (it is also off when stdout is not a terminal)
  --list             print the configs and engines and exit
  -h, --help         this text`;

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface BenchArgs {
  mode: BenchMode;
  filter: string[] | null;
  engines: string[] | null;
  json: string | null;
  out: string | null;
  repeats: number | null;
  warmup: number | null;
  budgetMs: number | null;
  seed: number;
  progress: boolean;
  list: boolean;
  help: boolean;
}

function integer(name: string, value: string | undefined, min: number): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  // `pnpm bench -- --quick` passes the separator through; it means nothing here.
  const args = argv.filter((a) => a !== '--');
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    // Node's own text suggests '-- "--flag"', which means nothing to a bench user.
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined;
    throw new CliError(`${unknown ? `unknown option '${unknown}'` : message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (parsed.positionals.length > 0) {
    throw new CliError(`unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
  }
  if (v.quick && v.smoke) throw new CliError('--quick and --smoke are different modes; give one');
  const list = (name: string, value: string | undefined) => {
    if (value === undefined) return null;
    const items = splitList(value);
    if (items.length === 0) throw new CliError(`--${name} needs a comma-separated list of ids`);
    return items;
  };
  return {
    mode: v.smoke ? 'smoke' : v.quick ? 'quick' : 'full',
    filter: list('filter', v.filter),
    engines: list('engines', v.engines),
    json: v.json ?? null,
    out: v.out ?? null,
    repeats: integer('repeats', v.repeats, 1),
    warmup: integer('warmup', v.warmup, 0),
    budgetMs: integer('budget-ms', v['budget-ms'], 0),
    seed: integer('seed', v.seed, 0) ?? 0,
    progress: !v['no-progress'],
    list: v.list ?? false,
    help: v.help ?? false,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      filter: { type: 'string' },
      engines: { type: 'string' },
      json: { type: 'string' },
      out: { type: 'string' },
      repeats: { type: 'string' },
      warmup: { type: 'string' },
      'budget-ms': { type: 'string' },
      seed: { type: 'string' },
      'no-progress': { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
