/**
 * The 12 models of tooling/goldens/gen_layers.py, written with @convkit/layers: the same
 * layers, in the same order, with the same child names, so that the PyTorch state dicts
 * saved beside the fixtures load with strict key checking. Models whose forward PyTorch
 * writes by hand (ResNeXt block, U-Net decoder, DCN v2 block, text CNN, autoencoder) are
 * small Module subclasses here, as they would be in a user's code.
 */
import type { Tensor } from '@convkit/tensor';
import {
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AvgPool1d,
  AvgPool2d,
  add,
  BasicBlock,
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose2d,
  cat,
  DeformConv2d,
  Embedding,
  Flatten,
  flatten,
  GELU,
  GroupNorm,
  type Input,
  InvertedResidual,
  LayerNorm,
  LeakyReLU,
  Linear,
  logSoftmax,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  Module,
  ModuleList,
  maxPool,
  PixelShuffle,
  permute,
  ReLU,
  ReLU6,
  relu,
  SeparableConv2d,
  Sequential,
  Sigmoid,
  SiLU,
  sigmoid,
  split,
  Tanh,
  Upsample,
  type Variable,
} from '../src/index';

class ResNeXtBlock extends Module {
  readonly typeName = 'ResNeXtBlock';
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  conv3: Conv2d;
  bn3: BatchNorm2d;
  constructor(channels: number, width: number, groups: number) {
    super();
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d({ inChannels: channels, outChannels: width, kernelSize: 1, bias: false }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: width }));
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d({ inChannels: width, outChannels: width, kernelSize: 3, padding: 1, groups, bias: false }),
    );
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: width }));
    this.conv3 = this.registerModule(
      'conv3',
      new Conv2d({ inChannels: width, outChannels: channels, kernelSize: 1, bias: false }),
    );
    this.bn3 = this.registerModule('bn3', new BatchNorm2d({ numFeatures: channels }));
  }
  forward(x: Input): Variable {
    let y = relu(this.bn1.forward(this.conv1.forward(x)));
    y = relu(this.bn2.forward(this.conv2.forward(y)));
    return relu(add(this.bn3.forward(this.conv3.forward(y)), x));
  }
}

class UNetDecoder extends Module {
  readonly typeName = 'UNetDecoder';
  up1 = this.registerModule(
    'up1',
    new ConvTranspose2d({ inChannels: 8, outChannels: 4, kernelSize: 2, stride: 2 }),
  );
  block = this.registerModule(
    'block',
    new Sequential(
      new Conv2d({ inChannels: 8, outChannels: 4, kernelSize: 3, padding: 1, bias: false }),
      new BatchNorm2d({ numFeatures: 4 }),
      new ReLU(),
    ),
  );
  up2 = this.registerModule(
    'up2',
    new ConvTranspose2d({ inChannels: 4, outChannels: 3, kernelSize: 3, stride: 2, padding: 1 }),
  );
  smooth = this.registerModule(
    'smooth',
    new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false }),
  );
  head = this.registerModule('head', new Conv2d({ inChannels: 3, outChannels: 1, kernelSize: 1 }));
  forward(x: Input, skip: Input): Variable {
    const y = this.block.forward(cat([this.up1.forward(x), skip], 1));
    return this.head.forward(this.smooth.forward(this.up2.forward(y, [16, 16])));
  }
}

class DCNv2Block extends Module {
  readonly typeName = 'DCNv2Block';
  offset = this.registerModule(
    'offset',
    new Conv2d({ inChannels: 4, outChannels: 27, kernelSize: 3, padding: 1 }),
  );
  dcn = this.registerModule(
    'dcn',
    new DeformConv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 1, bias: false }),
  );
  bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: 8 }));
  forward(x: Input): Variable {
    const [offset, mask] = split(this.offset.forward(x), [18, 9], 1) as [Variable, Variable];
    return relu(this.bn.forward(this.dcn.forward(x, offset, sigmoid(mask))));
  }
}

class TextCNN extends Module {
  readonly typeName = 'TextCNN';
  embedding = this.registerModule('embedding', new Embedding({ numEmbeddings: 20, embeddingDim: 8 }));
  convs = this.registerModule(
    'convs',
    new ModuleList([
      new Conv1d({ inChannels: 8, outChannels: 6, kernelSize: 3 }),
      new Conv1d({ inChannels: 8, outChannels: 6, kernelSize: 5 }),
    ]),
  );
  norm = this.registerModule('norm', new LayerNorm({ normalizedShape: 12 }));
  fc = this.registerModule('fc', new Linear({ inFeatures: 12, outFeatures: 4 }));
  forward(ids: Tensor): Variable {
    const x = permute(this.embedding.forward(ids), [0, 2, 1]);
    const length = x.shape[2]!;
    const pooled = (this.convs.children() as Conv1d[]).map((c) =>
      flatten(maxPool(relu(c.forward(x)), 1, { kernelSize: length - c.kernelSize[0]! + 1 }), 1),
    );
    return logSoftmax(this.fc.forward(this.norm.forward(cat(pooled, 1))), 1);
  }
}

class AutoEncoder extends Module {
  readonly typeName = 'AutoEncoder';
  encoder = this.registerModule(
    'encoder',
    new Sequential(
      new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }),
      new ReLU(),
      new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }),
      new Tanh(),
    ),
  );
  decoder = this.registerModule(
    'decoder',
    new Sequential(
      new ConvTranspose2d({
        inChannels: 8,
        outChannels: 4,
        kernelSize: 3,
        stride: 2,
        padding: 1,
        outputPadding: 1,
      }),
      new ReLU6(),
      new Upsample({ scaleFactor: 2, mode: 'nearest' }),
      new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1 }),
      new AvgPool2d({ kernelSize: 2 }),
      new PixelShuffle({ upscaleFactor: 2 }),
      new Sigmoid(),
    ),
  );
  forward(x: Input): Variable {
    return this.decoder.forward(this.encoder.forward(x));
  }
}

/** The plain CNN (also what the convkit-saved checkpoint holds). */
export function plainCnn(): Sequential {
  return new Sequential(
    new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, bias: false }),
    new BatchNorm2d({ numFeatures: 8 }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Conv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1, bias: false }),
    new BatchNorm2d({ numFeatures: 16 }),
    new ReLU(),
    new AdaptiveAvgPool2d({ outputSize: 1 }),
    new Flatten(),
    new Linear({ inFeatures: 16, outFeatures: 10 }),
  );
}

export const GOLDEN_MODELS: Record<string, () => Module> = {
  'plain-cnn': plainCnn,
  'resnet-basic-block': () =>
    new Sequential(
      new BasicBlock({ inChannels: 8, outChannels: 16, stride: 2 }),
      new BasicBlock({ inChannels: 16, outChannels: 16 }),
    ),
  'mobilenet-v1': () =>
    new Sequential(
      new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 1, bias: false }),
      new BatchNorm2d({ numFeatures: 8 }),
      new ReLU(),
      new Conv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, groups: 8, bias: false }),
      new BatchNorm2d({ numFeatures: 8 }),
      new ReLU(),
      new Conv2d({ inChannels: 8, outChannels: 16, kernelSize: 1, bias: false }),
      new BatchNorm2d({ numFeatures: 16 }),
      new ReLU(),
      new SeparableConv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, stride: 2, padding: 1 }),
      new ReLU(),
      new AdaptiveAvgPool2d({ outputSize: 1 }),
      new Flatten(),
      new Linear({ inFeatures: 16, outFeatures: 5 }),
    ),
  'mobilenet-v2': () =>
    new Sequential(
      new InvertedResidual({ inChannels: 8, outChannels: 8, stride: 1, expandRatio: 6 }),
      new InvertedResidual({ inChannels: 8, outChannels: 12, stride: 2, expandRatio: 1 }),
      new InvertedResidual({ inChannels: 12, outChannels: 12, stride: 1, expandRatio: 4 }),
    ),
  'resnext-block': () => new Sequential(new ResNeXtBlock(16, 16, 4)),
  'dilated-context': () =>
    new Sequential(
      new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 1, dilation: 1 }),
      new ReLU(),
      new Conv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 2, dilation: 2 }),
      new ReLU(),
      new Conv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 5, dilation: 5 }),
      new ReLU(),
      new Conv2d({ inChannels: 8, outChannels: 4, kernelSize: 1 }),
    ),
  'temporal-cnn': () =>
    new Sequential(
      new Conv1d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 1 }),
      new GroupNorm({ numGroups: 2, numChannels: 8 }),
      new GELU(),
      new Conv1d({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 2, dilation: 2, bias: false }),
      new BatchNorm1d({ numFeatures: 8 }),
      new SiLU(),
      new Conv1d({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 4, dilation: 4 }),
      new ReLU(),
      new AvgPool1d({ kernelSize: 2 }),
      new MaxPool1d({ kernelSize: 2 }),
      new Flatten(),
      new Linear({ inFeatures: 32, outFeatures: 3 }),
    ),
  'conv3d-block': () =>
    new Sequential(
      new Conv3d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, bias: false }),
      new BatchNorm3d({ numFeatures: 4 }),
      new ReLU(),
      new MaxPool3d({ kernelSize: 2 }),
      new Conv3d({ inChannels: 4, outChannels: 6, kernelSize: [1, 3, 3], padding: [0, 1, 1] }),
      new LeakyReLU({ negativeSlope: 0.1 }),
      new AdaptiveAvgPool3d({ outputSize: 1 }),
      new Flatten(),
      new Linear({ inFeatures: 6, outFeatures: 3 }),
    ),
  'unet-decoder': () => new UNetDecoder(),
  'dcn-v2-block': () => new DCNv2Block(),
  'text-cnn': () => new TextCNN(),
  autoencoder: () => new AutoEncoder(),
};
