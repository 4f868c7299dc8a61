/**
 * The small modules: Linear (weight [out, in], kaiming_uniform a = sqrt(5), bias
 * U(+-1/sqrt(in))), Identity, Flatten, Dropout, Upsample, PixelShuffle and Embedding
 * (weight N(0, 1)), with PyTorch's options and defaults.
 */
import type { DropoutSpec, FlattenSpec, IdentitySpec, LinearSpec, UpsampleSpec } from '@convkit/analysis';
import {
  ArgumentError,
  isTensor,
  optionBoolean,
  optionEnum,
  optionInteger,
  optionNumber,
  optionPositiveInt,
  readOptions,
  type Tensor,
} from '@convkit/tensor';
import { Parameter } from '../autograd/parameter';
import { asVariable, type Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { dropout } from '../functional/dropout';
import { embedding } from '../functional/embedding';
import { interpolate } from '../functional/interpolate';
import { linear } from '../functional/linear';
import { flatten, pixelShuffle } from '../functional/shape-ops';
import { kaimingUniform, normal, uniform } from '../init/init';
import { Module } from './module';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
}

export class Linear extends Module {
  readonly typeName = 'Linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(options: LinearOptions) {
    super();
    const o = readOptions('Linear', options, ['inFeatures', 'outFeatures', 'bias']);
    if (o.inFeatures === undefined || o.outFeatures === undefined) {
      throw new ArgumentError('Linear: inFeatures and outFeatures are required');
    }
    this.inFeatures = optionPositiveInt('Linear', 'inFeatures', o.inFeatures, 1);
    this.outFeatures = optionPositiveInt('Linear', 'outFeatures', o.outFeatures, 1);
    const hasBias = optionBoolean('Linear', 'bias', o.bias, true);
    this.weight = this.registerParameter(
      'weight',
      new Parameter(kaimingUniform([this.outFeatures, this.inFeatures])),
    )!;
    this.bias = this.registerParameter(
      'bias',
      hasBias ? new Parameter(uniform([this.outFeatures], 1 / Math.sqrt(this.inFeatures))) : null,
    );
  }

  forward(x: Input): Variable {
    return linear(x, this.weight, this.bias);
  }

  override toLayerSpec(): LinearSpec {
    return {
      type: 'Linear',
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
    };
  }
}

export class Identity extends Module {
  readonly typeName = 'Identity';
  forward(x: Input): Variable {
    return asVariable('Identity', 'input', x);
  }
  override toLayerSpec(): IdentitySpec {
    return { type: 'Identity' };
  }
}

export class Flatten extends Module {
  readonly typeName = 'Flatten';
  readonly startDim: number;
  readonly endDim: number;
  constructor(options?: { startDim?: number; endDim?: number }) {
    super();
    const o = readOptions('Flatten', options, ['startDim', 'endDim']);
    this.startDim = optionInteger('Flatten', 'startDim', o.startDim, 1);
    this.endDim = optionInteger('Flatten', 'endDim', o.endDim, -1);
  }
  forward(x: Input): Variable {
    return flatten(x, this.startDim, this.endDim);
  }
  override toLayerSpec(): FlattenSpec {
    return { type: 'Flatten', startDim: this.startDim, endDim: this.endDim };
  }
}

export class Dropout extends Module {
  readonly typeName = 'Dropout';
  readonly p: number;
  constructor(options?: { p?: number; inplace?: boolean }) {
    super();
    const o = readOptions('Dropout', options, ['p', 'inplace']);
    this.p = optionNumber('Dropout', 'p', o.p, 0.5, { min: 0, max: 1 });
    optionBoolean('Dropout', 'inplace', o.inplace, false);
  }
  forward(x: Input): Variable {
    return dropout(x, this.p, this.training);
  }
  override toLayerSpec(): DropoutSpec {
    return { type: 'Dropout', p: this.p };
  }
}

export interface UpsampleOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}

export class Upsample extends Module {
  readonly typeName = 'Upsample';
  readonly options: UpsampleOptions;
  constructor(options: UpsampleOptions) {
    super();
    const o = readOptions('Upsample', options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
    const mode = optionEnum('Upsample', 'mode', o.mode, ['nearest', 'bilinear'] as const, 'nearest');
    const alignCorners = optionBoolean('Upsample', 'alignCorners', o.alignCorners, undefined);
    if (alignCorners !== undefined && mode === 'nearest') {
      throw new ArgumentError("Upsample: alignCorners applies to mode 'bilinear' only");
    }
    if ((o.size === undefined) === (o.scaleFactor === undefined)) {
      throw new ArgumentError('Upsample: give exactly one of size and scaleFactor');
    }
    this.options = {
      ...(o.size !== undefined ? { size: o.size as number } : {}),
      ...(o.scaleFactor !== undefined ? { scaleFactor: o.scaleFactor as number } : {}),
      mode,
      alignCorners: alignCorners ?? false,
    };
  }
  forward(x: Input): Variable {
    return interpolate(x, this.options);
  }
  override toLayerSpec(): UpsampleSpec {
    return { type: 'Upsample', ...this.options };
  }
}

export class PixelShuffle extends Module {
  readonly typeName = 'PixelShuffle';
  readonly upscaleFactor: number;
  constructor(options: { upscaleFactor: number }) {
    super();
    const o = readOptions('PixelShuffle', options, ['upscaleFactor']);
    if (o.upscaleFactor === undefined) throw new ArgumentError('PixelShuffle: upscaleFactor is required');
    this.upscaleFactor = optionPositiveInt('PixelShuffle', 'upscaleFactor', o.upscaleFactor, 1);
  }
  forward(x: Input): Variable {
    return pixelShuffle(x, this.upscaleFactor);
  }
}

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
}

/** nn.Embedding: forward(ids) with ids a Tensor of integer ids; output [...ids.shape, embeddingDim]. */
export class Embedding extends Module {
  readonly typeName = 'Embedding';
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight: Parameter;
  constructor(options: EmbeddingOptions) {
    super();
    const o = readOptions('Embedding', options, ['numEmbeddings', 'embeddingDim']);
    if (o.numEmbeddings === undefined || o.embeddingDim === undefined) {
      throw new ArgumentError('Embedding: numEmbeddings and embeddingDim are required');
    }
    this.numEmbeddings = optionPositiveInt('Embedding', 'numEmbeddings', o.numEmbeddings, 1);
    this.embeddingDim = optionPositiveInt('Embedding', 'embeddingDim', o.embeddingDim, 1);
    this.weight = this.registerParameter(
      'weight',
      new Parameter(normal([this.numEmbeddings, this.embeddingDim])),
    )!;
  }
  forward(ids: Tensor): Variable {
    if (!isTensor(ids)) throw new ArgumentError('Embedding: ids must be a Tensor of integer ids');
    return embedding(ids, this.weight);
  }
}
