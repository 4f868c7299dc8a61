/**
 * Typed errors shared by every convkit package. Each class carries a brand registered with
 * `Symbol.for`, so `ShapeError.isInstance(e)` is true even when two copies of the package
 * are loaded (where `instanceof` would say false).
 */

import { formatValue } from './describe-value';

const BRAND = Symbol.for('convkit.error');

/** Base of every error convkit throws on purpose. `kind` names the class. */
export class ConvkitError extends Error {
  readonly [BRAND]: string;
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = kind;
    this[BRAND] = kind;
  }

  /** True for any convkit error, from any copy of the package. */
  static isInstance(value: unknown): value is ConvkitError {
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<symbol, unknown>)[BRAND] === 'string'
    );
  }
}

function brandCheck(kind: string) {
  return (value: unknown): boolean =>
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === kind;
}

/** A tensor has the wrong rank or size, or two shapes do not fit together. */
export class ShapeError extends ConvkitError {
  constructor(message: string) {
    super('ShapeError', message);
  }
  static override isInstance(value: unknown): value is ShapeError {
    return brandCheck('ShapeError')(value);
  }
}

/** An option is out of its domain (non-positive stride, unknown name, negative padding...). */
export class ArgumentError extends ConvkitError {
  constructor(message: string) {
    super('ArgumentError', message);
  }
  static override isInstance(value: unknown): value is ArgumentError {
    return brandCheck('ArgumentError')(value);
  }
}

/** A valid request that this op, algorithm or backend does not do (the message says what does). */
export class UnsupportedError extends ConvkitError {
  constructor(message: string) {
    super('UnsupportedError', message);
  }
  static override isInstance(value: unknown): value is UnsupportedError {
    return brandCheck('UnsupportedError')(value);
  }
}

/** A request that would exceed a memory cap or a device limit. */
export class ResourceError extends ConvkitError {
  constructor(message: string) {
    super('ResourceError', message);
  }
  static override isInstance(value: unknown): value is ResourceError {
    return brandCheck('ResourceError')(value);
  }
}

/** Formats a shape the way error messages print it: `[64, 3, 7, 7]`. */
export function formatShape(shape: readonly number[]): string {
  // Shapes in messages may come from callers: show odd entries as values, never throw.
  if (!Array.isArray(shape)) return formatValue(shape);
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : formatValue(d))).join(', ')}]`;
}
