/**
 * convkit-train: trains the Fashion-MNIST CNN with @convkit/layers and writes, under --out,
 * checkpoint.safetensors (loads in PyTorch), plot.svg and history.json.
 *
 *   pnpm --filter @convkit/train train -- --epochs 3                      # the full data set
 *   pnpm --filter @convkit/train train -- --data apps/train/data/fashion-mnist-subset --epochs 2 --width 0.25
 *
 * Options: --data DIR (/usr/share/datasets/fashion-mnist), --epochs (3), --batch-size (128),
 * --lr (1e-3), --width (1), --seed (0), --limit N (images per split), --out DIR (train-output).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { noGrad, saveSafetensors } from '@convkit/layers';
import { Tensor } from '@convkit/tensor';
import { DEFAULT_DATA_DIR, loadFashionMnist } from './fashion-mnist';
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

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const known = ['data', 'epochs', 'batch-size', 'lr', 'width', 'seed', 'limit', 'out'];
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
  process.stdout.write(
    `Fashion-MNIST: ${data.train.count} train / ${data.test.count} test images from ${dataDir}; model width ${width} (${model.numParameters()} parameters); Adam lr ${options.lr}, batch ${options.batchSize}, ${options.epochs} epochs\n`,
  );
  // Memory: the activations of one training batch (each layer's output, what the tape holds)
  // against the growth of the resident set during training.
  const probe = new Tensor(data.train.images.slice(0, options.batchSize * 784), [
    options.batchSize,
    1,
    28,
    28,
  ]);
  let activationBytes = probe.size * 4;
  // In eval mode: a training-mode probe would move the batch-norm running statistics.
  model.eval();
  noGrad(() => {
    let y = probe;
    for (const layer of model.children()) {
      y = layer.forward(y).data;
      activationBytes += y.size * 4;
    }
  });
  model.train();
  const baseline = process.memoryUsage();
  let peakTrainRss = baseline.rss;
  let peakBuffers = baseline.arrayBuffers;
  const bar = new ProgressBar(process.stdout);
  const started = performance.now();
  const history = train(model, data, {
    ...options,
    onProgress: (state, final, epoch) => {
      const now = process.memoryUsage();
      peakTrainRss = Math.max(peakTrainRss, now.rss);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
      if (!final) bar.update(state);
      else
        bar.finish(
          state,
          ` | test loss ${epoch!.testLoss.toFixed(4)} acc ${(100 * epoch!.testAccuracy).toFixed(2)}% | ${epoch!.seconds.toFixed(1)} s`,
        );
    },
  });
  const total = (performance.now() - started) / 1000;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'checkpoint.safetensors'),
    saveSafetensors(model.stateDict(), { metadata: { format: 'pt' } }),
  );
  writeFileSync(join(outDir, 'plot.svg'), plotSvg(history));
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const memory = {
    peakRssMb,
    rssBeforeTrainingMb: baseline.rss / 2 ** 20,
    rssGrowthInTrainingMb: (peakTrainRss - baseline.rss) / 2 ** 20,
    /** Typed-array memory (activations, gradients, weights) above what the data set holds. */
    arrayBufferGrowthInTrainingMb: (peakBuffers - baseline.arrayBuffers) / 2 ** 20,
    batchActivationsMb: activationBytes / 2 ** 20,
  };
  writeFileSync(
    join(outDir, 'history.json'),
    `${JSON.stringify({ options: { ...options, width, data: dataDir }, totalSeconds: total, memory, ...history }, null, 2)}\n`,
  );
  const last = history.epochs[history.epochs.length - 1]!;
  const perEpoch = history.epochs.reduce((a, e) => a + e.seconds, 0) / history.epochs.length;
  process.stdout.write(
    `test accuracy ${(100 * last.testAccuracy).toFixed(2)}%; ${perEpoch.toFixed(1)} s per epoch (training only), ${total.toFixed(1)} s in all; peak RSS ${peakRssMb.toFixed(0)} MB; in training RSS grew ${memory.rssGrowthInTrainingMb.toFixed(0)} MB and typed arrays ${memory.arrayBufferGrowthInTrainingMb.toFixed(0)} MB, for ${memory.batchActivationsMb.toFixed(0)} MB of batch activations\nwrote ${join(outDir, 'checkpoint.safetensors')}, plot.svg, history.json\n`,
  );
}

main();
