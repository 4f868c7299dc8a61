/**
 * BatchNorm1d/2d/3d, GroupNorm and LayerNorm with PyTorch's parameters (weight = 1, bias = 0),
 * buffers (running_mean = 0, running_var = 1, num_batches_tracked = 0, a 0-d tensor) and
 * behaviour: in training, batch norm normalises with the batch's statistics and updates the
 * running ones (momentum 0.1, or the cumulative average with momentum null); in eval it
 * uses the running ones (unless trackRunningStats is false).
 */
import type { BatchNormSpec, GroupNormSpec, LayerNormSpec } from '@convkit/analysis';
import {
  ArgumentError,
  formatShape,
  full,
  optionBoolean,
  optionIntList,
  optionNumber,
  optionPositiveInt,
  readOptions,
  ShapeError,
  Tensor,
} from '@convkit/tensor';
import { Parameter } from '../autograd/parameter';
import { asVariable, type Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { batchNorm, groupNorm, layerNorm } from '../functional/normalization';
import { Module } from './module';

export interface BatchNormOptions {
  numFeatures: number;
  eps?: number;
  /** 0.1; null for the cumulative moving average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

class BatchNormNd extends Module {
  readonly typeName: string;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  private readonly ranks: readonly number[];

  constructor(typeName: string, ranks: readonly number[], options: BatchNormOptions) {
    super();
    this.typeName = typeName;
    this.ranks = ranks;
    const o = readOptions(typeName, options, [
      'numFeatures',
      'eps',
      'momentum',
      'affine',
      'trackRunningStats',
    ]);
    if (o.numFeatures === undefined) throw new ArgumentError(`${typeName}: numFeatures is required`);
    this.numFeatures = optionPositiveInt(typeName, 'numFeatures', o.numFeatures, 1);
    this.eps = optionNumber(typeName, 'eps', o.eps, 1e-5, { min: 0, minExclusive: true });
    // The null rule reads a null momentum as "not given"; PyTorch's momentum=None is kept apart here.
    const explicitNull =
      typeof options === 'object' && options !== null && 'momentum' in options && options.momentum === null;
    this.momentum = explicitNull
      ? null
      : optionNumber(typeName, 'momentum', o.momentum, 0.1, { min: 0, max: 1 });
    this.affine = optionBoolean(typeName, 'affine', o.affine, true);
    this.trackRunningStats = optionBoolean(typeName, 'trackRunningStats', o.trackRunningStats, true);
    const C = this.numFeatures;
    this.weight = this.registerParameter('weight', this.affine ? new Parameter(full([C], 1)) : null);
    this.bias = this.registerParameter('bias', this.affine ? new Parameter(full([C], 0)) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? full([C], 0) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? full([C], 1) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? full([], 0) : null);
  }

  forward(x: Input): Variable {
    const v = asVariable(this.typeName, 'input', x);
    if (!this.ranks.includes(v.shape.length) || v.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        `${this.typeName}: input must be ${this.ranks.map((r) => `${r}-D`).join(' or ')} with ${this.numFeatures} channels in dim 1, got ${formatShape(v.shape)}`,
      );
    }
    const tracked = this.getBuffer('num_batches_tracked');
    const count = tracked ? tracked.data[tracked.offset]! : 0;
    const y = batchNorm(v, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.getBuffer('running_mean'),
      runningVar: this.getBuffer('running_var'),
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
      numBatchesTracked: count,
    });
    if (this.training && tracked)
      this.setBuffer('num_batches_tracked', new Tensor(Float32Array.of(count + 1), []));
    return y;
  }

  override toLayerSpec(): BatchNormSpec {
    return {
      type: this.typeName as BatchNormSpec['type'],
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum ?? 0.1,
      affine: this.affine,
      trackRunningStats: this.trackRunningStats,
    };
  }
}

export class BatchNorm1d extends BatchNormNd {
  constructor(options: BatchNormOptions) {
    super('BatchNorm1d', [2, 3], options);
  }
}

export class BatchNorm2d extends BatchNormNd {
  constructor(options: BatchNormOptions) {
    super('BatchNorm2d', [4], options);
  }
}

export class BatchNorm3d extends BatchNormNd {
  constructor(options: BatchNormOptions) {
    super('BatchNorm3d', [5], options);
  }
}

export interface GroupNormOptions {
  numGroups: number;
  numChannels: number;
  eps?: number;
  affine?: boolean;
}

export class GroupNorm extends Module {
  readonly typeName = 'GroupNorm';
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(options: GroupNormOptions) {
    super();
    const o = readOptions('GroupNorm', options, ['numGroups', 'numChannels', 'eps', 'affine']);
    if (o.numGroups === undefined || o.numChannels === undefined) {
      throw new ArgumentError('GroupNorm: numGroups and numChannels are required');
    }
    this.numGroups = optionPositiveInt('GroupNorm', 'numGroups', o.numGroups, 1);
    this.numChannels = optionPositiveInt('GroupNorm', 'numChannels', o.numChannels, 1);
    if (this.numChannels % this.numGroups !== 0) {
      throw new ArgumentError(
        `GroupNorm: numChannels ${this.numChannels} must be divisible by numGroups ${this.numGroups}`,
      );
    }
    this.eps = optionNumber('GroupNorm', 'eps', o.eps, 1e-5, { min: 0, minExclusive: true });
    const affine = optionBoolean('GroupNorm', 'affine', o.affine, true);
    this.weight = this.registerParameter(
      'weight',
      affine ? new Parameter(full([this.numChannels], 1)) : null,
    );
    this.bias = this.registerParameter('bias', affine ? new Parameter(full([this.numChannels], 0)) : null);
  }

  forward(x: Input): Variable {
    const v = asVariable('GroupNorm', 'input', x);
    if (v.shape.length < 2 || v.shape[1] !== this.numChannels) {
      throw new ShapeError(
        `GroupNorm: input must be [N, ${this.numChannels}, ...], got ${formatShape(v.shape)}`,
      );
    }
    return groupNorm(v, this.numGroups, this.weight, this.bias, this.eps);
  }

  override toLayerSpec(): GroupNormSpec {
    return {
      type: 'GroupNorm',
      numGroups: this.numGroups,
      numChannels: this.numChannels,
      eps: this.eps,
      affine: this.weight !== null,
    };
  }
}

export interface LayerNormOptions {
  normalizedShape: number | readonly number[];
  eps?: number;
  elementwiseAffine?: boolean;
}

export class LayerNorm extends Module {
  readonly typeName = 'LayerNorm';
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(options: LayerNormOptions) {
    super();
    const o = readOptions('LayerNorm', options, ['normalizedShape', 'eps', 'elementwiseAffine']);
    const shape = o.normalizedShape;
    const length = Array.isArray(shape) ? shape.length : 1;
    if (shape === undefined || length < 1) throw new ArgumentError('LayerNorm: normalizedShape is required');
    this.normalizedShape = optionIntList('LayerNorm', 'normalizedShape', shape, {
      length,
      min: 1,
      fallback: [],
      per: 'the trailing dims normalised',
    });
    this.eps = optionNumber('LayerNorm', 'eps', o.eps, 1e-5, { min: 0, minExclusive: true });
    const affine = optionBoolean('LayerNorm', 'elementwiseAffine', o.elementwiseAffine, true);
    this.weight = this.registerParameter(
      'weight',
      affine ? new Parameter(full(this.normalizedShape, 1)) : null,
    );
    this.bias = this.registerParameter('bias', affine ? new Parameter(full(this.normalizedShape, 0)) : null);
  }

  forward(x: Input): Variable {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override toLayerSpec(): LayerNormSpec {
    return {
      type: 'LayerNorm',
      normalizedShape: this.normalizedShape,
      eps: this.eps,
      elementwiseAffine: this.weight !== null,
    };
  }
}
