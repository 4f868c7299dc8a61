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
import { ArgumentError, formatShape, ShapeError, UnsupportedError } from './errors';

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

/** Expands a number or per-dim list to one positive integer per dim. */
function perDim(
  op: string,
  name: string,
  value: number | readonly number[] | undefined,
  dims: number,
  fallback: number,
  min: number,
): number[] {
  const list = value === undefined ? [fallback] : typeof value === 'number' ? [value] : [...value];
  if (list.length !== 1 && list.length !== dims) {
    throw new ArgumentError(
      `${op}: ${name} must be a number or ${dims === 1 ? '1 number' : `${dims} numbers`} (one per spatial dim), got ${formatShape(list)}`,
    );
  }
  for (const v of list) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      const what = min === 0 ? 'non-negative integers' : 'positive integers';
      throw new ArgumentError(
        `${op}: ${name} must be ${what}, got ${typeof value === 'number' ? value : formatShape(list)}`,
      );
    }
  }
  return list.length === dims ? list : new Array<number>(dims).fill(list[0]!);
}

/** Padding as written by the caller, for messages (JSON would print NaN as null). */
function formatPadding(padding: unknown): string {
  return Array.isArray(padding)
    ? `[${padding.map((p) => (Array.isArray(p) ? `[${p.join(', ')}]` : String(p))).join(', ')}]`
    : String(padding);
}

function isPairList(padding: Padding): padding is readonly (readonly [number, number])[] {
  return Array.isArray(padding) && padding.length > 0 && Array.isArray(padding[0]);
}

/** The geometry of one convolution (or transposed, deformable, pooling window) from sizes. */
export function convGeometry(args: ConvGeometryArgs): ConvGeometry {
  const transposed = args.transposed ?? false;
  if (!Array.isArray(args.inputSpatial)) {
    throw new ArgumentError(
      `${args.op ?? 'convGeometry'}: inputSpatial must be an array of spatial sizes (e.g. [H, W]), got ${typeof args.inputSpatial}`,
    );
  }
  const spatialIn = [...args.inputSpatial];
  const dimsCount = spatialIn.length;
  const op = args.op ?? `${transposed ? 'convTranspose' : 'conv'}${dimsCount}d`;
  if (dimsCount < 1 || dimsCount > 3) {
    throw new ShapeError(
      `${op}: convolution needs 1 to 3 spatial dims, got input spatial size ${formatShape(spatialIn)}`,
    );
  }
  const dims = dimsCount as 1 | 2 | 3;
  for (const s of spatialIn) {
    if (!Number.isInteger(s) || s < 1)
      throw new ShapeError(
        `${op}: input spatial sizes must be positive integers, got ${formatShape(spatialIn)}`,
      );
  }
  const batch = args.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 0)
    throw new ShapeError(`${op}: batch must be a non-negative integer, got ${batch}`);
  const { inChannels, outChannels } = args;
  if (!Number.isInteger(inChannels) || inChannels < 1)
    throw new ShapeError(`${op}: inChannels must be a positive integer, got ${inChannels}`);
  if (!Number.isInteger(outChannels) || outChannels < 1)
    throw new ShapeError(`${op}: outChannels must be a positive integer, got ${outChannels}`);

  const layout = args.layout ?? 'channels-first';
  if (!LAYOUTS.includes(layout))
    throw new ArgumentError(
      `${op}: layout must be 'channels-first' or 'channels-last', got '${String(layout)}'`,
    );
  const paddingMode = args.paddingMode ?? 'zeros';
  if (!PADDING_MODES.includes(paddingMode)) {
    throw new ArgumentError(
      `${op}: paddingMode must be one of ${PADDING_MODES.map((m) => `'${m}'`).join(', ')}, got '${String(paddingMode)}'`,
    );
  }
  if (transposed && paddingMode !== 'zeros') {
    throw new UnsupportedError(
      `${op}: paddingMode '${paddingMode}' is not defined for transposed convolution (as in PyTorch); only 'zeros'`,
    );
  }

  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`${op}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0)
    throw new ShapeError(`${op}: groups=${groups} must divide the ${inChannels} input channels`);
  if (outChannels % groups !== 0)
    throw new ShapeError(`${op}: groups=${groups} must divide the ${outChannels} output channels`);

  const kernelSize = perDim(op, 'kernelSize', args.kernelSize, dims, 1, 1);
  const stride = perDim(op, 'stride', args.stride, dims, 1, 1);
  const dilation = perDim(op, 'dilation', args.dilation, dims, 1, 1);
  const kernelExtent = kernelSize.map((k, i) => dilation[i]! * (k - 1) + 1);

  // Padding, resolved to [before, after] per dim.
  const padding = args.padding ?? 0;
  let padBefore: number[];
  let padAfter: number[];
  if (padding === 'valid') {
    padBefore = new Array<number>(dims).fill(0);
    padAfter = new Array<number>(dims).fill(0);
  } else if (padding === 'same') {
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
  } else if (typeof padding === 'string') {
    throw new ArgumentError(
      `${op}: padding must be a number, numbers per dim, [before, after] pairs, 'same' or 'valid', got '${padding}'`,
    );
  } else if (isPairList(padding)) {
    if (padding.length !== dims || padding.some((p) => !Array.isArray(p) || p.length !== 2)) {
      throw new ArgumentError(
        `${op}: padding must be ${dims === 1 ? '1 [before, after] pair' : `${dims} [before, after] pairs`} (one per spatial dim), got ${formatPadding(padding)}`,
      );
    }
    padBefore = padding.map((p) => p[0]);
    padAfter = padding.map((p) => p[1]);
    for (const v of [...padBefore, ...padAfter]) {
      if (!Number.isInteger(v) || v < 0)
        throw new ArgumentError(
          `${op}: padding must be non-negative integers, got ${formatPadding(padding)}`,
        );
    }
  } else {
    padBefore = perDim(op, 'padding', padding as number | readonly number[], dims, 0, 0);
    padAfter = [...padBefore];
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
  if (args.outputPadding !== undefined) {
    outputPadding = perDim(op, 'outputPadding', args.outputPadding, dims, 0, 0);
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

  const ceilMode = args.ceilMode ?? false;
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
    outputSpatial.push(out);
  }

  let offsetGroups = 0;
  if (args.offsetGroups !== undefined) {
    offsetGroups = args.offsetGroups;
    if (!Number.isInteger(offsetGroups) || offsetGroups < 1) {
      throw new ArgumentError(`${op}: offset groups must be a positive integer, got ${offsetGroups}`);
    }
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
export function convGeometryFromShapes(args: ConvGeometryFromShapesArgs): ConvGeometry {
  const { inputShape, weightShape } = args;
  const transposed = args.transposed ?? false;
  const layout = args.layout ?? 'channels-first';
  const kind = transposed ? 'convTranspose' : args.offsetShape ? 'deformConv' : 'conv';
  const weightRank = weightShape.length;
  const guessDims = weightRank - 2;
  const op = args.op ?? (guessDims >= 1 && guessDims <= 3 ? `${kind}${guessDims}d` : kind);
  const weightLayout = transposed ? 'C_in, C_out/groups' : 'C_out, C_in/groups';
  // Checked before the layout is used to find the channel axis (else a bad name reads as a channel mismatch).
  if (!LAYOUTS.includes(layout)) {
    throw new ArgumentError(
      `${op}: layout must be 'channels-first' or 'channels-last', got '${String(layout)}'`,
    );
  }
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
  for (const [name, shape] of [
    ['input', inputShape],
    ['weight', weightShape],
  ] as const) {
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`${op}: ${name} shape ${formatShape(shape)} must hold non-negative integers`);
    }
  }
  if (weightShape.some((d) => d === 0))
    throw new ShapeError(`${op}: weight ${formatShape(weightShape)} has a zero-sized dimension`);
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`${op}: groups must be a positive integer, got ${groups}`);
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
  if (args.offsetShape) {
    const kernelVolume = product(weightShape.slice(2));
    const offsetChannels = args.offsetShape[1] ?? 0;
    if (
      args.offsetShape.length !== weightRank ||
      offsetChannels === 0 ||
      offsetChannels % (2 * kernelVolume) !== 0
    ) {
      throw new ShapeError(
        `${op}: offset must be [N, 2 * offsetGroups * ${kernelVolume}, H_out, W_out] (a (dy, dx) pair per kernel tap), got ${formatShape(args.offsetShape)}`,
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
    stride: args.stride,
    padding: args.padding,
    dilation: args.dilation,
    groups,
    outputPadding: args.outputPadding,
    paddingMode: args.paddingMode,
    layout,
    ceilMode: args.ceilMode,
    offsetGroups,
  });
  if (args.offsetShape && geometry.offsetShape) {
    const expected = geometry.offsetShape;
    if (args.offsetShape.some((d, i) => d !== expected[i])) {
      throw new ShapeError(
        `${op}: offset has shape ${formatShape(args.offsetShape)} but the output is ${formatShape(geometry.outputShape)}, so it must be ${formatShape(expected)}`,
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
