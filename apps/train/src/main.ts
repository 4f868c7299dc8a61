/**
 * convkit-train: trains the Fashion-MNIST CNN with @convkit/layers and writes, under --out,
 * checkpoint.safetensors (loads in PyTorch), plot.svg and history.json.
 *
 *   pnpm --filter @convkit/train train -- --epochs 3                      # the full data set
 *   pnpm --filter @convkit/train train -- --data apps/train/data/fashion-mnist-subset --epochs 2 --width 0.25
 *
 * Options: --data DIR (/usr/share/datasets/fashion-mnist), --epochs (3), --batch-size (128),
 * --lr (1e-3), --width (1), --seed (0), --limit N (images per split), --out DIR (train-output),
 * --threads N (1): above 1, the convolutions run on a kernels-cpu context of N threads, the
 * caller's included (cpuBackendOn(ctx.sync)); everything else stays on the calling thread.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CpuContext, createCpuContext, wasmInfo } from '@convkit/kernels-cpu';
import { cpuBackendOn, saveSafetensors, setBackend } from '@convkit/layers';
import { DEFAULT_DATA_DIR, loadFashionMnist } from './fashion-mnist';
import { batchActivationBytes, formatMemory, MemoryMeter } from './memory-meter';
import { fashionCnn } from './model';
import { plotSvg } from './plot-svg';
import { ProgressBar } from './progress-bar';
import { train } from './train';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    out[key] = inline ?? argv[++i] ?? '';
  }
  return out;
}

function number(args: Record<string, string>, key: string, fallback: number): number {
  if (args[key] === undefined) return fallback;
  const v = Number(args[key]);
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`--${key} must be a positive number, got '${args[key]}'`);
  return v;
}

function integer(args: Record<string, string>, key: string, fallback: number): number {
  const v = number(args, key, fallback);
  if (!Number.isInteger(v)) throw new Error(`--${key} must be a positive integer, got '${args[key]}'`);
  return v;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const known = ['data', 'epochs', 'batch-size', 'lr', 'width', 'seed', 'limit', 'out', 'threads'];
  for (const key of Object.keys(args))
    if (!known.includes(key))
      throw new Error(`unknown option --${key}; known: ${known.map((k) => `--${k}`).join(' ')}`);
  const dataDir = args.data ?? DEFAULT_DATA_DIR;
  let data: ReturnType<typeof loadFashionMnist>;
  try {
    data = loadFashionMnist(dataDir, number(args, 'limit', Number.POSITIVE_INFINITY));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const outDir = resolve(args.out ?? 'train-output');
  const width = number(args, 'width', 1);
  const model = fashionCnn(width);
  const options = {
    epochs: number(args, 'epochs', 3),
    batchSize: number(args, 'batch-size', 128),
    lr: number(args, 'lr', 1e-3),
    seed: args.seed === undefined ? 0 : Number(args.seed),
  };
  const threads = integer(args, 'threads', 1);
  // One thread: the layers' own backend (kernels-cpu's synchronous ops, no workers).
  const context: CpuContext | null = threads > 1 ? await createCpuContext({ threads }) : null;
  if (context !== null) setBackend(cpuBackendOn(context.sync));
  try {
    // kernels-cpu's WebAssembly memories: the module's (the layer ops, one thread's convolutions)
    // and the context's, which its threads share (its convolutions).
    const wasmBytes = () => wasmInfo().memoryBytes + (context?.memoryBytes ?? 0);
    run(model, data, { ...options, width, dataDir, outDir, threads: context?.sync.threads ?? 1, wasmBytes });
  } finally {
    context?.dispose();
  }
}

function run(
  model: ReturnType<typeof fashionCnn>,
  data: ReturnType<typeof loadFashionMnist>,
  settings: {
    epochs: number;
    batchSize: number;
    lr: number;
    seed: number;
    width: number;
    dataDir: string;
    outDir: string;
    threads: number;
    wasmBytes: () => number;
  },
): void {
  const { width, dataDir, outDir, threads, wasmBytes, ...options } = settings;
  process.stdout.write(
    `Fashion-MNIST: ${data.train.count} train / ${data.test.count} test images from ${dataDir}; model width ${width} (${model.numParameters()} parameters); Adam lr ${options.lr}, batch ${options.batchSize}, ${options.epochs} epochs; ${threads} thread${threads === 1 ? '' : 's'}\n`,
  );
  // Memory (memory-meter.ts): the peak RSS growth over the baseline taken here, across the
  // training steps and the evaluation batches, against one training batch's activations.
  const activationBytes = batchActivationBytes(model, data.train.images, options.batchSize);
  const meter = new MemoryMeter();
  const bar = new ProgressBar(process.stdout);
  const started = performance.now();
  const history = train(model, data, {
    ...options,
    onEvaluationBatch: (epoch, batch) => meter.sample(`evaluation batch ${batch} of epoch ${epoch}`),
    onProgress: (state, final, epoch) => {
      meter.sample(
        final
          ? `the end of epoch ${state.epoch}`
          : `training step ${Math.ceil(state.done / options.batchSize)} of epoch ${state.epoch}`,
      );
      if (!final) bar.update(state);
      else
        bar.finish(
          state,
          ` | test loss ${epoch!.testLoss.toFixed(4)} acc ${(100 * epoch!.testAccuracy).toFixed(2)}% | ${epoch!.seconds.toFixed(1)} s`,
        );
    },
  });
  const total = (performance.now() - started) / 1000;
  const memory = meter.report(activationBytes, wasmBytes());
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'checkpoint.safetensors'),
    saveSafetensors(model.stateDict(), { metadata: { format: 'pt' } }),
  );
  writeFileSync(join(outDir, 'plot.svg'), plotSvg(history));
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  writeFileSync(
    join(outDir, 'history.json'),
    `${JSON.stringify({ options: { ...options, width, threads, data: dataDir }, totalSeconds: total, memory, ...history }, null, 2)}\n`,
  );
  const last = history.epochs[history.epochs.length - 1]!;
  const perEpoch = history.epochs.reduce((a, e) => a + e.seconds, 0) / history.epochs.length;
  process.stdout.write(
    `test accuracy ${(100 * last.testAccuracy).toFixed(2)}%; ${perEpoch.toFixed(1)} s per epoch (training only), ${total.toFixed(1)} s in all; peak RSS of the process ${peakRssMb.toFixed(0)} MB\n${formatMemory(memory)}\nwrote ${join(outDir, 'checkpoint.safetensors')}, plot.svg, history.json\n`,
  );
}

await main();
