/**
 * relationshipFor: which of the 15 numbered relationships of Dumoulin & Visin ("A guide to
 * convolution arithmetic for deep learning", arXiv 1603.07285) describes one axis of a
 * convolution, and the output size that relationship computes. The most specific one wins:
 * half and full padding before plain zero padding, the `a` form (14) whenever a > 0.
 * Pooling (7) shares relationship 5's formula and is never picked for a convolution.
 */
import {
  DUMOULIN_VISIN_RELATIONSHIPS,
  type DumoulinVisinRelationship,
  type RelationshipArgs,
} from '@convkit/analysis';

export interface AxisArgs {
  /** i, or i' for a transposed convolution */
  inputSize: number;
  kernelSize: number;
  stride: number;
  padding: number;
  dilation: number;
  transposed: boolean;
  /** a (PyTorch's outputPadding), transposed only */
  outputPadding: number;
}

export interface RelationshipMatch {
  readonly relationship: DumoulinVisinRelationship;
  /** What the relationship's function computes for these arguments. */
  readonly output: number;
}

type Field = 'inputSize' | 'kernelSize' | 'stride' | 'padding' | 'dilation' | 'a';

/** The fields each relationship's function takes (it refuses others). */
const FIELDS: Record<number, readonly Field[]> = {
  1: ['inputSize', 'kernelSize'],
  2: ['inputSize', 'kernelSize', 'padding'],
  3: ['inputSize', 'kernelSize'],
  4: ['inputSize', 'kernelSize'],
  5: ['inputSize', 'kernelSize', 'stride'],
  6: ['inputSize', 'kernelSize', 'stride', 'padding'],
  8: ['inputSize', 'kernelSize'],
  9: ['inputSize', 'kernelSize', 'padding'],
  10: ['inputSize', 'kernelSize'],
  11: ['inputSize', 'kernelSize'],
  12: ['inputSize', 'kernelSize', 'stride'],
  13: ['inputSize', 'kernelSize', 'stride', 'padding'],
  14: ['inputSize', 'kernelSize', 'stride', 'padding', 'a'],
  15: ['inputSize', 'kernelSize', 'dilation', 'stride', 'padding'],
};

function numbered(n: number): DumoulinVisinRelationship {
  return DUMOULIN_VISIN_RELATIONSHIPS[n - 1]!;
}

/** The relationship's number, or null where none of the 15 covers the case. */
export function relationshipNumber(args: AxisArgs): number | null {
  const { kernelSize: k, stride: s, padding: p, dilation: d, transposed, outputPadding: a } = args;
  const half = k % 2 === 1 && p === Math.floor(k / 2);
  if (!transposed) {
    if (d > 1) return 15;
    if (s === 1) {
      if (p === 0) return 1;
      if (half) return 3;
      if (p === k - 1) return 4;
      return 2;
    }
    return p === 0 ? 5 : 6;
  }
  // The paper treats transposed convolutions without dilation.
  if (d > 1) return null;
  if (s === 1) {
    if (a > 0) return null;
    if (p === 0) return 8;
    if (half) return 10;
    if (p === k - 1) return 11;
    return 9;
  }
  if (a > 0) return 14;
  return p === 0 ? 12 : 13;
}

/** The matching relationship and its output, or null (see relationshipNumber). */
export function relationshipFor(args: AxisArgs): RelationshipMatch | null {
  const n = relationshipNumber(args);
  if (n === null) return null;
  const relationship = numbered(n);
  const all: Record<Field, number> = { ...args, a: args.outputPadding };
  const picked: RelationshipArgs = { inputSize: args.inputSize, kernelSize: args.kernelSize };
  for (const f of FIELDS[n]!) picked[f] = all[f];
  const output = relationship.compute(picked);
  return { relationship, output };
}
