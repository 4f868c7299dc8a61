import * as layers from '@convkit/layers';
import { describe, expect, it } from 'vitest';
import {
  BATCH,
  batch,
  buildModel,
  CLASSES,
  firstOfEachClass,
  imagesAt,
  TEST,
  TRAIN,
  testCorrect,
  trainingBatch,
} from '../src/train-demo';

describe('the training demo', () => {
  it('holds 10 training and 5 test images of every class, grey levels in [0, 1]', () => {
    expect(CLASSES).toHaveLength(10);
    expect(TRAIN.labels).toHaveLength(100);
    expect(TEST.labels).toHaveLength(50);
    expect(TRAIN.images.length).toBe(100 * 28 * 28);
    for (let c = 0; c < 10; c++) expect(TRAIN.labels.filter((l) => l === c)).toHaveLength(10);
    expect(TRAIN.images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('takes batches in a fixed order, wrapping around', () => {
    const { x, y } = trainingBatch(0);
    expect(x.shape).toEqual([BATCH, 1, 28, 28]);
    expect(Array.from(y.toFloat32Array())).toEqual(TRAIN.labels.slice(0, BATCH));
    const wrapped = batch(TRAIN, 95, 10);
    expect(Array.from(wrapped.y.toFloat32Array())).toEqual([
      ...TRAIN.labels.slice(95),
      ...TRAIN.labels.slice(0, 5),
    ]);
    expect(Array.from(wrapped.x.toFloat32Array().subarray(5 * 784, 6 * 784))).toEqual(
      Array.from(TRAIN.images.subarray(0, 784)),
    );
  });

  it('finds one image of each class and stacks images in the order given', () => {
    const firsts = firstOfEachClass(TEST);
    expect(firsts.map((k) => TEST.labels[k])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const x = imagesAt(TEST, [firsts[3]!, firsts[0]!]);
    expect(x.shape).toEqual([2, 1, 28, 28]);
    expect(Array.from(x.toFloat32Array().subarray(784))).toEqual(
      Array.from(TEST.images.subarray(firsts[0]! * 784, (firsts[0]! + 1) * 784)),
    );
  });

  it('builds the same model from the same seed, and the model learns', () => {
    const a = buildModel(layers, 0).stateDict();
    const b = buildModel(layers, 0).stateDict();
    expect(Object.keys(a)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '5.weight', '5.bias']);
    expect(Array.from(a['0.weight']!.toFloat32Array())).toEqual(Array.from(b['0.weight']!.toFloat32Array()));
    const model = buildModel(layers, 0);
    const optimizer = new layers.AdamW(model.parameters(), { lr: 0.01 });
    const lossFn = new layers.CrossEntropyLoss();
    const losses: number[] = [];
    for (let step = 0; step < 20; step++) {
      const { x, y } = trainingBatch(step);
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(x), y);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
    const correct = testCorrect(layers, model);
    expect(correct).toBeGreaterThanOrEqual(0);
    expect(correct).toBeLessThanOrEqual(50);
  });
});
