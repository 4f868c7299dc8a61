/**
 * convGeometry: every piece of convolution shape arithmetic in convkit, in one frozen object
 * (after tfjs `computeConv2DInfo`). Kernels, the im2col lowering, analysis and the GPU code
 * all start from it; nobody else computes an output size.
 *
 * Output size per spatial dim (Dumoulin & Visin, arXiv 1603.07285, relationship 15 and its
 * transpose, relationship 14 generalised; PyTorch's formulas):
 *   kernelExtent = dilation * (kernel - 1) + 1
 *   conv:       out = floor((in + padBefore + padAfter - kernelExtent) / stride) + 1
 *               (ceilMode, for pooling: ceil instead of floor, and the last window must start
 *               inside the input or left padding, as in PyTorch)
 *   transposed: out = (in - 1) * stride - padBefore - padAfter + kernelExtent + outputPadding
 * Padding 'same' is TensorFlow/ONNX SAME_UPPER for every stride: out = ceil(in / stride), the
 * total padding max((out - 1) * stride + kernelExtent - in, 0) split with the extra element
 * after. At stride 1 this equals PyTorch's padding='same'. 'valid' is zero padding.
 */
import { formatValue } from './describe-value';
import { ArgumentError, formatShape, ShapeError, UnsupportedError } from './errors';
import {
  isPlainObject,
  optionBoolean,
  optionEnum,
  optionIntList,
  optionPositiveInt,
  optionString,
  readOptions,
} from './read-options';

export type Layout = 'channels-first' | 'channels-last';
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
/** A number (all dims), one number per dim, one [before, after] pair per dim, 'same' or 'valid'. */
export type Padding = number | readonly number[] | readonly (readonly [number, number])[] | 'same' | 'valid';

export const LAYOUTS: readonly Layout[] = ['channels-first', 'channels-last'];
export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** The hyper-parameters shared by the geometry constructors. */
export interface ConvGeometryOptions {
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  /** Transposed convolution only: extra size added after the output, < max(stride, dilation). */
  outputPadding?: number | readonly number[];
  paddingMode?: PaddingMode;
  layout?: Layout;
  /** Pooling only: round the output size up (PyTorch ceil_mode). */
  ceilMode?: boolean;
}

export interface ConvGeometryArgs extends ConvGeometryOptions {
  /** Op name for error messages, e.g. 'conv2d'. Defaults from dims and kind. */
  op?: string;
  /** Transposed convolution (the gradient of convolution with respect to its input). */
  transposed?: boolean;
  batch?: number;
  inChannels: number;
  outChannels: number;
  /** Input sizes per spatial dim (D, H, W order; 1 to 3 entries). */
  inputSpatial: readonly number[];
  kernelSize: number | readonly number[];
  /** Deformable convolution: number of offset groups (sets offsetShape and maskShape). */
  offsetGroups?: number;
}

export interface ConvGeometry {
  readonly op: string;
  readonly transposed: boolean;
  /** Number of spatial dims: 1, 2 or 3. */
  readonly dims: 1 | 2 | 3;
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly inChannelsPerGroup: number;
  readonly outChannelsPerGroup: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  /** dilation * (kernel - 1) + 1: the span of input one kernel application covers. */
  readonly kernelExtent: readonly number[];
  readonly padBefore: readonly number[];
  readonly padAfter: readonly number[];
  readonly outputPadding: readonly number[];
  readonly paddingMode: PaddingMode;
  readonly layout: Layout;
  readonly ceilMode: boolean;
  readonly inputSpatial: readonly number[];
  readonly outputSpatial: readonly number[];
  /** prod(kernelSize), prod(inputSpatial), prod(outputSpatial). */
  readonly kernelVolume: number;
  readonly inputVolume: number;
  readonly outputVolume: number;
  /** Full shapes in the activation layout, and the weight in PyTorch's layout. */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly weightShape: readonly number[];
  /** Deformable convolution only: [N, 2*G*prod(k), ...out] and [N, G*prod(k), ...out]. */
  readonly offsetGroups: number;
  readonly offsetShape: readonly number[] | null;
  readonly maskShape: readonly number[] | null;
  /**
   * Multiply-accumulates per sample: conv C_out * prod(out) * C_in/groups * prod(k);
   * transposed C_in * prod(in) * C_out/groups * prod(k). FLOPs = 2 x MACs.
   */
  readonly macsPerSample: number;
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** The keys `convGeometry` reads from its arguments. */
export const CONV_GEOMETRY_ARG_KEYS: readonly (keyof ConvGeometryArgs)[] = [
  'op',
  'transposed',
  'batch',
  'inChannels',
  'outChannels',
  'inputSpatial',
  'kernelSize',
  'stride',
  'padding',
  'dilation',
  'groups',
  'outputPadding',
  'paddingMode',
  'layout',
  'ceilMode',
  'offsetGroups',
];

/** A list of sizes (a real Array of non-negative safe integers), or a ShapeError/ArgumentError. */
function readSizes(op: string, name: string, value: unknown, expected: string): number[] {
  if (!Array.isArray(value)) {
    throw new ArgumentError(`${op}: ${name} must be ${expected}, got ${formatValue(value)}`);
  }
  return [...value] as number[];
}

function isPairList(padding: unknown): padding is readonly unknown[][] {
  return Array.isArray(padding) && padding.length > 0 && Array.isArray(padding[0]);
}

/** Padding as [before, after] per dim, before 'same' is resolved (null for 'same'). */
function readPadding(
  op: string,
  value: unknown,
  dims: number,
): { before: number[]; after: number[] } | 'same' {
  const expected = `a non-negative integer, ${dims} of them (one per spatial dim), ${dims} [before, after] pairs, 'same' or 'valid'`;
  if (value === undefined || value === null || value === 'valid') {
    return { before: new Array<number>(dims).fill(0), after: new Array<number>(dims).fill(0) };
  }
  if (value === 'same') return 'same';
  const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (isPairList(value)) {
    const pairs = [...value];
    if (
      pairs.length !== dims ||
      pairs.some((p) => !Array.isArray(p) || p.length !== 2 || !isCount(p[0]) || !isCount(p[1]))
    ) {
      throw new ArgumentError(`${op}: padding must be ${expected}, got ${formatValue(value)}`);
    }
    return { before: pairs.map((p) => p[0] as number), after: pairs.map((p) => p[1] as number) };
  }
  const fits =
    isCount(value) ||
    (Array.isArray(value) && (value.length === 1 || value.length === dims) && value.every(isCount));
  if (!fits) throw new ArgumentError(`${op}: padding must be ${expected}, got ${formatValue(value)}`);
  const before = optionIntList(op, 'padding', value, { length: dims, min: 0, fallback: [] });
  return { before, after: [...before] };
}

/** The arguments object is required (it holds required sizes): null is not "no arguments" here. */
function requireArguments(op: string, args: unknown): void {
  if (args === undefined || args === null) {
    throw new ArgumentError(`${op}: arguments must be a plain object ({ key: value }), got ${String(args)}`);
  }
}

/** The geometry of one convolution (or transposed, deformable, pooling window) from sizes. */
export function convGeometry(args: ConvGeometryArgs): ConvGeometry {
  requireArguments('convGeometry', args);
  const opArg = isPlainObject(args) ? args.op : undefined;
  const a = readOptions(
    typeof opArg === 'string' ? opArg : 'convGeometry',
    args,
    CONV_GEOMETRY_ARG_KEYS,
    'arguments',
  );
  const transposed = optionBoolean('convGeometry', 'transposed', a.transposed, false);
  const spatialIn = readSizes(
    optionString('convGeometry', 'op', a.op, 'convGeometry'),
    'inputSpatial',
    a.inputSpatial,
    'an array of spatial sizes (e.g. [H, W])',
  );
  const dimsCount = spatialIn.length;
  const op = optionString(
    'convGeometry',
    'op',
    a.op,
    `${transposed ? 'convTranspose' : 'conv'}${dimsCount}d`,
  );
  if (dimsCount < 1 || dimsCount > 3) {
    throw new ShapeError(
      `${op}: convolution needs 1 to 3 spatial dims, got input spatial size ${formatValue(spatialIn)}`,
    );
  }
  const dims = dimsCount as 1 | 2 | 3;
  for (const s of spatialIn) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1)
      throw new ShapeError(
        `${op}: input spatial sizes must be positive integers, got ${formatValue(spatialIn)}`,
      );
  }
  const batch = a.batch ?? 1;
  if (typeof batch !== 'number' || !Number.isSafeInteger(batch) || batch < 0)
    throw new ShapeError(`${op}: batch must be a non-negative integer, got ${formatValue(batch)}`);
  const { inChannels, outChannels } = a;
  if (typeof inChannels !== 'number' || !Number.isSafeInteger(inChannels) || inChannels < 1)
    throw new ShapeError(`${op}: inChannels must be a positive integer, got ${formatValue(inChannels)}`);
  if (typeof outChannels !== 'number' || !Number.isSafeInteger(outChannels) || outChannels < 1)
    throw new ShapeError(`${op}: outChannels must be a positive integer, got ${formatValue(outChannels)}`);

  const layout = optionEnum(op, 'layout', a.layout, LAYOUTS, 'channels-first');
  const paddingMode = optionEnum(op, 'paddingMode', a.paddingMode, PADDING_MODES, 'zeros');
  if (transposed && paddingMode !== 'zeros') {
    throw new UnsupportedError(
      `${op}: paddingMode '${paddingMode}' is not defined for transposed convolution (as in PyTorch); only 'zeros'`,
    );
  }

  const groups = optionPositiveInt(op, 'groups', a.groups, 1);
  if (inChannels % groups !== 0)
    throw new ShapeError(`${op}: groups=${groups} must divide the ${inChannels} input channels`);
  if (outChannels % groups !== 0)
    throw new ShapeError(`${op}: groups=${groups} must divide the ${outChannels} output channels`);

  const one = new Array<number>(dims).fill(1);
  const kernelSize = optionIntList(op, 'kernelSize', a.kernelSize, { length: dims, min: 1, fallback: one });
  const stride = optionIntList(op, 'stride', a.stride, { length: dims, min: 1, fallback: one });
  const dilation = optionIntList(op, 'dilation', a.dilation, { length: dims, min: 1, fallback: one });
  const kernelExtent = kernelSize.map((k, i) => dilation[i]! * (k - 1) + 1);
  if (kernelExtent.some((e) => !Number.isSafeInteger(e))) {
    throw new ArgumentError(
      `${op}: dilation * (kernelSize - 1) + 1 must be a safe integer, got kernelSize ${formatValue(kernelSize)} and dilation ${formatValue(dilation)}`,
    );
  }

  // Padding, resolved to [before, after] per dim.
  const padding = readPadding(op, a.padding, dims);
  let padBefore: number[];
  let padAfter: number[];
  if (padding === 'same') {
    if (transposed) {
      throw new UnsupportedError(
        `${op}: padding 'same' is not supported for transposed convolution; give numbers (out = (in - 1) * stride - padBefore - padAfter + dilation * (k - 1) + 1 + outputPadding)`,
      );
    }
    padBefore = [];
    padAfter = [];
    for (let d = 0; d < dims; d++) {
      const out = Math.ceil(spatialIn[d]! / stride[d]!);
      const total = Math.max((out - 1) * stride[d]! + kernelExtent[d]! - spatialIn[d]!, 0);
      padBefore.push(Math.floor(total / 2));
      padAfter.push(total - Math.floor(total / 2));
    }
  } else {
    padBefore = padding.before;
    padAfter = padding.after;
  }

  // Padding modes read real input values into the border, so the border must exist.
  if (paddingMode === 'reflect' || paddingMode === 'circular') {
    for (let d = 0; d < dims; d++) {
      const widest = Math.max(padBefore[d]!, padAfter[d]!);
      const limit = paddingMode === 'reflect' ? spatialIn[d]! - 1 : spatialIn[d]!;
      if (widest > limit) {
        throw new ArgumentError(
          `${op}: paddingMode '${paddingMode}' needs padding ${paddingMode === 'reflect' ? '<' : '<='} the input size, but spatial dim ${d} has size ${spatialIn[d]} and padding ${widest}`,
        );
      }
    }
  }

  // Output padding: transposed convolution only.
  let outputPadding = new Array<number>(dims).fill(0);
  if (a.outputPadding !== undefined) {
    outputPadding = optionIntList(op, 'outputPadding', a.outputPadding, {
      length: dims,
      min: 0,
      fallback: outputPadding,
    });
    if (!transposed && outputPadding.some((v) => v !== 0)) {
      throw new ArgumentError(`${op}: outputPadding applies to transposed convolution only`);
    }
    for (let d = 0; d < dims; d++) {
      const limit = Math.max(stride[d]!, dilation[d]!);
      if (outputPadding[d]! >= limit) {
        throw new ArgumentError(
          `${op}: outputPadding ${outputPadding[d]} in spatial dim ${d} must be smaller than max(stride, dilation) = ${limit}`,
        );
      }
    }
  }

  const ceilMode = optionBoolean(op, 'ceilMode', a.ceilMode, false);
  const outputSpatial: number[] = [];
  for (let d = 0; d < dims; d++) {
    const inSize = spatialIn[d]!;
    let out: number;
    if (transposed) {
      out = (inSize - 1) * stride[d]! - padBefore[d]! - padAfter[d]! + kernelExtent[d]! + outputPadding[d]!;
      if (out < 1) {
        throw new ShapeError(
          `${op}: output would be empty in spatial dim ${d}: (${inSize} - 1) * stride ${stride[d]} - padding ${padBefore[d]}+${padAfter[d]} + kernel extent ${kernelExtent[d]} + outputPadding ${outputPadding[d]} = ${out}`,
        );
      }
    } else {
      const padded = inSize + padBefore[d]! + padAfter[d]!;
      if (padded < kernelExtent[d]!) {
        throw new ShapeError(
          `${op}: output would be empty in spatial dim ${d}: padded input ${padded} (size ${inSize} + padding ${padBefore[d]}+${padAfter[d]}) is smaller than the kernel extent ${kernelExtent[d]} (kernel ${kernelSize[d]}, dilation ${dilation[d]})`,
        );
      }
      const span = padded - kernelExtent[d]!;
      if (ceilMode) {
        out = Math.ceil(span / stride[d]!) + 1;
        // PyTorch: the last window must start inside the input or the left padding.
        if ((out - 1) * stride[d]! >= inSize + padBefore[d]!) out--;
      } else {
        out = Math.floor(span / stride[d]!) + 1;
      }
    }
    if (!Number.isSafeInteger(out)) {
      throw new ShapeError(
        `${op}: output size in spatial dim ${d} must be a safe integer, got ${out}; the sizes are too large to compute exactly`,
      );
    }
    outputSpatial.push(out);
  }

  let offsetGroups = 0;
  if (a.offsetGroups !== undefined) {
    offsetGroups = optionPositiveInt(op, 'offset groups', a.offsetGroups, 1);
    if (inChannels % offsetGroups !== 0) {
      throw new ShapeError(
        `${op}: ${offsetGroups} offset groups must divide the ${inChannels} input channels`,
      );
    }
  }

  const channelsAt = (channels: number, spatial: readonly number[]) =>
    layout === 'channels-first' ? [batch, channels, ...spatial] : [batch, ...spatial, channels];
  const kernelVolume = product(kernelSize);
  const inputVolume = product(spatialIn);
  const outputVolume = product(outputSpatial);
  const weightShape = transposed
    ? [inChannels, outChannels / groups, ...kernelSize]
    : [outChannels, inChannels / groups, ...kernelSize];
  const macsPerSample = transposed
    ? inChannels * inputVolume * (outChannels / groups) * kernelVolume
    : outChannels * outputVolume * (inChannels / groups) * kernelVolume;

  // Element counts must be exact (they size buffers): refuse sizes past 2^53.
  for (const [what, count] of [
    ['input', batch * inChannels * inputVolume],
    ['output', batch * outChannels * outputVolume],
    ['weight', product(weightShape)],
  ] as const) {
    if (!Number.isSafeInteger(count)) {
      throw new ShapeError(
        `${op}: the ${what} element count must be a safe integer (below 2^53), got ${count}; the sizes are too large to count exactly`,
      );
    }
  }

  const freezeList = (v: readonly number[]) => Object.freeze([...v]);
  return Object.freeze({
    op,
    transposed,
    dims,
    batch,
    inChannels,
    outChannels,
    groups,
    inChannelsPerGroup: inChannels / groups,
    outChannelsPerGroup: outChannels / groups,
    kernelSize: freezeList(kernelSize),
    stride: freezeList(stride),
    dilation: freezeList(dilation),
    kernelExtent: freezeList(kernelExtent),
    padBefore: freezeList(padBefore),
    padAfter: freezeList(padAfter),
    outputPadding: freezeList(outputPadding),
    paddingMode,
    layout,
    ceilMode,
    inputSpatial: freezeList(spatialIn),
    outputSpatial: freezeList(outputSpatial),
    kernelVolume,
    inputVolume,
    outputVolume,
    inputShape: freezeList(channelsAt(inChannels, spatialIn)),
    outputShape: freezeList(channelsAt(outChannels, outputSpatial)),
    weightShape: freezeList(weightShape),
    offsetGroups,
    offsetShape: offsetGroups ? freezeList([batch, 2 * offsetGroups * kernelVolume, ...outputSpatial]) : null,
    maskShape: offsetGroups ? freezeList([batch, offsetGroups * kernelVolume, ...outputSpatial]) : null,
    macsPerSample,
  });
}

export interface ConvGeometryFromShapesArgs extends ConvGeometryOptions {
  op?: string;
  transposed?: boolean;
  /** The input's shape in `layout`: [N, C, ...spatial] or [N, ...spatial, C]. */
  inputShape: readonly number[];
  /** The weight's shape: [C_out, C_in/groups, ...k], or [C_in, C_out/groups, ...k] when transposed. */
  weightShape: readonly number[];
  /** Deformable convolution: the offset's shape, whose channel count sets the offset groups. */
  offsetShape?: readonly number[];
}

const SPATIAL_NAMES: Record<number, string> = { 1: 'L', 2: 'H, W', 3: 'D, H, W' };

/**
 * The geometry of a convolution from its tensors' shapes, with the checks an op makes on
 * them: ranks, channel counts against the weight and groups, and the offset's channels.
 */
/** The keys `convGeometryFromShapes` reads from its arguments. */
export const CONV_GEOMETRY_FROM_SHAPES_ARG_KEYS: readonly (keyof ConvGeometryFromShapesArgs)[] = [
  'op',
  'transposed',
  'inputShape',
  'weightShape',
  'offsetShape',
  'stride',
  'padding',
  'dilation',
  'groups',
  'outputPadding',
  'paddingMode',
  'layout',
  'ceilMode',
];

function readShape(op: string, name: string, value: unknown): number[] {
  if (!Array.isArray(value)) {
    throw new ArgumentError(`${op}: ${name} must be an array of sizes, got ${formatValue(value)}`);
  }
  const shape = [...value] as unknown[];
  if (shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: ${name} ${formatValue(shape)} must hold non-negative integers`);
  }
  return shape as number[];
}

export function convGeometryFromShapes(args: ConvGeometryFromShapesArgs): ConvGeometry {
  requireArguments('convGeometryFromShapes', args);
  const opArg = isPlainObject(args) ? args.op : undefined;
  const a = readOptions(
    typeof opArg === 'string' ? opArg : 'convGeometryFromShapes',
    args,
    CONV_GEOMETRY_FROM_SHAPES_ARG_KEYS,
    'arguments',
  );
  const transposed = optionBoolean('convGeometryFromShapes', 'transposed', a.transposed, false);
  const hasOffset = a.offsetShape !== undefined;
  const kind = transposed ? 'convTranspose' : hasOffset ? 'deformConv' : 'conv';
  const rawWeight = a.weightShape;
  const guessDims = Array.isArray(rawWeight) ? rawWeight.length - 2 : 0;
  const op = optionString(
    'convGeometryFromShapes',
    'op',
    a.op,
    guessDims >= 1 && guessDims <= 3 ? `${kind}${guessDims}d` : kind,
  );
  const inputShape = readShape(op, 'input shape', a.inputShape);
  const weightShape = readShape(op, 'weight shape', a.weightShape);
  const offsetShape = hasOffset ? readShape(op, 'offset shape', a.offsetShape) : undefined;
  // Checked before the layout is used to find the channel axis (else a bad name reads as a channel mismatch).
  const layout = optionEnum(op, 'layout', a.layout, LAYOUTS, 'channels-first');
  const weightRank = weightShape.length;
  const weightLayout = transposed ? 'C_in, C_out/groups' : 'C_out, C_in/groups';
  if (weightRank < 3 || weightRank > 5) {
    throw new ShapeError(
      `${op}: weight must have rank 3, 4 or 5 ([${weightLayout}, ...kernel]), got shape ${formatShape(weightShape)}`,
    );
  }
  const dims = weightRank - 2;
  if (inputShape.length !== weightRank) {
    const expected =
      layout === 'channels-first' ? `[N, C, ${SPATIAL_NAMES[dims]}]` : `[N, ${SPATIAL_NAMES[dims]}, C]`;
    const hint = inputShape.length === weightRank - 1 ? '; add a batch dimension with unsqueeze(0)' : '';
    throw new ShapeError(
      `${op}: input must have rank ${weightRank} (${expected}) to match weight ${formatShape(weightShape)}, got shape ${formatShape(inputShape)}${hint}`,
    );
  }
  if (weightShape.some((d) => d === 0))
    throw new ShapeError(`${op}: weight ${formatShape(weightShape)} has a zero-sized dimension`);
  const groups = optionPositiveInt(op, 'groups', a.groups, 1);
  const batch = inputShape[0]!;
  const channels = layout === 'channels-first' ? inputShape[1]! : inputShape[weightRank - 1]!;
  const spatial = layout === 'channels-first' ? inputShape.slice(2) : inputShape.slice(1, weightRank - 1);
  let inChannels: number;
  let outChannels: number;
  if (transposed) {
    if (channels !== weightShape[0]) {
      throw new ShapeError(
        `${op}: input has ${channels} channels but weight ${formatShape(weightShape)} expects ${weightShape[0]} (weight is [${weightLayout}, ...kernel])`,
      );
    }
    inChannels = channels;
    outChannels = weightShape[1]! * groups;
    if (inChannels % groups !== 0)
      throw new ShapeError(`${op}: groups=${groups} must divide the ${inChannels} input channels`);
  } else {
    if (channels % groups !== 0)
      throw new ShapeError(`${op}: groups=${groups} must divide the ${channels} input channels`);
    if (channels / groups !== weightShape[1]) {
      throw new ShapeError(
        `${op}: input has ${channels} channels but weight ${formatShape(weightShape)} with groups=${groups} expects ${weightShape[1]! * groups}`,
      );
    }
    inChannels = channels;
    outChannels = weightShape[0]!;
  }
  if (spatial.some((s) => s === 0))
    throw new ShapeError(`${op}: input ${formatShape(inputShape)} has a zero-sized spatial dimension`);

  let offsetGroups: number | undefined;
  if (offsetShape) {
    const kernelVolume = product(weightShape.slice(2));
    const offsetChannels = offsetShape[1] ?? 0;
    if (
      offsetShape.length !== weightRank ||
      offsetChannels === 0 ||
      offsetChannels % (2 * kernelVolume) !== 0
    ) {
      throw new ShapeError(
        `${op}: offset must be [N, 2 * offsetGroups * ${kernelVolume}, H_out, W_out] (a (dy, dx) pair per kernel tap), got ${formatShape(offsetShape)}`,
      );
    }
    offsetGroups = offsetChannels / (2 * kernelVolume);
  }

  const geometry = convGeometry({
    op,
    transposed,
    batch,
    inChannels,
    outChannels,
    inputSpatial: spatial,
    kernelSize: weightShape.slice(2),
    stride: a.stride as ConvGeometryArgs['stride'],
    padding: a.padding as ConvGeometryArgs['padding'],
    dilation: a.dilation as ConvGeometryArgs['dilation'],
    groups,
    outputPadding: a.outputPadding as ConvGeometryArgs['outputPadding'],
    paddingMode: a.paddingMode as ConvGeometryArgs['paddingMode'],
    layout,
    ceilMode: a.ceilMode as ConvGeometryArgs['ceilMode'],
    offsetGroups,
  });
  if (offsetShape && geometry.offsetShape) {
    const expected = geometry.offsetShape;
    if (offsetShape.some((d, i) => d !== expected[i])) {
      throw new ShapeError(
        `${op}: offset has shape ${formatShape(offsetShape)} but the output is ${formatShape(geometry.outputShape)}, so it must be ${formatShape(expected)}`,
      );
    }
  }
  return geometry;
}

/**
 * The convolution a transposed convolution is the adjoint of, in the form its im2col lowering
 * needs: a (non-transposed) geometry whose input is the transposed convolution's output and
 * whose output is exactly its input, so that
 *   convTranspose(x) = col2im_adjoint(W^T x)          (the C^T route)
 *   gradInput of convTranspose = W im2col(gradOutput)
 * with im2col/col2im of the returned geometry. Channels swap (inChannels = the transposed
 * convolution's outChannels), kernel, stride, dilation, groups, padBefore, batch and layout
 * stay. outputPadding is what breaks the plain swap: its positions at the end of the output
 * may lie beyond the last one any tap reaches, (in - 1) * stride - padBefore + dilation *
 * (k - 1), and then a convolution over the whole output would have one output too many. So,
 * per dim, the input is cropped to end at that last reached position and padAfter shrinks by
 * what outputPadding added:
 *   inputSpatial = out - max(0, outputPadding - padAfter)
 *   padAfter'    = max(0, padAfter - outputPadding)
 * which gives inputSpatial + padBefore + padAfter' - kernelExtent = (in - 1) * stride, hence an
 * output of exactly `in`. The cropped positions are reached by no tap (the output there is the
 * bias alone), so a lowering that reads or writes the transposed convolution's full output
 * buffer with its own strides treats them correctly. Returns null when a dim's crop leaves
 * nothing (padBefore past every tap: the whole output is bias).
 */
export function adjointConvGeometry(transposedGeometry: ConvGeometry): ConvGeometry | null {
  const t = transposedGeometry;
  if (
    typeof t !== 'object' ||
    t === null ||
    !Array.isArray(t.outputSpatial) ||
    !Array.isArray(t.outputPadding) ||
    !Array.isArray(t.padAfter)
  ) {
    throw new ArgumentError(
      `adjointConvGeometry: expected a transposed convolution's geometry (from convGeometry), got ${formatValue(t)}`,
    );
  }
  if (!t.transposed) {
    throw new ArgumentError(
      `adjointConvGeometry: expected a transposed convolution's geometry, got ${t.op}'s (not transposed)`,
    );
  }
  const inputSpatial = t.outputSpatial.map(
    (out, d) => out - Math.max(0, t.outputPadding[d]! - t.padAfter[d]!),
  );
  if (inputSpatial.some((size) => size < 1)) return null;
  const geometry = convGeometry({
    op: t.op,
    batch: t.batch,
    inChannels: t.outChannels,
    outChannels: t.inChannels,
    groups: t.groups,
    inputSpatial,
    kernelSize: t.kernelSize,
    stride: t.stride,
    dilation: t.dilation,
    padding: t.padBefore.map(
      (before, d) => [before, Math.max(0, t.padAfter[d]! - t.outputPadding[d]!)] as [number, number],
    ),
    layout: t.layout,
  });
  // The derivation above guarantees this; a failure here is a bug in it, not a user error.
  if (geometry.outputSpatial.some((size, d) => size !== t.inputSpatial[d])) {
    throw new Error(
      `adjointConvGeometry: internal error, ${formatShape(geometry.outputSpatial)} != ${formatShape(t.inputSpatial)}`,
    );
  }
  return geometry;
}
