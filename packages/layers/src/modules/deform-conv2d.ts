/**
 * DeformConv2d, as torchvision.ops.DeformConv2d: weight [C_out, C_in/groups, kh, kw] and
 * bias, initialised like Conv2d; forward(input, offset, mask?) with the offsets (and the DCN
 * v2 mask) given as inputs, usually predicted by a regular Conv2d beside it.
 */
import type { DeformConv2dSpec } from '@convkit/analysis';
import {
  ArgumentError,
  formatShape,
  optionBoolean,
  optionIntList,
  optionPositiveInt,
  type Padding,
  readOptions,
  ShapeError,
} from '@convkit/tensor';
import { Parameter } from '../autograd/parameter';
import { asVariable, type Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { deformConv } from '../functional/convolution';
import { fanIn, kaimingUniform, uniform } from '../init/init';
import { Module } from './module';

export interface DeformConv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
}

const KEYS = [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  'padding',
  'dilation',
  'groups',
  'bias',
] as const;

export class DeformConv2d extends Module {
  readonly typeName = 'DeformConv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: Padding;
  readonly dilation: number[];
  readonly groups: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(options: DeformConv2dOptions) {
    super();
    const op = 'DeformConv2d';
    const o = readOptions(op, options, KEYS);
    if (o.inChannels === undefined || o.outChannels === undefined || o.kernelSize === undefined) {
      throw new ArgumentError(`${op}: inChannels, outChannels and kernelSize are required`);
    }
    const two = { length: 2, min: 1, fallback: [1, 1] };
    this.inChannels = optionPositiveInt(op, 'inChannels', o.inChannels, 1);
    this.outChannels = optionPositiveInt(op, 'outChannels', o.outChannels, 1);
    this.kernelSize = optionIntList(op, 'kernelSize', o.kernelSize, two);
    this.stride = optionIntList(op, 'stride', o.stride, two);
    this.dilation = optionIntList(op, 'dilation', o.dilation, two);
    this.groups = optionPositiveInt(op, 'groups', o.groups, 1);
    this.padding = (o.padding ?? 0) as Padding;
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new ShapeError(
        `${op}: groups=${this.groups} must divide inChannels ${this.inChannels} and outChannels ${this.outChannels}`,
      );
    }
    const weightShape = [this.outChannels, this.inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', new Parameter(kaimingUniform(weightShape)))!;
    const hasBias = optionBoolean(op, 'bias', o.bias, true);
    this.bias = this.registerParameter(
      'bias',
      hasBias ? new Parameter(uniform([this.outChannels], 1 / Math.sqrt(fanIn(weightShape)))) : null,
    );
  }

  forward(x: Input, offset: Input, mask: Input | null = null): Variable {
    const v = asVariable(this.typeName, 'input', x);
    if (v.shape.length !== 4 || v.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `DeformConv2d: input must be [N, ${this.inChannels}, H, W], got ${formatShape(v.shape)}`,
      );
    }
    return deformConv(v, this.weight, offset, mask, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override toLayerSpec(): DeformConv2dSpec {
    return {
      type: 'DeformConv2d',
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.bias !== null,
      offsetConv: false,
    };
  }
}
