/**
 * The bench suite: named convolution configs in PyTorch terms (weights [C_out, C_in/groups,
 * ...k], transposed [C_in, C_out/groups, ...k]), each with tiny sizes of the same kind for
 * the smoke mode. The shapes that follow from them come from `convGeometry`, nowhere else.
 */

/** Which op a config runs: forward conv, transposed conv, deformable conv, or conv's backward pass. */
export type BenchOp = 'conv' | 'convTranspose' | 'deformConv' | 'convBackward';

export const BENCH_OPS: readonly BenchOp[] = ['conv', 'convTranspose', 'deformConv', 'convBackward'];

/** The sizes and hyper-parameters of one convolution (symmetric padding, as PyTorch's `padding=`). */
export interface ConvSizes {
  batch: number;
  inChannels: number;
  outChannels: number;
  /** D, H, W order; 1 to 3 entries. */
  inputSpatial: readonly number[];
  kernelSize: number;
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
  /** Transposed convolution only. */
  outputPadding?: number;
}

export interface BenchConfig extends ConvSizes {
  /** Short name used by --filter and in tables: 'c3x3'. */
  id: string;
  op: BenchOp;
  /** Where this shape comes from, one line. */
  about: string;
  /** Overrides for --smoke: tiny sizes of the same kind (same op, kernel, stride, dilation). */
  smoke: Partial<ConvSizes>;
}

/** The suite, in the order the tables list it. */
export const BENCH_CONFIGS: readonly BenchConfig[] = Object.freeze([
  {
    id: 'c3x3',
    op: 'conv',
    about: 'ResNet-18/34 stage-1 3x3 conv',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 1,
    smoke: { inChannels: 4, outChannels: 4, inputSpatial: [6, 6] },
  },
  {
    id: 'stem7x7',
    op: 'conv',
    about: 'ResNet stem: 7x7 stride-2 conv on an RGB image',
    batch: 1,
    inChannels: 3,
    outChannels: 64,
    inputSpatial: [224, 224],
    kernelSize: 7,
    stride: 2,
    padding: 3,
    smoke: { outChannels: 4, inputSpatial: [12, 12] },
  },
  {
    id: 'pw1x1',
    op: 'conv',
    about: 'pointwise 1x1 conv raising the channel count',
    batch: 1,
    inChannels: 128,
    outChannels: 256,
    inputSpatial: [28, 28],
    kernelSize: 1,
    smoke: { inChannels: 4, outChannels: 6, inputSpatial: [5, 5] },
  },
  {
    id: 'dw3x3',
    op: 'conv',
    about: 'MobileNet depthwise 3x3 conv (groups = channels)',
    batch: 1,
    inChannels: 256,
    outChannels: 256,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 256,
    smoke: { inChannels: 4, outChannels: 4, groups: 4, inputSpatial: [6, 6] },
  },
  {
    id: 'grp3x3',
    op: 'conv',
    about: 'ResNeXt-style grouped 3x3 conv, 8 groups',
    batch: 1,
    inChannels: 128,
    outChannels: 128,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 8,
    smoke: { inChannels: 8, outChannels: 8, groups: 2, inputSpatial: [6, 6] },
  },
  {
    id: 'dil3x3',
    op: 'conv',
    about: 'DeepLab-style atrous 3x3 conv, rate 2',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 2,
    dilation: 2,
    smoke: { inChannels: 4, outChannels: 4, inputSpatial: [7, 7] },
  },
  {
    id: 'tconv4x4',
    op: 'convTranspose',
    about: 'DCGAN/U-Net 2x learned upsampling (transposed conv)',
    batch: 1,
    inChannels: 64,
    outChannels: 32,
    inputSpatial: [28, 28],
    kernelSize: 4,
    stride: 2,
    padding: 1,
    smoke: { inChannels: 4, outChannels: 3, inputSpatial: [5, 5] },
  },
  {
    id: 'conv1d',
    op: 'conv',
    about: 'text/audio 1-D conv over 1024 steps, batch 8',
    batch: 8,
    inChannels: 256,
    outChannels: 256,
    inputSpatial: [1024],
    kernelSize: 3,
    padding: 1,
    smoke: { batch: 2, inChannels: 4, outChannels: 5, inputSpatial: [16] },
  },
  {
    id: 'conv3d',
    op: 'conv',
    about: 'video/volume 3x3x3 conv on 16 frames',
    batch: 1,
    inChannels: 16,
    outChannels: 32,
    inputSpatial: [16, 56, 56],
    kernelSize: 3,
    padding: 1,
    smoke: { inChannels: 2, outChannels: 3, inputSpatial: [4, 5, 5] },
  },
  {
    id: 'deform3x3',
    op: 'deformConv',
    about: 'DCN v2 deformable 3x3 conv, random offsets and mask',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 1,
    smoke: { inChannels: 4, outChannels: 4, inputSpatial: [6, 6] },
  },
  {
    id: 'c3x3-bwd',
    op: 'convBackward',
    about: 'backward pass of c3x3 (gradInput and gradWeight)',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 1,
    smoke: { inChannels: 4, outChannels: 4, inputSpatial: [6, 6] },
  },
] satisfies BenchConfig[]);

/** The sizes a config runs at: its own, or its smoke overrides. */
export function configSizes(config: BenchConfig, smoke: boolean): ConvSizes {
  const { id: _id, op: _op, about: _about, smoke: overrides, ...sizes } = config;
  return smoke ? { ...sizes, ...overrides } : sizes;
}

/** 'N1 C64 56x56 -> 64 k3 p1', the notation of the issue that asked for the suite. */
export function describeSizes(op: BenchOp, sizes: ConvSizes): string {
  const spatial =
    sizes.inputSpatial.length === 1 ? `L${sizes.inputSpatial[0]}` : sizes.inputSpatial.join('x');
  const parts = [
    `N${sizes.batch} C${sizes.inChannels} ${spatial} -> ${sizes.outChannels} k${sizes.kernelSize}`,
  ];
  if ((sizes.stride ?? 1) !== 1) parts.push(`s${sizes.stride}`);
  if ((sizes.padding ?? 0) !== 0) parts.push(`p${sizes.padding}`);
  if ((sizes.dilation ?? 1) !== 1) parts.push(`d${sizes.dilation}`);
  if ((sizes.groups ?? 1) !== 1) parts.push(`g${sizes.groups}`);
  if ((sizes.outputPadding ?? 0) !== 0) parts.push(`op${sizes.outputPadding}`);
  const suffix = {
    conv: '',
    convTranspose: ' (transposed)',
    deformConv: ' (deformable)',
    convBackward: ' (backward)',
  }[op];
  return parts.join(' ') + suffix;
}

/** The PyTorch module that runs this config: 'Conv2d(64, 64, kernel_size=3, padding=1)'. */
export function pytorchModule(op: BenchOp, sizes: ConvSizes): string {
  const dims = sizes.inputSpatial.length;
  const name =
    op === 'convTranspose'
      ? `ConvTranspose${dims}d`
      : op === 'deformConv'
        ? 'torchvision.ops.DeformConv2d'
        : `Conv${dims}d`;
  const args = [`${sizes.inChannels}`, `${sizes.outChannels}`, `kernel_size=${sizes.kernelSize}`];
  if ((sizes.stride ?? 1) !== 1) args.push(`stride=${sizes.stride}`);
  if ((sizes.padding ?? 0) !== 0) args.push(`padding=${sizes.padding}`);
  if ((sizes.outputPadding ?? 0) !== 0) args.push(`output_padding=${sizes.outputPadding}`);
  if ((sizes.dilation ?? 1) !== 1) args.push(`dilation=${sizes.dilation}`);
  if ((sizes.groups ?? 1) !== 1) args.push(`groups=${sizes.groups}`);
  args.push('bias=False');
  const call = `${name}(${args.join(', ')})`;
  return op === 'convBackward' ? `${call}, backward (grad_input, grad_weight)` : call;
}
