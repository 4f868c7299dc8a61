/**
 * Conv1d/2d/3d and ConvTranspose1d/2d/3d, after torch.nn.modules.conv: one base holds the
 * options, the parameters (weight [C_out, C_in/groups, ...k], transposed [C_in,
 * C_out/groups, ...k]; bias [C_out]) and PyTorch's reset_parameters (kaiming_uniform with
 * a = sqrt(5), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))); the classes pick the rank and the op.
 * ConvTranspose's forward takes PyTorch's `outputSize` and turns it into outputPadding.
 */
import type { ConvSpec, ConvTransposeSpec } from '@convkit/analysis';
import {
  ArgumentError,
  convGeometry,
  formatShape,
  optionBoolean,
  optionEnum,
  optionIntList,
  optionPositiveInt,
  PADDING_MODES,
  type Padding,
  type PaddingMode,
  readOptions,
  ShapeError,
} from '@convkit/tensor';
import { Parameter } from '../autograd/parameter';
import { asVariable, type Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { conv, convTranspose } from '../functional/convolution';
import { fanIn, kaimingUniform, uniform } from '../init/init';
import { Module } from './module';

export interface ConvOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  /** A number, one per dim, [before, after] pairs, 'same' or 'valid' (0). */
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export interface ConvTransposeOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  outputPadding?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | readonly number[];
  paddingMode?: 'zeros';
}

const CONV_KEYS = [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  'padding',
  'dilation',
  'groups',
  'bias',
  'paddingMode',
] as const;
const CONV_TRANSPOSE_KEYS = [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  'padding',
  'outputPadding',
  'groups',
  'bias',
  'dilation',
  'paddingMode',
] as const;

/** The parts shared by every convolution module. */
export abstract class ConvBase extends Module {
  readonly dims: 1 | 2 | 3;
  readonly transposed: boolean;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: Padding;
  readonly dilation: number[];
  readonly groups: number;
  readonly outputPadding: number[];
  readonly paddingMode: PaddingMode;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(typeName: string, dims: 1 | 2 | 3, transposed: boolean, options: unknown) {
    super();
    const o = readOptions(typeName, options, transposed ? CONV_TRANSPOSE_KEYS : CONV_KEYS);
    const d = { length: dims, min: 1, fallback: new Array<number>(dims).fill(1) };
    this.dims = dims;
    this.transposed = transposed;
    this.inChannels = optionPositiveInt(typeName, 'inChannels', o.inChannels, undefined) as number;
    this.outChannels = optionPositiveInt(typeName, 'outChannels', o.outChannels, undefined) as number;
    if (this.inChannels === undefined || this.outChannels === undefined || o.kernelSize === undefined) {
      throw new ArgumentError(`${typeName}: inChannels, outChannels and kernelSize are required`);
    }
    this.kernelSize = optionIntList(typeName, 'kernelSize', o.kernelSize, { ...d, fallback: [] });
    this.stride = optionIntList(typeName, 'stride', o.stride, d);
    this.dilation = optionIntList(typeName, 'dilation', o.dilation, d);
    this.groups = optionPositiveInt(typeName, 'groups', o.groups, 1);
    this.outputPadding = optionIntList(
      typeName,
      'outputPadding',
      (o as { outputPadding?: unknown }).outputPadding,
      {
        length: dims,
        min: 0,
        fallback: new Array<number>(dims).fill(0),
      },
    );
    this.paddingMode = optionEnum(
      typeName,
      'paddingMode',
      o.paddingMode,
      transposed ? ['zeros'] : PADDING_MODES,
      'zeros',
    );
    this.padding = (o.padding ?? 0) as Padding;
    const hasBias = optionBoolean(typeName, 'bias', o.bias, true);
    convGeometry({
      op: typeName,
      transposed,
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      // A probe input large enough for any padding: checks groups, padding form and sizes now.
      inputSpatial: this.kernelSize.map((k, i) => this.dilation[i]! * (k - 1) + 1 + this.stride[i]! * 2 + 64),
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      outputPadding: transposed ? this.outputPadding : undefined,
    });
    const weightShape = transposed
      ? [this.inChannels, this.outChannels / this.groups, ...this.kernelSize]
      : [this.outChannels, this.inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', new Parameter(kaimingUniform(weightShape)))!;
    this.bias = this.registerParameter(
      'bias',
      hasBias ? new Parameter(uniform([this.outChannels], 1 / Math.sqrt(fanIn(weightShape)))) : null,
    );
  }

  protected checkInput(x: Variable): void {
    const rank = this.dims + 2;
    if (x.shape.length !== rank || x.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `${this.typeName}: input must be [N, ${this.inChannels}, ${['L', 'H, W', 'D, H, W'][this.dims - 1]}], got ${formatShape(x.shape)}`,
      );
    }
  }

  protected specFields() {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.bias !== null,
    };
  }
}

class ConvNd extends ConvBase {
  readonly typeName: string;

  constructor(typeName: string, dims: 1 | 2 | 3, options: ConvOptions) {
    super(typeName, dims, false, options);
    this.typeName = typeName;
  }

  forward(x: Input): Variable {
    const v = asVariable(this.typeName, 'input', x);
    this.checkInput(v);
    return conv(v, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      paddingMode: this.paddingMode,
    });
  }

  override toLayerSpec(): ConvSpec {
    return {
      type: this.typeName as ConvSpec['type'],
      ...this.specFields(),
      padding: this.padding,
      paddingMode: this.paddingMode,
    };
  }
}

export class Conv1d extends ConvNd {
  constructor(options: ConvOptions) {
    super('Conv1d', 1, options);
  }
}

export class Conv2d extends ConvNd {
  constructor(options: ConvOptions) {
    super('Conv2d', 2, options);
  }
}

export class Conv3d extends ConvNd {
  constructor(options: ConvOptions) {
    super('Conv3d', 3, options);
  }
}

class ConvTransposeNd extends ConvBase {
  readonly typeName: string;

  constructor(typeName: string, dims: 1 | 2 | 3, options: ConvTransposeOptions) {
    super(typeName, dims, true, options);
    this.typeName = typeName;
  }

  /**
   * `outputSize` (the spatial sizes, or the full output shape) picks among the sizes the
   * stride makes possible, as PyTorch's forward(input, output_size): outputPadding is the
   * difference to the smallest.
   */
  forward(x: Input, outputSize?: readonly number[] | null): Variable {
    const v = asVariable(this.typeName, 'input', x);
    this.checkInput(v);
    let outputPadding = this.outputPadding;
    if (outputSize !== undefined && outputSize !== null) {
      const requested = optionIntList(this.typeName, 'outputSize', outputSize.slice(-this.dims), {
        length: this.dims,
        min: 1,
        fallback: [],
      });
      if (outputSize.length !== this.dims && outputSize.length !== this.dims + 2) {
        throw new ArgumentError(
          `${this.typeName}: outputSize must hold ${this.dims} spatial sizes or the full output shape, got ${formatShape(outputSize)}`,
        );
      }
      const smallest = convGeometry({
        op: this.typeName,
        transposed: true,
        inChannels: this.inChannels,
        outChannels: this.outChannels,
        inputSpatial: v.shape.slice(2),
        kernelSize: this.kernelSize,
        stride: this.stride,
        padding: this.padding as number | number[],
        dilation: this.dilation,
        groups: this.groups,
      }).outputSpatial;
      outputPadding = requested.map((r, d) => r - smallest[d]!);
      if (outputPadding.some((p, d) => p < 0 || p >= Math.max(this.stride[d]!, this.dilation[d]!))) {
        const largest = smallest.map((s, d) => s + Math.max(this.stride[d]!, this.dilation[d]!) - 1);
        throw new ArgumentError(
          `${this.typeName}: requested outputSize ${formatShape(requested)} is not between ${formatShape(smallest)} and ${formatShape(largest)}`,
        );
      }
    }
    return convTranspose(v, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding as number | number[],
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override toLayerSpec(): ConvTransposeSpec {
    return {
      type: this.typeName as ConvTransposeSpec['type'],
      ...this.specFields(),
      padding: this.padding,
      outputPadding: this.outputPadding,
    };
  }
}

export class ConvTranspose1d extends ConvTransposeNd {
  constructor(options: ConvTransposeOptions) {
    super('ConvTranspose1d', 1, options);
  }
}

export class ConvTranspose2d extends ConvTransposeNd {
  constructor(options: ConvTransposeOptions) {
    super('ConvTranspose2d', 2, options);
  }
}

export class ConvTranspose3d extends ConvTransposeNd {
  constructor(options: ConvTransposeOptions) {
    super('ConvTranspose3d', 3, options);
  }
}
