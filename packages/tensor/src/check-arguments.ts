/**
 * Argument checks shared by every convkit op, before any geometry is built: that a value is a
 * Tensor (of this or another copy of the package), and that an options object holds only known
 * keys, so a misspelt option (`padding_mode`) is refused instead of silently ignored. Each
 * throws an ArgumentError naming the op, the argument, what was expected and what came.
 */
import { ArgumentError } from './errors';
import { Tensor } from './tensor';

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
