/**
 * runCli: the `convkit-analyze` command, with its input and output passed in so that it runs
 * in tests without a process. It reads a JSON model (a list of layer specs, or
 * { "input": [...], "layers": [...] }) and prints its summary; a bad spec or shape gets one
 * line on stderr naming the layer and the field, and exit code 1; a bad command line, 2.
 * Every failure is one line, never a stack trace: an unexpected error (a bug) is reported as
 * an internal error, also with exit code 1. `--version` prints the package's version.
 */
import { ArgumentError, ConvkitError, describeValue } from '@convkit/tensor';
import type { LayerSpec } from './layer-spec';
import { type SummaryFormat, summary } from './summary';

export interface CliIo {
  /** The file's text; throws (as fs.readFileSync does) when it cannot be read. */
  readFile(path: string): string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The package version `--version` prints (the executable reads it from package.json). */
  version?: string;
}

const NAME = 'convkit-analyze';

export const USAGE = `Usage: ${NAME} <model.json> [--input N,C,H,W] [--format text|markdown|json] [--rf] [--depth D]
       ${NAME} --version

Prints the shapes, parameters, MACs and memory of a sequential stack of layer specs.

  model.json       a JSON list of layer specs ([{"type": "Conv2d", "inChannels": 3, ...}, ...]),
                   or {"input": [1, 3, 224, 224], "layers": [...]}
  --input SHAPE    the input shape, batch first: 1,3,224,224 (required unless the file has "input")
  --format F       text (default), markdown or json
  --rf             add each module's receptive field (size / jump per spatial dim)
  --depth D        show modules nested at most D deep (0: the top-level layers)
  -h, --help       this text
  -v, --version    the version of @convkit/analysis

Exit status: 0 on success, 1 for a bad model, 2 for a bad command line.`;

class UsageError extends Error {}

interface Options {
  file: string;
  input: number[] | null;
  format: SummaryFormat;
  receptiveField: boolean;
  depth: number | undefined;
}

function parseShape(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1)) {
    throw new UsageError(
      `--input must be comma-separated positive integers such as 1,3,224,224, got '${text}'`,
    );
  }
  return parts.map(Number);
}

function parseArgs(argv: readonly string[]): Options | 'help' | 'version' {
  let file: string | null = null;
  let input: number[] | null = null;
  let format: SummaryFormat = 'text';
  let receptiveField = false;
  let depth: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    // A switch takes no value: `--rf=no` must not silently mean `--rf`.
    const noValue = () => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value, got '${arg}'`);
    };
    switch (flag) {
      case '-h':
      case '--help':
        noValue();
        return 'help';
      case '-v':
      case '--version':
        noValue();
        return 'version';
      case '--input':
        input = parseShape(value());
        break;
      case '--format': {
        const f = value();
        if (f !== 'text' && f !== 'markdown' && f !== 'json')
          throw new UsageError(`--format must be text, markdown or json, got '${f}'`);
        format = f;
        break;
      }
      case '--rf':
        noValue();
        receptiveField = true;
        break;
      case '--depth': {
        const d = value();
        if (!/^\d+$/.test(d)) throw new UsageError(`--depth must be a non-negative integer, got '${d}'`);
        depth = Number(d);
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
        if (file !== null) throw new UsageError(`one model file only, got '${file}' and '${arg}'`);
        file = arg;
    }
  }
  if (file === null) throw new UsageError('no model file given');
  return { file, input, format, receptiveField, depth };
}

function readModel(io: CliIo, file: string): { layers: unknown; input: unknown } {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    throw new ModelError(`cannot read the file: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelError(`not valid JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(parsed)) return { layers: parsed, input: undefined };
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    Array.isArray((parsed as { layers?: unknown }).layers)
  ) {
    const { layers, input } = parsed as { layers: unknown; input?: unknown };
    return { layers, input };
  }
  throw new ModelError(
    'expected a JSON list of layer specs, or an object with "layers" (and optionally "input")',
  );
}

class ModelError extends Error {}

/** Runs the command; returns the exit status. */
export function runCli(argv: readonly string[], io: CliIo): number {
  const fields = ['readFile', 'stdout', 'stderr'] as const;
  if (typeof io !== 'object' || io === null || fields.some((f) => typeof io[f] !== 'function')) {
    throw new ArgumentError(
      `runCli: io must be { readFile, stdout, stderr } (functions), got ${describeValue(io)}`,
    );
  }
  let options: Options | 'help' | 'version';
  try {
    if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) {
      throw new UsageError('the arguments must be a list of strings');
    }
    options = parseArgs(argv);
  } catch (error) {
    io.stderr(`${NAME}: ${oneLine(error)} (see ${NAME} --help)\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (options === 'version') {
    io.stdout(`${NAME} ${io.version ?? 'unknown'}\n`);
    return 0;
  }
  try {
    const model = readModel(io, options.file);
    const input = options.input ?? model.input;
    if (input === undefined) {
      io.stderr(
        `${NAME}: no input shape: pass --input N,C,H,W or put "input" in ${options.file} (see ${NAME} --help)\n`,
      );
      return 2;
    }
    const report = summary(model.layers as LayerSpec[], input as number[], {
      format: options.format,
      receptiveField: options.receptiveField,
      depth: options.depth,
    });
    io.stdout(`${report}\n`);
    return 0;
  } catch (error) {
    const known = error instanceof ModelError || ConvkitError.isInstance(error);
    io.stderr(`${NAME}: ${options.file}: ${known ? '' : 'internal error: '}${oneLine(error)}\n`);
    return 1;
  }
}

/** An error as one line of text: its message with line breaks folded (no stack trace). */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ');
}
