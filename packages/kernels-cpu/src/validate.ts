/**
 * The argument checks every CPU op makes before it builds a geometry (ops validate, kernels
 * compute: tfjs `ops/conv2d.ts`). Shape arithmetic and the checks on hyper-parameters live in
 * `convGeometryFromShapes` (@convkit/tensor); these helpers check what it cannot see: that
 * arguments are Tensors, that the options object holds only known keys, the bias and the
 * gradient's shape. Each throws a typed error naming the op, the argument, what was expected
 * and what came.
 */
import { ArgumentError, formatShape, ShapeError, sameShape, Tensor } from '@convkit/tensor';

/** A short description of a value for error messages: `number 3`, `array`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (value instanceof Float32Array) return `Float32Array of length ${value.length}`;
  if (typeof value === 'object')
    return value.constructor?.name ? `${value.constructor.name} object` : 'object';
  if (typeof value === 'string') return `string '${value}'`;
  return `${typeof value} ${String(value)}`;
}

/**
 * True for a Tensor of this package or of another copy of @convkit/tensor (where
 * `instanceof` would say false): data, shape, strides, offset and the view methods.
 */
export function isTensor(value: unknown): value is Tensor {
  if (value instanceof Tensor) return true;
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<Tensor>;
  return (
    t.data instanceof Float32Array &&
    Array.isArray(t.shape) &&
    Array.isArray(t.strides) &&
    typeof t.offset === 'number' &&
    typeof t.permute === 'function' &&
    typeof t.contiguous === 'function' &&
    typeof t.toFloat32Array === 'function'
  );
}

/** Throws an ArgumentError unless `value` is a Tensor: `conv2d: weight must be a Tensor, got number 3`. */
export function checkTensor(op: string, name: string, value: unknown): asserts value is Tensor {
  if (!isTensor(value)) {
    throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describeValue(value)}`);
  }
}

/**
 * Throws an ArgumentError unless `options` is undefined or a plain object whose keys (with a
 * defined value) are all in `known`: a misspelt option (`padding_mode`) or one the op does not
 * have (`outputPadding` on conv) would otherwise be ignored silently.
 */
export function checkOptionKeys(op: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options) || isTensor(options)) {
    throw new ArgumentError(`${op}: options must be an object, got ${describeValue(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) {
      throw new ArgumentError(
        `${op}: unknown option '${key}'; the options are ${known.map((k) => `'${k}'`).join(', ')}`,
      );
    }
  }
}

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
