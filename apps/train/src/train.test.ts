/**
 * The CI training run: the quarter-width Fashion-MNIST CNN trains one epoch on the committed
 * 1,500-image subset (a few seconds) and must lower its loss and reach 60% on the 500 held-out
 * images (chance is 10%); its checkpoint reloads into a fresh model with the same outputs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuContext } from '@convkit/kernels-cpu';
import {
  cpuBackendOn,
  loadSafetensors,
  manualSeed,
  noGrad,
  saveSafetensors,
  setBackend,
} from '@convkit/layers';
import { assertClose, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { loadFashionMnist, missingDataMessage } from './fashion-mnist';
import { fashionCnn } from './model';
import { plotSvg } from './plot-svg';
import { formatProgress, ProgressBar } from './progress-bar';
import { evaluate, train } from './train';

const subset = join(dirname(fileURLToPath(import.meta.url)), '../data/fashion-mnist-subset');

describe('Fashion-MNIST training (committed subset)', () => {
  const data = loadFashionMnist(subset);

  it('reads the subset: 1,500 train and 500 test images, normalised, labels 0-9', () => {
    expect(data.train.count).toBe(1500);
    expect(data.test.count).toBe(500);
    expect(data.train.images.length).toBe(1500 * 784);
    expect(Math.max(...data.train.labels)).toBe(9);
    expect(Math.min(...data.test.images.subarray(0, 784))).toBeCloseTo(-0.286 / 0.353, 5);
  });

  it('trains: the loss falls and test accuracy clears 60%; the checkpoint reloads', () => {
    const model = fashionCnn(0.25);
    const before = evaluate(model, data.test);
    const finals: number[] = [];
    const history = train(model, data, {
      epochs: 1,
      batchSize: 50,
      lr: 2e-3,
      seed: 0,
      onProgress: (state, final) => {
        if (final) finals.push(state.done);
      },
    });
    expect(finals).toEqual([1500]);
    expect(history.batchLoss).toHaveLength(30);
    const first = history.batchLoss.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = history.batchLoss.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(0.7 * first);
    const epoch = history.epochs[0]!;
    expect(epoch.testLoss).toBeLessThan(before.loss);
    expect(epoch.testAccuracy).toBeGreaterThan(0.6);

    const reloaded = fashionCnn(0.25);
    expect(reloaded.loadStateDict(loadSafetensors(saveSafetensors(model.stateDict())))).toEqual({
      missingKeys: [],
      unexpectedKeys: [],
    });
    model.eval();
    reloaded.eval();
    const x = new Tensor(data.test.images.slice(0, 4 * 784), [4, 1, 28, 28]);
    assertClose(noGrad(() => reloaded.forward(x)).data, noGrad(() => model.forward(x)).data, {
      atol: 0,
      rtol: 0,
    });

    const svg = plotSvg(history);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('accuracy');
    expect(svg.match(/<path /g)).toHaveLength(4);
  });

  it('trains with the convolutions on two threads (--threads 2) as on one', async () => {
    const context = await createCpuContext({ threads: 2 });
    const run = () => {
      manualSeed(0); // the same initial weights
      return train(fashionCnn(0.25), data, { epochs: 1, batchSize: 50, lr: 2e-3, seed: 0 }).epochs[0]!;
    };
    const one = run();
    const previous = setBackend(cpuBackendOn(context.sync));
    let two: ReturnType<typeof run>;
    try {
      two = run();
    } finally {
      setBackend(previous);
      context.dispose();
    }
    expect(two.testAccuracy).toBeGreaterThan(0.6);
    // The same training up to the order of the split weight gradients' sums, which 30 Adam
    // steps carry into the weights: the training loss within 1e-4, the test loss after the
    // epoch within 1%, the accuracy within 2 points (not bit for bit).
    expect(Math.abs(two.trainLoss - one.trainLoss)).toBeLessThan(1e-4 * (1 + one.trainLoss));
    expect(Math.abs(two.testLoss - one.testLoss)).toBeLessThan(1e-2 * one.testLoss);
    expect(Math.abs(two.testAccuracy - one.testAccuracy)).toBeLessThanOrEqual(0.02);
  });

  it('says how to install the data set when it is missing', () => {
    expect(() => loadFashionMnist('/nonexistent/fashion')).toThrow(
      /apt-get install -y dataset-fashion-mnist/,
    );
    expect(missingDataMessage('/x')).toContain('--data DIR');
  });

  it('draws the progress bar', () => {
    const state = {
      epoch: 1,
      epochs: 3,
      done: 50,
      total: 100,
      loss: 0.5,
      accuracy: 0.812,
      imagesPerSecond: 520.4,
    };
    expect(formatProgress(state, 10)).toBe('epoch 1/3 [====>     ]  50% loss 0.5000 acc 81.2% 520 img/s');
    const lines: string[] = [];
    new ProgressBar({ write: (t: string) => lines.push(t) }).finish(state, ' done');
    expect(lines).toEqual([`${formatProgress(state)} done\n`]);
  });
});
