import { receptiveField, summary } from '@convkit/analysis';
import { describe, expect, it } from 'vitest';
import { ReLU } from './activations';
import { BasicBlock } from './blocks';
import { Sequential } from './containers';
import { Conv2d } from './conv';
import { BatchNorm2d } from './normalization';
import { AdaptiveAvgPool2d, MaxPool2d } from './pooling';
import { Flatten, Linear } from './simple';

describe('summary(model, inputShape): a layers model in place of its specs', () => {
  it('prints the same report as summary(model.toLayerSpecs(), inputShape)', () => {
    const model = new Sequential(
      new Conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3, padding: 1 }),
      new BatchNorm2d({ numFeatures: 16 }),
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
      new BasicBlock({ inChannels: 16, outChannels: 32, stride: 2 }),
      new AdaptiveAvgPool2d({ outputSize: 1 }),
      new Flatten(),
      new Linear({ inFeatures: 32, outFeatures: 10 }),
    );
    for (const format of ['text', 'markdown', 'json'] as const) {
      expect(summary(model, [4, 3, 32, 32], { format })).toBe(
        summary(model.toLayerSpecs(), [4, 3, 32, 32], { format }),
      );
    }
    const report = JSON.parse(summary(model, [4, 3, 32, 32], { format: 'json' }));
    expect(report.totals.params).toBe(model.numParameters());
    expect(receptiveField(model, [1, 3, 32, 32])).toEqual(
      receptiveField(model.toLayerSpecs(), [1, 3, 32, 32]),
    );
  });
});
