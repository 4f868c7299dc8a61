import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  ConvkitError,
  formatShape,
  ResourceError,
  ShapeError,
  UnsupportedError,
} from './errors';

describe('errors', () => {
  it('carry their kind as name and are recognised by isInstance', () => {
    const e = new ShapeError('conv2d: bad');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ShapeError');
    expect(e.message).toBe('conv2d: bad');
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(ArgumentError.isInstance(e)).toBe(false);
    expect(ConvkitError.isInstance(e)).toBe(true);
    expect(ConvkitError.isInstance(new Error('x'))).toBe(false);
    for (const E of [ArgumentError, UnsupportedError, ResourceError])
      expect(E.isInstance(new E('m'))).toBe(true);
  });

  it('isInstance works across copies of the package (a look-alike with the same brand)', () => {
    const foreign = Object.assign(new Error('m'), { [Symbol.for('convkit.error')]: 'ResourceError' });
    expect(ResourceError.isInstance(foreign)).toBe(true);
    expect(foreign instanceof ResourceError).toBe(false);
  });

  it('formats shapes', () => {
    expect(formatShape([64, 3, 7, 7])).toBe('[64, 3, 7, 7]');
  });
});
