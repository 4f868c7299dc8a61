/**
 * The training loop: shuffled mini-batches (a seeded permutation per epoch), forward,
 * cross-entropy, backward, Adam step; after each epoch the test accuracy in eval mode without
 * the tape, in batches of the training batch size (a larger one would make evaluation, not
 * training, the memory peak). Reports progress (loss and accuracy over the epoch so far, images per second) and
 * returns the history the plot is drawn from.
 */
import { Adam, crossEntropy, type Module, manualSeed, noGrad } from '@convkit/layers';
import { createRng, Tensor } from '@convkit/tensor';
import type { Split } from './fashion-mnist';
import type { ProgressState } from './progress-bar';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Called after every batch, and with `final` at the end of each epoch. */
  onProgress?: (state: ProgressState, final: boolean, epoch: EpochRecord | null) => void;
  /** Called after every evaluation batch (the memory meter samples there), with the epoch and the batch's number. */
  onEvaluationBatch?: (epoch: number, batch: number) => void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface TrainHistory {
  /** Loss of every batch, in order. */
  batchLoss: number[];
  epochs: EpochRecord[];
}

function batchOf(
  split: Split,
  indices: ArrayLike<number>,
  start: number,
  end: number,
): { x: Tensor; y: Tensor } {
  const n = end - start;
  const x = new Float32Array(n * 784);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[start + i]!;
    x.set(split.images.subarray(k * 784, k * 784 + 784), i * 784);
    y[i] = split.labels[k]!;
  }
  return { x: new Tensor(x, [n, 1, 28, 28]), y: new Tensor(y, [n]) };
}

function correct(logits: Tensor, labels: Tensor): number {
  const [n, classes] = logits.shape as [number, number];
  const v = logits.toFloat32Array();
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (v[i * classes + c]! > v[i * classes + best]!) best = c;
    if (best === labels.data[labels.offset + i]) hits++;
  }
  return hits;
}

/** Loss and accuracy on a split, in eval mode, without recording. */
export function evaluate(
  model: Module,
  split: Split,
  batchSize = 128,
  onBatch?: (batch: number) => void,
): { loss: number; accuracy: number } {
  const wasTraining = model.training;
  model.eval();
  const order = Array.from({ length: split.count }, (_, i) => i);
  let loss = 0;
  let hits = 0;
  noGrad(() => {
    for (let s = 0; s < split.count; s += batchSize) {
      const e = Math.min(s + batchSize, split.count);
      const { x, y } = batchOf(split, order, s, e);
      const logits = model.forward(x);
      loss += crossEntropy(logits, y, { reduction: 'sum' }).item();
      hits += correct(logits.data, y);
      onBatch?.(s / batchSize + 1);
    }
  });
  model.train(wasTraining);
  return { loss: loss / split.count, accuracy: hits / split.count };
}

export function train(
  model: Module,
  data: { train: Split; test: Split },
  options: TrainOptions,
): TrainHistory {
  manualSeed(options.seed);
  const rng = createRng(options.seed);
  const optimizer = new Adam(model.parameters(), { lr: options.lr });
  const history: TrainHistory = { batchLoss: [], epochs: [] };
  const n = data.train.count;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    model.train();
    const started = performance.now();
    let seen = 0;
    let lossSum = 0;
    let hits = 0;
    const state = (): ProgressState => ({
      epoch,
      epochs: options.epochs,
      done: seen,
      total: n,
      loss: seen ? lossSum / seen : 0,
      accuracy: seen ? hits / seen : 0,
      imagesPerSecond: seen / Math.max((performance.now() - started) / 1000, 1e-9),
    });
    for (let s = 0; s < n; s += options.batchSize) {
      const e = Math.min(s + options.batchSize, n);
      const { x, y } = batchOf(data.train, order, s, e);
      optimizer.zeroGrad();
      const logits = model.forward(x);
      const loss = crossEntropy(logits, y);
      loss.backward();
      optimizer.step();
      const value = loss.item();
      history.batchLoss.push(value);
      lossSum += value * (e - s);
      hits += correct(logits.data, y);
      seen += e - s;
      options.onProgress?.(state(), false, null);
    }
    const seconds = (performance.now() - started) / 1000;
    const test = evaluate(model, data.test, options.batchSize, (batch) =>
      options.onEvaluationBatch?.(epoch, batch),
    );
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / n,
      trainAccuracy: hits / n,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds,
      imagesPerSecond: n / seconds,
    };
    history.epochs.push(record);
    options.onProgress?.(state(), true, record);
  }
  return history;
}
