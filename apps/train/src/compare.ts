/**
 * The Fashion-MNIST comparison in one run: convkit (this app's trainer, in a child process,
 * `--threads N`) and PyTorch (pytorch/train_fashion_mnist.py under /usr/bin/python3), each at
 * 1 and at 2 threads (`--threads 1,2`), the same model, data, optimizer, batch size and
 * epochs, one run at a time (convkit then PyTorch at each thread count). Prints and writes
 * (compare.md, compare.json under --out) the training seconds per epoch, images per second,
 * final test accuracy, and convkit's time as a ratio to PyTorch's at the same thread count.
 *
 *   pnpm --filter @convkit/train compare -- --epochs 3
 *   pnpm --filter @convkit/train compare -- --epochs 1 --limit 2000     # a smoke run
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');

interface Epoch {
  seconds: number;
  imagesPerSecond: number;
  testAccuracy: number;
}

interface Run {
  engine: string;
  threads: number;
  epochs: Epoch[];
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    out[arg.slice(2)] = argv[++i] ?? '';
  }
  return out;
}

function runChild(command: string, args: string[]): void {
  process.stdout.write(`\n$ ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: app, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status ?? result.signal}`);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const known = ['epochs', 'limit', 'data', 'out', 'threads', 'python'];
  for (const key of Object.keys(args)) if (!known.includes(key)) throw new Error(`unknown option --${key}`);
  const out = resolve(args.out ?? 'compare-output');
  mkdirSync(out, { recursive: true });
  const shared = [
    '--epochs',
    args.epochs ?? '3',
    ...(args.limit ? ['--limit', args.limit] : []),
    ...(args.data ? ['--data', args.data] : []),
  ];
  const threadCounts = (args.threads ?? '1,2').split(',').map(Number);
  if (threadCounts.some((t) => !Number.isInteger(t) || t < 1)) {
    throw new Error(`--threads must be a comma-separated list of positive integers, got '${args.threads}'`);
  }
  const runs: Run[] = [];
  const python = args.python ?? '/usr/bin/python3';
  for (const threads of threadCounts) {
    const convkitOut = join(out, `convkit-${threads}`);
    runChild(process.execPath, [
      '--expose-gc',
      '--experimental-wasm-relaxed-simd',
      '--conditions=convkit-source',
      '--import',
      'tsx',
      'src/main.ts',
      ...shared,
      '--threads',
      String(threads),
      '--out',
      convkitOut,
    ]);
    const history = JSON.parse(readFileSync(join(convkitOut, 'history.json'), 'utf8')) as {
      epochs: Epoch[];
    };
    runs.push({ engine: 'convkit (@convkit/layers, kernels-cpu auto)', threads, epochs: history.epochs });

    const json = join(out, `pytorch-${threads}.json`);
    runChild(python, [
      'pytorch/train_fashion_mnist.py',
      ...shared,
      '--threads',
      String(threads),
      '--json',
      json,
    ]);
    runs.push(JSON.parse(readFileSync(json, 'utf8')) as Run);
  }

  const mean = (r: Run) => r.epochs.reduce((a, e) => a + e.seconds, 0) / r.epochs.length;
  const rows = runs.map((r) => {
    const last = r.epochs[r.epochs.length - 1]!;
    const convkit = runs.find((c) => c.engine.startsWith('convkit') && c.threads === r.threads)!;
    const ratio = r === convkit ? '' : `${(mean(convkit) / mean(r)).toFixed(2)}x`;
    return `| ${r.engine} | ${r.threads} | ${mean(r).toFixed(1)} | ${(r.epochs.reduce((a, e) => a + e.imagesPerSecond, 0) / r.epochs.length).toFixed(0)} | ${(100 * last.testAccuracy).toFixed(2)}% | ${ratio} |`;
  });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const table = [
    `Fashion-MNIST, ${args.epochs ?? 3} epoch(s)${args.limit ? `, ${args.limit} images per split` : ''}; ${cpu}, ${cpus().length} cores`,
    '',
    '| engine | threads | s per epoch (training) | images/s | test accuracy | convkit time / this (same threads) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(`\n${table}`);
  writeFileSync(join(out, 'compare.md'), table);
  writeFileSync(join(out, 'compare.json'), `${JSON.stringify({ cpu, runs }, null, 2)}\n`);
}

main();
