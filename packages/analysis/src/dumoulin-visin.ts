/**
 * The 15 numbered relationships of Dumoulin & Visin, "A guide to convolution arithmetic for
 * deep learning" (arXiv 1603.07285), one function each, named after the paper's section, plus
 * the table DUMOULIN_VISIN_RELATIONSHIPS with each relationship's formula and worked example.
 * Sizes are along one axis (the paper's square case; axes do not interact). Every function
 * computes through convGeometry, so these are checks of the one shape arithmetic convkit has.
 *
 * Notation: i input size, k kernel size, s stride, p zero padding, d dilation, o output size;
 * for transposed convolutions the primed quantities: the transposed convolution of a direct
 * convolution (i, k, s, p) takes i' (= the direct convolution's o) and gives o' (= i when the
 * direct convolution used all of its input). The `a` of relationship 14 is PyTorch's
 * outputPadding.
 */
import { ArgumentError, convGeometry, readOptions } from '@convkit/tensor';

export interface DirectArgs {
  /** i */
  inputSize: number;
  /** k */
  kernelSize: number;
}
export interface PaddedArgs extends DirectArgs {
  /** p (both sides) */
  padding: number;
}
export interface StridedArgs extends DirectArgs {
  /** s */
  stride: number;
}
export interface PaddedStridedArgs extends PaddedArgs {
  stride: number;
}
export interface TransposedRemainderArgs extends PaddedStridedArgs {
  /** a = (i + 2p - k) mod s: the zeros added to the bottom and right edges, in {0, ..., s - 1}. */
  a: number;
}
export interface DilatedArgs extends DirectArgs {
  /** d */
  dilation: number;
  stride?: number;
  padding?: number;
}

const DIRECTARGS_KEYS: readonly (keyof DirectArgs)[] = ['inputSize', 'kernelSize'];
const PADDEDARGS_KEYS: readonly (keyof PaddedArgs)[] = ['inputSize', 'kernelSize', 'padding'];
const STRIDEDARGS_KEYS: readonly (keyof StridedArgs)[] = ['inputSize', 'kernelSize', 'stride'];
const PADDEDSTRIDEDARGS_KEYS: readonly (keyof PaddedStridedArgs)[] = [
  'inputSize',
  'kernelSize',
  'padding',
  'stride',
];
const TRANSPOSEDREMAINDERARGS_KEYS: readonly (keyof TransposedRemainderArgs)[] = [
  'inputSize',
  'kernelSize',
  'padding',
  'stride',
  'a',
];
const DILATEDARGS_KEYS: readonly (keyof DilatedArgs)[] = [
  'inputSize',
  'kernelSize',
  'dilation',
  'stride',
  'padding',
];

/**
 * The arguments object of a relationship, read once (own keys only, unknown ones refused,
 * null meaning "not given"); each value is then checked by convGeometry.
 */
function readArgs<T>(op: string, args: T, keys: readonly (keyof T & string)[]): T {
  if (args === undefined || args === null) {
    throw new ArgumentError(
      `${op}: its argument must be an object with ${keys.join(', ')}, got ${String(args)}`,
    );
  }
  return readOptions(op, args, keys, 'arguments') as T;
}

function direct(what: string, i: number, k: number, s = 1, p = 0, d = 1): number {
  return convGeometry({
    op: what,
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [i],
    kernelSize: k,
    stride: s,
    padding: p,
    dilation: d,
  }).outputSpatial[0]!;
}

function transposed(what: string, i: number, k: number, s = 1, p = 0, a = 0): number {
  if (!Number.isInteger(a) || a < 0 || a >= s) {
    throw new ArgumentError(
      `${what}: a must be an integer in {0, ..., s - 1} = {0, ..., ${s - 1}}, got ${a}`,
    );
  }
  return convGeometry({
    op: what,
    transposed: true,
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [i],
    kernelSize: k,
    stride: s,
    padding: p,
    outputPadding: a,
  }).outputSpatial[0]!;
}

function oddKernel(what: string, k: number): void {
  if (!Number.isInteger(k) || k % 2 !== 1) {
    throw new ArgumentError(`${what}: half padding needs an odd kernel size (k = 2n + 1), got ${k}`);
  }
}

/** Relationship 1 (2.1 No zero padding, unit strides): s = 1, p = 0: o = (i - k) + 1. */
export function noPaddingUnitStrides(args: DirectArgs): number {
  const { inputSize, kernelSize } = readArgs('noPaddingUnitStrides', args, DIRECTARGS_KEYS);
  return direct('relationship 1 (no zero padding, unit strides)', inputSize, kernelSize);
}

/** Relationship 2 (2.2 Zero padding, unit strides): s = 1: o = (i - k) + 2p + 1. */
export function zeroPaddingUnitStrides(args: PaddedArgs): number {
  const { inputSize, kernelSize, padding } = readArgs('zeroPaddingUnitStrides', args, PADDEDARGS_KEYS);
  return direct('relationship 2 (zero padding, unit strides)', inputSize, kernelSize, 1, padding);
}

/** Relationship 3 (2.2.1 Half (same) padding): k = 2n + 1, s = 1, p = floor(k / 2) = n: o = i. */
export function halfPadding(args: DirectArgs): number {
  const { inputSize, kernelSize } = readArgs('halfPadding', args, DIRECTARGS_KEYS);
  const what = 'relationship 3 (half padding)';
  oddKernel(what, kernelSize);
  return direct(what, inputSize, kernelSize, 1, Math.floor(kernelSize / 2));
}

/** Relationship 4 (2.2.2 Full padding): p = k - 1, s = 1: o = i + (k - 1). */
export function fullPadding(args: DirectArgs): number {
  const { inputSize, kernelSize } = readArgs('fullPadding', args, DIRECTARGS_KEYS);
  return direct('relationship 4 (full padding)', inputSize, kernelSize, 1, kernelSize - 1);
}

/** Relationship 5 (2.3 No zero padding, non-unit strides): p = 0: o = floor((i - k) / s) + 1. */
export function noPaddingNonUnitStrides(args: StridedArgs): number {
  const { inputSize, kernelSize, stride } = readArgs('noPaddingNonUnitStrides', args, STRIDEDARGS_KEYS);
  return direct('relationship 5 (no zero padding, non-unit strides)', inputSize, kernelSize, stride);
}

/** Relationship 6 (2.4 Zero padding, non-unit strides): o = floor((i + 2p - k) / s) + 1. */
export function zeroPaddingNonUnitStrides(args: PaddedStridedArgs): number {
  const { inputSize, kernelSize, stride, padding } = readArgs(
    'zeroPaddingNonUnitStrides',
    args,
    PADDEDSTRIDEDARGS_KEYS,
  );
  return direct('relationship 6 (zero padding, non-unit strides)', inputSize, kernelSize, stride, padding);
}

/** Relationship 7 (3 Pooling arithmetic): any pooling, o = floor((i - k) / s) + 1. */
export function poolingOutputSize(args: StridedArgs): number {
  const { inputSize, kernelSize, stride } = readArgs('poolingOutputSize', args, STRIDEDARGS_KEYS);
  return direct('relationship 7 (pooling)', inputSize, kernelSize, stride);
}

/**
 * Relationship 8 (4.3 No zero padding, unit strides, transposed): the transpose of a
 * convolution with s = 1, p = 0 is a convolution with k' = k, s' = 1, p' = k - 1:
 * o' = i' + (k - 1).
 */
export function transposedNoPaddingUnitStrides(args: DirectArgs): number {
  const { inputSize, kernelSize } = readArgs('transposedNoPaddingUnitStrides', args, DIRECTARGS_KEYS);
  return transposed('relationship 8 (no zero padding, unit strides, transposed)', inputSize, kernelSize);
}

/**
 * Relationship 9 (4.4 Zero padding, unit strides, transposed): s = 1 and p give k' = k,
 * s' = 1, p' = k - p - 1: o' = i' + (k - 1) - 2p.
 */
export function transposedZeroPaddingUnitStrides(args: PaddedArgs): number {
  const { inputSize, kernelSize, padding } = readArgs(
    'transposedZeroPaddingUnitStrides',
    args,
    PADDEDARGS_KEYS,
  );
  return transposed(
    'relationship 9 (zero padding, unit strides, transposed)',
    inputSize,
    kernelSize,
    1,
    padding,
  );
}

/**
 * Relationship 10 (4.4.1 Half (same) padding, transposed): k = 2n + 1, s = 1, p = n give
 * k' = k, s' = 1, p' = p: o' = i'.
 */
export function transposedHalfPadding(args: DirectArgs): number {
  const { inputSize, kernelSize } = readArgs('transposedHalfPadding', args, DIRECTARGS_KEYS);
  const what = 'relationship 10 (half padding, transposed)';
  oddKernel(what, kernelSize);
  return transposed(what, inputSize, kernelSize, 1, Math.floor(kernelSize / 2));
}

/**
 * Relationship 11 (4.4.2 Full padding, transposed): s = 1, p = k - 1 give k' = k, s' = 1,
 * p' = 0: o' = i' - (k - 1).
 */
export function transposedFullPadding(args: DirectArgs): number {
  const { inputSize, kernelSize } = readArgs('transposedFullPadding', args, DIRECTARGS_KEYS);
  return transposed('relationship 11 (full padding, transposed)', inputSize, kernelSize, 1, kernelSize - 1);
}

/**
 * Relationship 12 (4.5 No zero padding, non-unit strides, transposed): p = 0 and i - k a
 * multiple of s give a convolution over the input stretched by s - 1 zeros between units,
 * k' = k, s' = 1, p' = k - 1: o' = s (i' - 1) + k.
 */
export function transposedNoPaddingNonUnitStrides(args: StridedArgs): number {
  const { inputSize, kernelSize, stride } = readArgs(
    'transposedNoPaddingNonUnitStrides',
    args,
    STRIDEDARGS_KEYS,
  );
  return transposed(
    'relationship 12 (no zero padding, non-unit strides, transposed)',
    inputSize,
    kernelSize,
    stride,
  );
}

/**
 * Relationship 13 (4.6 Zero padding, non-unit strides, transposed): i + 2p - k a multiple of s
 * gives the stretched input, k' = k, s' = 1, p' = k - p - 1: o' = s (i' - 1) + k - 2p.
 */
export function transposedZeroPaddingNonUnitStrides(args: PaddedStridedArgs): number {
  const { inputSize, kernelSize, stride, padding } = readArgs(
    'transposedZeroPaddingNonUnitStrides',
    args,
    PADDEDSTRIDEDARGS_KEYS,
  );
  return transposed(
    'relationship 13 (zero padding, non-unit strides, transposed)',
    inputSize,
    kernelSize,
    stride,
    padding,
  );
}

/**
 * Relationship 14 (4.6, any input size): with a = (i + 2p - k) mod s zeros added to the
 * bottom and right edges, o' = s (i' - 1) + a + k - 2p. PyTorch calls a `output_padding`.
 */
export function transposedZeroPaddingNonUnitStridesWithA(args: TransposedRemainderArgs): number {
  const { inputSize, kernelSize, stride, padding, a } = readArgs(
    'transposedZeroPaddingNonUnitStridesWithA',
    args,
    TRANSPOSEDREMAINDERARGS_KEYS,
  );
  return transposed(
    'relationship 14 (zero padding, non-unit strides, transposed, with a)',
    inputSize,
    kernelSize,
    stride,
    padding,
    a,
  );
}

/**
 * Relationship 15 (5.1 Dilated convolutions): the effective kernel k + (k - 1)(d - 1) in
 * relationship 6: o = floor((i + 2p - k - (k - 1)(d - 1)) / s) + 1.
 */
export function dilatedConvolution(args: DilatedArgs): number {
  const {
    inputSize,
    kernelSize,
    dilation,
    stride = 1,
    padding = 0,
  } = readArgs('dilatedConvolution', args, DILATEDARGS_KEYS);
  return direct('relationship 15 (dilated convolution)', inputSize, kernelSize, stride, padding, dilation);
}

/** The `a` of relationship 14 for a direct convolution: (i + 2p - k) mod s. */
export function transposedRemainder(args: PaddedStridedArgs): number {
  const { inputSize, kernelSize, stride, padding } = readArgs(
    'transposedRemainder',
    args,
    PADDEDSTRIDEDARGS_KEYS,
  );
  const g = convGeometry({
    op: 'transposedRemainder',
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [inputSize],
    kernelSize,
    stride,
    padding,
  });
  // The padded input positions the last window does not reach.
  return (
    g.inputSpatial[0]! +
    g.padBefore[0]! +
    g.padAfter[0]! -
    g.kernelExtent[0]! -
    (g.outputSpatial[0]! - 1) * g.stride[0]!
  );
}

/** The direct convolution that computes a transposed one (Dumoulin & Visin, section 4). */
export interface EquivalentConvolution {
  /** i' + (i' - 1)(s - 1): the input with s - 1 zeros inserted between units. */
  readonly stretchedInputSize: number;
  readonly kernelSize: number;
  /** Always 1: the fractional stride 1/s became the inserted zeros. */
  readonly stride: 1;
  /** p' = k - p - 1 zeros before. */
  readonly padBefore: number;
  /** p' + a zeros after. */
  readonly padAfter: number;
  /** Its output size, o'. */
  readonly outputSize: number;
}

/**
 * The direct convolution equivalent to the transpose of the convolution (k, s, p) applied on
 * an input of size i': unit stride over the stretched input, padded by k - p - 1 (and a more
 * after). Throws when p > k - 1, where the equivalent would crop instead of pad.
 */
export function transposedAsConvolution(args: TransposedRemainderArgs): EquivalentConvolution {
  const { inputSize, kernelSize, stride, padding, a } = readArgs(
    'transposedAsConvolution',
    args,
    TRANSPOSEDREMAINDERARGS_KEYS,
  );
  const what = 'transposedAsConvolution';
  if (!Number.isInteger(padding) || padding < 0 || padding > kernelSize - 1) {
    throw new ArgumentError(
      `${what}: padding must be an integer in [0, k - 1] = [0, ${kernelSize - 1}] for the equivalent convolution to pad, got ${padding}`,
    );
  }
  if (!Number.isInteger(a) || a < 0 || a >= stride) {
    throw new ArgumentError(
      `${what}: a must be an integer in {0, ..., s - 1} = {0, ..., ${stride - 1}}, got ${a}`,
    );
  }
  if (!Number.isInteger(inputSize) || inputSize < 1) {
    throw new ArgumentError(`${what}: inputSize must be a positive integer, got ${inputSize}`);
  }
  const stretchedInputSize = inputSize + (inputSize - 1) * (stride - 1);
  const padBefore = kernelSize - padding - 1;
  const padAfter = padBefore + a;
  const g = convGeometry({
    op: what,
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [stretchedInputSize],
    kernelSize,
    padding: [[padBefore, padAfter]],
  });
  return { stretchedInputSize, kernelSize, stride: 1, padBefore, padAfter, outputSize: g.outputSpatial[0]! };
}

/** Any relationship's arguments: every field a relationship may read. */
export interface RelationshipArgs {
  inputSize: number;
  kernelSize: number;
  stride?: number;
  padding?: number;
  dilation?: number;
  a?: number;
}

export interface DumoulinVisinRelationship {
  readonly number: number;
  /** The paper's section and its title. */
  readonly section: string;
  readonly formula: string;
  /** The relationship's function (it reads the fields its relationship has). */
  compute(args: RelationshipArgs): number;
  /** The paper's figure for it: the arguments and the output size. */
  readonly example: {
    readonly args: Readonly<RelationshipArgs>;
    readonly output: number;
    readonly figure: string;
  };
}

/** The 15 relationships in the paper's order, with their worked examples. */
export const DUMOULIN_VISIN_RELATIONSHIPS: readonly DumoulinVisinRelationship[] = Object.freeze([
  {
    number: 1,
    section: '2.1 No zero padding, unit strides',
    formula: 'o = (i - k) + 1',
    compute: noPaddingUnitStrides,
    example: {
      args: { inputSize: 4, kernelSize: 3 },
      output: 2,
      figure: 'a 3x3 kernel over a 4x4 input, unit strides',
    },
  },
  {
    number: 2,
    section: '2.2 Zero padding, unit strides',
    formula: 'o = (i - k) + 2p + 1',
    compute: zeroPaddingUnitStrides,
    example: {
      args: { inputSize: 5, kernelSize: 4, padding: 2 },
      output: 6,
      figure: 'a 4x4 kernel over a 5x5 input padded with a 2x2 border',
    },
  },
  {
    number: 3,
    section: '2.2.1 Half (same) padding',
    formula: 'o = i + 2 floor(k/2) - (k - 1) = i',
    compute: halfPadding,
    example: {
      args: { inputSize: 5, kernelSize: 3 },
      output: 5,
      figure: 'a 3x3 kernel over a 5x5 input, half padding (p = 1)',
    },
  },
  {
    number: 4,
    section: '2.2.2 Full padding',
    formula: 'o = i + 2(k - 1) - (k - 1) = i + (k - 1)',
    compute: fullPadding,
    example: {
      args: { inputSize: 5, kernelSize: 3 },
      output: 7,
      figure: 'a 3x3 kernel over a 5x5 input, full padding (p = 2)',
    },
  },
  {
    number: 5,
    section: '2.3 No zero padding, non-unit strides',
    formula: 'o = floor((i - k) / s) + 1',
    compute: noPaddingNonUnitStrides,
    example: {
      args: { inputSize: 5, kernelSize: 3, stride: 2 },
      output: 2,
      figure: 'a 3x3 kernel over a 5x5 input, 2x2 strides',
    },
  },
  {
    number: 6,
    section: '2.4 Zero padding, non-unit strides',
    formula: 'o = floor((i + 2p - k) / s) + 1',
    compute: zeroPaddingNonUnitStrides,
    example: {
      args: { inputSize: 5, kernelSize: 3, stride: 2, padding: 1 },
      output: 3,
      figure: 'a 3x3 kernel over a 5x5 input padded with a 1x1 border, 2x2 strides (a 6x6 input gives 3 too)',
    },
  },
  {
    number: 7,
    section: '3 Pooling arithmetic',
    formula: 'o = floor((i - k) / s) + 1',
    compute: poolingOutputSize,
    example: {
      args: { inputSize: 5, kernelSize: 3, stride: 1 },
      output: 3,
      figure: '3x3 max and average pooling on a 5x5 input, 1x1 strides',
    },
  },
  {
    number: 8,
    section: '4.3 No zero padding, unit strides, transposed',
    formula: "o' = i' + (k - 1)",
    compute: transposedNoPaddingUnitStrides,
    example: {
      args: { inputSize: 2, kernelSize: 3 },
      output: 4,
      figure: "the transpose of a 3x3 kernel over a 4x4 input (i = 4, p = 0): i' = 2, p' = 2",
    },
  },
  {
    number: 9,
    section: '4.4 Zero padding, unit strides, transposed',
    formula: "o' = i' + (k - 1) - 2p",
    compute: transposedZeroPaddingUnitStrides,
    example: {
      args: { inputSize: 6, kernelSize: 4, padding: 2 },
      output: 5,
      figure: "the transpose of a 4x4 kernel over a 5x5 input padded by 2 (i = 5): i' = 6, p' = 1",
    },
  },
  {
    number: 10,
    section: '4.4.1 Half (same) padding, transposed',
    formula: "o' = i' + (k - 1) - 2p = i'",
    compute: transposedHalfPadding,
    example: {
      args: { inputSize: 5, kernelSize: 3 },
      output: 5,
      figure: "the transpose of a 3x3 kernel over a 5x5 input, half padding: i' = 5, p' = 1",
    },
  },
  {
    number: 11,
    section: '4.4.2 Full padding, transposed',
    formula: "o' = i' + (k - 1) - 2p = i' - (k - 1)",
    compute: transposedFullPadding,
    example: {
      args: { inputSize: 7, kernelSize: 3 },
      output: 5,
      figure: "the transpose of a 3x3 kernel over a 5x5 input, full padding: i' = 7, p' = 0",
    },
  },
  {
    number: 12,
    section: '4.5 No zero padding, non-unit strides, transposed',
    formula: "o' = s (i' - 1) + k",
    compute: transposedNoPaddingNonUnitStrides,
    example: {
      args: { inputSize: 2, kernelSize: 3, stride: 2 },
      output: 5,
      figure: "the transpose of a 3x3 kernel over a 5x5 input, 2x2 strides: i' = 2, stretched to 3, p' = 2",
    },
  },
  {
    number: 13,
    section: '4.6 Zero padding, non-unit strides, transposed',
    formula: "o' = s (i' - 1) + k - 2p",
    compute: transposedZeroPaddingNonUnitStrides,
    example: {
      args: { inputSize: 3, kernelSize: 3, stride: 2, padding: 1 },
      output: 5,
      figure:
        "the transpose of a 3x3 kernel over a 5x5 input padded by 1, 2x2 strides: i' = 3, stretched to 5, p' = 1",
    },
  },
  {
    number: 14,
    section: '4.6 Zero padding, non-unit strides, transposed (any input size)',
    formula: "o' = s (i' - 1) + a + k - 2p, a = (i + 2p - k) mod s",
    compute: transposedZeroPaddingNonUnitStridesWithA,
    example: {
      args: { inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 1 },
      output: 6,
      figure:
        "the transpose of a 3x3 kernel over a 6x6 input padded by 1, 2x2 strides: i' = 3, stretched to 5, a = 1, p' = 1",
    },
  },
  {
    number: 15,
    section: '5.1 Dilated convolutions',
    formula: 'o = floor((i + 2p - k - (k - 1)(d - 1)) / s) + 1',
    compute: dilatedConvolution,
    example: {
      args: { inputSize: 7, kernelSize: 3, dilation: 2 },
      output: 3,
      figure: 'a 3x3 kernel over a 7x7 input, dilation 2',
    },
  },
]);
