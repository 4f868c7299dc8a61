/**
 * Building blocks, with the child names of the PyTorch code people load weights from:
 * - SeparableConv2d: a depthwise conv (groups = inChannels) named `depthwise`, then a 1x1
 *   conv named `pointwise` (MobileNet v1, Howard et al. 2017; Keras' SeparableConv2D).
 * - BasicBlock: torchvision's ResNet block (He et al. 2016): conv1-bn1-relu-conv2-bn2, plus
 *   the input or `downsample` (1x1 conv + BN) when the stride or width changes, then ReLU.
 * - InvertedResidual: torchvision's MobileNetV2 block (Sandler et al. 2018) under `conv`:
 *   [1x1 expand conv-BN-ReLU6 when expandRatio != 1], 3x3 depthwise conv-BN-ReLU6, 1x1
 *   project conv, BN; the input is added when stride is 1 and the widths agree.
 */
import type { LayerSpec, SeparableConvSpec } from '@convkit/analysis';
import {
  ArgumentError,
  optionBoolean,
  optionIntList,
  optionPositiveInt,
  type Padding,
  readOptions,
} from '@convkit/tensor';
import type { Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { relu } from '../functional/activations';
import { add } from '../functional/arithmetic';
import { ReLU6 } from './activations';
import { Sequential } from './containers';
import { Conv2d } from './conv';
import { Module } from './module';
import { BatchNorm2d } from './normalization';

export interface SeparableConv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  /** Depthwise outputs per input channel (1). */
  depthMultiplier?: number;
  /** The pointwise conv's bias (true). */
  bias?: boolean;
  /** The depthwise conv's bias (false). */
  depthwiseBias?: boolean;
}

export class SeparableConv2d extends Module {
  readonly typeName = 'SeparableConv2d';
  readonly depthwise: Conv2d;
  readonly pointwise: Conv2d;

  constructor(options: SeparableConv2dOptions) {
    super();
    const op = 'SeparableConv2d';
    const o = readOptions(op, options, [
      'inChannels',
      'outChannels',
      'kernelSize',
      'stride',
      'padding',
      'dilation',
      'depthMultiplier',
      'bias',
      'depthwiseBias',
    ]);
    if (o.inChannels === undefined || o.outChannels === undefined || o.kernelSize === undefined) {
      throw new ArgumentError(`${op}: inChannels, outChannels and kernelSize are required`);
    }
    const inChannels = optionPositiveInt(op, 'inChannels', o.inChannels, 1);
    const multiplier = optionPositiveInt(op, 'depthMultiplier', o.depthMultiplier, 1);
    this.depthwise = this.registerModule(
      'depthwise',
      new Conv2d({
        inChannels,
        outChannels: inChannels * multiplier,
        kernelSize: optionIntList(op, 'kernelSize', o.kernelSize, { length: 2, min: 1, fallback: [] }),
        stride: o.stride as number,
        padding: o.padding as Padding,
        dilation: o.dilation as number,
        groups: inChannels,
        bias: optionBoolean(op, 'depthwiseBias', o.depthwiseBias, false),
      }),
    );
    this.pointwise = this.registerModule(
      'pointwise',
      new Conv2d({
        inChannels: inChannels * multiplier,
        outChannels: optionPositiveInt(op, 'outChannels', o.outChannels, 1),
        kernelSize: 1,
        bias: optionBoolean(op, 'bias', o.bias, true),
      }),
    );
  }

  forward(x: Input): Variable {
    return this.pointwise.forward(this.depthwise.forward(x));
  }

  override toLayerSpec(): SeparableConvSpec {
    const d = this.depthwise;
    return {
      type: 'SeparableConv2d',
      inChannels: d.inChannels,
      outChannels: this.pointwise.outChannels,
      kernelSize: d.kernelSize,
      stride: d.stride,
      padding: d.padding,
      dilation: d.dilation,
      depthMultiplier: d.outChannels / d.inChannels,
      bias: this.pointwise.bias !== null,
      depthwiseBias: d.bias !== null,
    };
  }
}

export interface BasicBlockOptions {
  inChannels: number;
  outChannels: number;
  stride?: number;
  /** Groups of the 3x3 convs (1; ResNeXt-style blocks use more). */
  groups?: number;
  /** Dilation of the 3x3 convs (1). */
  dilation?: number;
}

export class BasicBlock extends Module {
  readonly typeName = 'BasicBlock';
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(options: BasicBlockOptions) {
    super();
    const op = 'BasicBlock';
    const o = readOptions(op, options, ['inChannels', 'outChannels', 'stride', 'groups', 'dilation']);
    if (o.inChannels === undefined || o.outChannels === undefined) {
      throw new ArgumentError(`${op}: inChannels and outChannels are required`);
    }
    const inChannels = optionPositiveInt(op, 'inChannels', o.inChannels, 1);
    const outChannels = optionPositiveInt(op, 'outChannels', o.outChannels, 1);
    const stride = optionPositiveInt(op, 'stride', o.stride, 1);
    const groups = optionPositiveInt(op, 'groups', o.groups, 1);
    const dilation = optionPositiveInt(op, 'dilation', o.dilation, 1);
    const conv3 = (cin: number, s: number) =>
      new Conv2d({
        inChannels: cin,
        outChannels,
        kernelSize: 3,
        stride: s,
        padding: dilation,
        dilation,
        groups,
        bias: false,
      });
    this.conv1 = this.registerModule('conv1', conv3(inChannels, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: outChannels }));
    this.conv2 = this.registerModule('conv2', conv3(outChannels, 1));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: outChannels }));
    this.downsample = this.registerModule(
      'downsample',
      stride !== 1 || inChannels !== outChannels
        ? new Sequential(
            new Conv2d({ inChannels, outChannels, kernelSize: 1, stride, bias: false }),
            new BatchNorm2d({ numFeatures: outChannels }),
          )
        : null,
    );
  }

  forward(x: Input): Variable {
    const body = this.bn2.forward(this.conv2.forward(relu(this.bn1.forward(this.conv1.forward(x)))));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return relu(add(body, identity));
  }

  /** The residual as analysis writes it (the ReLU after the sum has no parameters or MACs). */
  override toLayerSpec(): LayerSpec {
    return {
      type: 'Residual',
      bodyName: '',
      shortcutName: 'downsample',
      body: [
        { ...this.conv1.toLayerSpec(), name: 'conv1' },
        { ...this.bn1.toLayerSpec(), name: 'bn1' },
        { type: 'ReLU', name: 'relu' },
        { ...this.conv2.toLayerSpec(), name: 'conv2' },
        { ...this.bn2.toLayerSpec(), name: 'bn2' },
      ],
      shortcut: this.downsample ? this.downsample.toLayerSpecs() : [],
    };
  }
}

export interface InvertedResidualOptions {
  inChannels: number;
  outChannels: number;
  stride: 1 | 2;
  expandRatio: number;
}

export class InvertedResidual extends Module {
  readonly typeName = 'InvertedResidual';
  readonly conv: Sequential;
  readonly useResConnect: boolean;

  constructor(options: InvertedResidualOptions) {
    super();
    const op = 'InvertedResidual';
    const o = readOptions(op, options, ['inChannels', 'outChannels', 'stride', 'expandRatio']);
    if (o.inChannels === undefined || o.outChannels === undefined) {
      throw new ArgumentError(`${op}: inChannels and outChannels are required`);
    }
    const inChannels = optionPositiveInt(op, 'inChannels', o.inChannels, 1);
    const outChannels = optionPositiveInt(op, 'outChannels', o.outChannels, 1);
    const stride = optionPositiveInt(op, 'stride', o.stride, 1);
    if (stride !== 1 && stride !== 2) throw new ArgumentError(`${op}: stride must be 1 or 2, got ${stride}`);
    const ratio = o.expandRatio ?? 6;
    if (typeof ratio !== 'number' || !(ratio > 0)) {
      throw new ArgumentError(`${op}: expandRatio must be a positive number, got ${String(ratio)}`);
    }
    const hidden = Math.round(inChannels * ratio);
    this.useResConnect = stride === 1 && inChannels === outChannels;
    const convBnAct = (cin: number, cout: number, k: number, s: number, groups: number) =>
      new Sequential(
        new Conv2d({
          inChannels: cin,
          outChannels: cout,
          kernelSize: k,
          stride: s,
          padding: (k - 1) / 2,
          groups,
          bias: false,
        }),
        new BatchNorm2d({ numFeatures: cout }),
        new ReLU6(),
      );
    const layers: Module[] = [];
    if (ratio !== 1) layers.push(convBnAct(inChannels, hidden, 1, 1, 1));
    layers.push(convBnAct(hidden, hidden, 3, stride, hidden));
    layers.push(new Conv2d({ inChannels: hidden, outChannels, kernelSize: 1, bias: false }));
    layers.push(new BatchNorm2d({ numFeatures: outChannels }));
    this.conv = this.registerModule('conv', new Sequential(...layers));
  }

  forward(x: Input): Variable {
    const y = this.conv.forward(x);
    return this.useResConnect ? add(x, y) : y;
  }

  override toLayerSpec(): LayerSpec {
    const body = this.conv.toLayerSpecs();
    return this.useResConnect
      ? { type: 'Residual', body, bodyName: 'conv' }
      : { type: 'Sequential', layers: [{ type: 'Sequential', name: 'conv', layers: body }] };
  }
}
