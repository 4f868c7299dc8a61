/**
 * The in-browser training demo of the layers page: a 150-image slice of Fashion-MNIST
 * (src/fashion-mnist-train.json), its batches, and a small CNN built with @convkit/layers,
 * which the caller passes in (the widget loads it on demand, after the page has painted).
 */
import type * as Layers from '@convkit/layers';
import { type Tensor, tensor } from '@convkit/tensor';
import data from './fashion-mnist-train.json';

export const CLASSES: readonly string[] = data.classes;
export const SIDE = data.side;
export const BATCH = 20;

export interface Split {
  /** count * SIDE * SIDE grey levels in [0, 1] */
  readonly images: Float32Array;
  readonly labels: readonly number[];
}

function decode({ images, labels }: { images: string; labels: number[] }): Split {
  const bytes = Uint8Array.from(atob(images), (c) => c.charCodeAt(0));
  return { images: Float32Array.from(bytes, (b) => b / 255), labels };
}

export const TRAIN: Split = decode(data.train);
export const TEST: Split = decode(data.test);

/** Images [count, 1, 28, 28] and labels [count] of a split, from `start` (wrapping around). */
export function batch(split: Split, start: number, count: number): { x: Tensor; y: Tensor } {
  const n = split.labels.length;
  const plane = SIDE * SIDE;
  const x = new Float32Array(count * plane);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const k = (start + i) % n;
    x.set(split.images.subarray(k * plane, (k + 1) * plane), i * plane);
    y[i] = split.labels[k]!;
  }
  return { x: tensor(x, [count, 1, SIDE, SIDE]), y: tensor(y, [count]) };
}

/** Images [indices.length, 1, 28, 28] of a split, in the order given. */
export function imagesAt(split: Split, indices: readonly number[]): Tensor {
  const plane = SIDE * SIDE;
  const x = new Float32Array(indices.length * plane);
  indices.forEach((k, i) => {
    x.set(split.images.subarray(k * plane, (k + 1) * plane), i * plane);
  });
  return tensor(x, [indices.length, 1, SIDE, SIDE]);
}

/** The index of the first image of each class in a split, class 0 first. */
export function firstOfEachClass(split: Split): number[] {
  return CLASSES.map((_, c) => split.labels.indexOf(c));
}

/** The batch of training step `step` (0-based): 20 images in a fixed order. */
export function trainingBatch(step: number): { x: Tensor; y: Tensor } {
  return batch(TRAIN, step * BATCH, BATCH);
}

/** Two strided 3x3 convolutions and a linear classifier on their 16 x 7 x 7 features; seeded. */
export function buildModel(layers: typeof Layers, seed = 0): Layers.Sequential {
  layers.manualSeed(seed);
  return new layers.Sequential(
    new layers.Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }),
    new layers.ReLU(),
    new layers.Conv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, stride: 2, padding: 1 }),
    new layers.ReLU(),
    new layers.Flatten(),
    new layers.Linear({ inFeatures: 16 * 7 * 7, outFeatures: 10 }),
  );
}

/** Correct predictions (argmax of the logits) of `model` on the test split. */
export function testCorrect(layers: typeof Layers, model: Layers.Sequential): number {
  const { x } = batch(TEST, 0, TEST.labels.length);
  const logits = layers.noGrad(() => model.forward(x)).data.toFloat32Array();
  let correct = 0;
  for (let i = 0; i < TEST.labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
    if (best === TEST.labels[i]) correct++;
  }
  return correct;
}
