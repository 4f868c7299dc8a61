/**
 * MaxPool1d/2d/3d, AvgPool1d/2d/3d and AdaptiveAvgPool1d/2d/3d with PyTorch's options and
 * defaults (stride = kernelSize, padding 0, ceilMode false, countIncludePad true).
 */
import type { AdaptivePoolSpec, AvgPoolSpec, MaxPoolSpec } from '@convkit/analysis';
import { ArgumentError, optionBoolean, optionInteger, optionIntList, readOptions } from '@convkit/tensor';
import type { Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { adaptiveAvgPool, avgPool, maxPool } from '../functional/pooling';
import { Module } from './module';

export interface MaxPoolOptions {
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
}

export interface AvgPoolOptions {
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

function lists(
  op: string,
  dims: number,
  o: { kernelSize?: unknown; stride?: unknown; padding?: unknown; dilation?: unknown },
) {
  if (o.kernelSize === undefined) throw new ArgumentError(`${op}: kernelSize is required`);
  const kernelSize = optionIntList(op, 'kernelSize', o.kernelSize, { length: dims, min: 1, fallback: [] });
  return {
    kernelSize,
    stride: optionIntList(op, 'stride', o.stride, { length: dims, min: 1, fallback: kernelSize }),
    padding: optionIntList(op, 'padding', o.padding, {
      length: dims,
      min: 0,
      fallback: new Array(dims).fill(0),
    }),
    dilation: optionIntList(op, 'dilation', o.dilation, {
      length: dims,
      min: 1,
      fallback: new Array(dims).fill(1),
    }),
  };
}

class MaxPoolNd extends Module {
  readonly typeName: string;
  readonly dims: 1 | 2 | 3;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly ceilMode: boolean;

  constructor(typeName: string, dims: 1 | 2 | 3, options: MaxPoolOptions) {
    super();
    this.typeName = typeName;
    this.dims = dims;
    const o = readOptions(typeName, options, [
      'kernelSize',
      'stride',
      'padding',
      'dilation',
      'ceilMode',
      'returnIndices',
    ]);
    if (o.returnIndices === true) throw new ArgumentError(`${typeName}: returnIndices is not supported`);
    const l = lists(typeName, dims, o);
    this.kernelSize = l.kernelSize;
    this.stride = l.stride;
    this.padding = l.padding;
    this.dilation = l.dilation;
    this.ceilMode = optionBoolean(typeName, 'ceilMode', o.ceilMode, false);
  }

  forward(x: Input): Variable {
    return maxPool(x, this.dims, this);
  }

  override toLayerSpec(): MaxPoolSpec {
    return {
      type: this.typeName as MaxPoolSpec['type'],
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
  }
}

export class MaxPool1d extends MaxPoolNd {
  constructor(options: MaxPoolOptions) {
    super('MaxPool1d', 1, options);
  }
}
export class MaxPool2d extends MaxPoolNd {
  constructor(options: MaxPoolOptions) {
    super('MaxPool2d', 2, options);
  }
}
export class MaxPool3d extends MaxPoolNd {
  constructor(options: MaxPoolOptions) {
    super('MaxPool3d', 3, options);
  }
}

class AvgPoolNd extends Module {
  readonly typeName: string;
  readonly dims: 1 | 2 | 3;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(typeName: string, dims: 1 | 2 | 3, options: AvgPoolOptions) {
    super();
    this.typeName = typeName;
    this.dims = dims;
    const o = readOptions(typeName, options, [
      'kernelSize',
      'stride',
      'padding',
      'ceilMode',
      'countIncludePad',
      'divisorOverride',
    ]);
    const l = lists(typeName, dims, o);
    this.kernelSize = l.kernelSize;
    this.stride = l.stride;
    this.padding = l.padding;
    this.ceilMode = optionBoolean(typeName, 'ceilMode', o.ceilMode, false);
    this.countIncludePad = optionBoolean(typeName, 'countIncludePad', o.countIncludePad, true);
    this.divisorOverride =
      optionInteger(typeName, 'divisorOverride', o.divisorOverride, undefined, { min: 1 }) ?? null;
  }

  forward(x: Input): Variable {
    return avgPool(x, this.dims, this);
  }

  override toLayerSpec(): AvgPoolSpec {
    return {
      type: this.typeName as AvgPoolSpec['type'],
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      ...(this.divisorOverride !== null ? { divisorOverride: this.divisorOverride } : {}),
    };
  }
}

export class AvgPool1d extends AvgPoolNd {
  constructor(options: AvgPoolOptions) {
    super('AvgPool1d', 1, options);
  }
}
export class AvgPool2d extends AvgPoolNd {
  constructor(options: AvgPoolOptions) {
    super('AvgPool2d', 2, options);
  }
}
export class AvgPool3d extends AvgPoolNd {
  constructor(options: AvgPoolOptions) {
    super('AvgPool3d', 3, options);
  }
}

export interface AdaptivePoolOptions {
  /** One size for every spatial dim, or one per dim (null keeps the input's size). */
  outputSize: number | readonly (number | null)[];
}

class AdaptiveAvgPoolNd extends Module {
  readonly typeName: string;
  readonly dims: 1 | 2 | 3;
  readonly outputSize: number | readonly (number | null)[];

  constructor(typeName: string, dims: 1 | 2 | 3, options: AdaptivePoolOptions) {
    super();
    this.typeName = typeName;
    this.dims = dims;
    const o = readOptions(typeName, options, ['outputSize']);
    const size = o.outputSize;
    const ok = (s: unknown) => s === null || (typeof s === 'number' && Number.isInteger(s) && s >= 1);
    if (
      !(typeof size === 'number' && ok(size)) &&
      !(Array.isArray(size) && size.length === dims && size.every(ok))
    ) {
      throw new ArgumentError(
        `${typeName}: outputSize must be a positive integer or ${dims} of them (null keeps a size), got ${JSON.stringify(size)}`,
      );
    }
    this.outputSize = size as number | (number | null)[];
  }

  forward(x: Input): Variable {
    return adaptiveAvgPool(x, this.dims, this.outputSize);
  }

  override toLayerSpec(): AdaptivePoolSpec {
    return { type: this.typeName as AdaptivePoolSpec['type'], outputSize: this.outputSize };
  }
}

export class AdaptiveAvgPool1d extends AdaptiveAvgPoolNd {
  constructor(options: AdaptivePoolOptions) {
    super('AdaptiveAvgPool1d', 1, options);
  }
}
export class AdaptiveAvgPool2d extends AdaptiveAvgPoolNd {
  constructor(options: AdaptivePoolOptions) {
    super('AdaptiveAvgPool2d', 2, options);
  }
}
export class AdaptiveAvgPool3d extends AdaptiveAvgPoolNd {
  constructor(options: AdaptivePoolOptions) {
    super('AdaptiveAvgPool3d', 3, options);
  }
}
