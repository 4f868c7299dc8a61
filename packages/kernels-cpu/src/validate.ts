/**
 * The argument checks every CPU op makes before it builds a geometry (ops validate, kernels
 * compute: tfjs `ops/conv2d.ts`). Shape arithmetic and the checks on hyper-parameters live in
 * `convGeometryFromShapes` (@convkit/tensor); these helpers check what it cannot see: that
 * arguments are Tensors, that the options object holds only known keys, the bias and the
 * gradient's shape. Each throws a typed error naming the op, the argument, what was expected
 * and what came.
 */
import {
  ArgumentError,
  checkTensor,
  describeValue,
  formatShape,
  isTensor,
  ShapeError,
  sameShape,
  type Tensor,
} from '@convkit/tensor';

// The generic argument checks live in @convkit/tensor (shared with @convkit/im2col).
export { checkOptionKeys, checkTensor, describeValue, isTensor } from '@convkit/tensor';

/**
 * The bias as contiguous data, or null when there is none. It must be a Tensor of shape
 * [outChannels]: `conv2d: bias must have shape [64] (one value per output channel), got [3]`.
 */
export function checkBias(op: string, bias: unknown, outChannels: number): Float32Array | null {
  if (bias === undefined || bias === null) return null;
  if (!isTensor(bias))
    throw new ArgumentError(`${op}: bias must be a Tensor or null, got ${describeValue(bias)}`);
  if (bias.shape.length !== 1 || bias.shape[0] !== outChannels) {
    throw new ShapeError(
      `${op}: bias must have shape [${outChannels}] (one value per output channel), got ${formatShape(bias.shape)}`,
    );
  }
  return bias.contiguous().data;
}

/**
 * Throws unless `gradOutput` is a Tensor of the shape the forward op returns:
 * `convBackward: gradOutput must have shape [2, 8, 5, 5] (the output of conv2d), got [2, 8, 4, 4]`.
 */
export function checkGradOutput(
  op: string,
  gradOutput: unknown,
  expectedShape: readonly number[],
  forwardOp: string,
): asserts gradOutput is Tensor {
  checkTensor(op, 'gradOutput', gradOutput);
  if (!sameShape(gradOutput.shape, expectedShape)) {
    throw new ShapeError(
      `${op}: gradOutput must have shape ${formatShape(expectedShape)} (the output of ${forwardOp}), got ${formatShape(gradOutput.shape)}`,
    );
  }
}

/**
 * The op name PyTorch users know for a weight of this rank (`conv2d` for a 4-D weight), or
 * the bare kind when the rank is out of range (the geometry then reports the rank).
 */
export function opNameForWeight(kind: string, weight: unknown): string {
  if (!isTensor(weight)) return kind;
  const dims = weight.shape.length - 2;
  return dims >= 1 && dims <= 3 ? `${kind}${dims}d` : kind;
}

const KERNEL_NAMES: Record<number, string> = { 1: 'kL', 2: 'kH, kW', 3: 'kD, kH, kW' };

/**
 * For the rank-specific aliases (conv2d...): throws a ShapeError unless the weight has rank
 * dims + 2, so that `conv2d` never silently runs a 1-D or 3-D convolution.
 */
export function checkWeightRank(op: string, weight: Tensor, dims: 1 | 2 | 3, transposed: boolean): void {
  if (weight.shape.length !== dims + 2) {
    const channels = transposed ? 'C_in, C_out/groups' : 'C_out, C_in/groups';
    throw new ShapeError(
      `${op}: weight must have rank ${dims + 2} ([${channels}, ${KERNEL_NAMES[dims]}]), got shape ${formatShape(weight.shape)}`,
    );
  }
}
