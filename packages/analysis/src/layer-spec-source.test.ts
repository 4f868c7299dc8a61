import { ArgumentError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from './analyze-model';
import { inputCoverage } from './input-coverage';
import type { LayerSpec } from './layer-spec';
import { layerSpecsOf } from './layer-spec-source';
import { receptiveField } from './receptive-field';
import { summary } from './summary';

const specs: LayerSpec[] = [
  { type: 'Conv2d', inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 },
  { type: 'ReLU' },
  { type: 'MaxPool2d', kernelSize: 2 },
  { type: 'Flatten' },
  { type: 'Linear', inFeatures: 4 * 14 * 14, outFeatures: 10 },
];

/** Stands in for an @convkit/layers Module: a class instance whose specs come from a method. */
class TinyModel {
  calls = 0;
  toLayerSpecs(): LayerSpec[] {
    this.calls++;
    return specs;
  }
}

describe('a model with toLayerSpecs() in place of specs', () => {
  it('gives the same summary, analysis, receptive field and coverage as its specs', () => {
    const model = new TinyModel();
    for (const format of ['text', 'markdown', 'json'] as const) {
      expect(summary(model, [2, 1, 28, 28], { format, receptiveField: true })).toBe(
        summary(specs, [2, 1, 28, 28], { format, receptiveField: true }),
      );
    }
    expect(analyzeModel(model, [2, 1, 28, 28])).toEqual(analyzeModel(specs, [2, 1, 28, 28]));
    expect(receptiveField(model, [1, 1, 28, 28])).toEqual(receptiveField(specs, [1, 1, 28, 28]));
    expect(inputCoverage(model, [1, 1, 28, 28], { path: '2' })).toEqual(
      inputCoverage(specs, [1, 1, 28, 28], { path: '2' }),
    );
  });

  it('asks the model once per summary', () => {
    const model = new TinyModel();
    summary(model, [1, 1, 28, 28], { receptiveField: true });
    expect(model.calls).toBe(1);
  });

  it('passes a list through and refuses what is neither, naming the caller and what came', () => {
    expect(layerSpecsOf('summary', specs)).toBe(specs);
    const expected = (got: string) =>
      `summary: specs must be a list of layer specs or a model with toLayerSpecs() (an @convkit/layers Module), got ${got}`;
    expect(() => summary(null as never, [1, 1, 28, 28])).toThrow(ArgumentError);
    expect(() => summary(null as never, [1, 1, 28, 28])).toThrow(expected('null'));
    expect(() => summary(42 as never, [1, 1, 28, 28])).toThrow(expected('number'));
    expect(() => summary({} as never, [1, 1, 28, 28])).toThrow(expected('an object without toLayerSpecs()'));
    expect(() => summary(new Map() as never, [1, 1, 28, 28])).toThrow(
      expected('a Map without toLayerSpecs()'),
    );
    expect(() => receptiveField('Conv2d' as never)).toThrow(
      'receptiveField: specs must be a list of layer specs or a model with toLayerSpecs() (an @convkit/layers Module), got string',
    );
    const broken = { toLayerSpecs: () => ({ type: 'ReLU' }) } as never;
    expect(() => summary(broken, [1, 1, 28, 28])).toThrow(
      "summary: the model's toLayerSpecs() must return a list of layer specs, got an object without toLayerSpecs()",
    );
  });
});
