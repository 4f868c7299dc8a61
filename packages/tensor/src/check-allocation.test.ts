import { afterEach, describe, expect, it } from 'vitest';
import { checkAllocation, checkAllocationBytes, MAX_BUFFER_ELEMENTS } from './check-allocation';
import { ArgumentError, ResourceError } from './errors';
import { DEFAULT_MEMORY_LIMIT, getMemoryLimit, setMemoryLimit } from './memory-limit';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

describe('memory limit', () => {
  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });

  it('defaults to 2 GiB per buffer and can be set and restored', () => {
    expect(DEFAULT_MEMORY_LIMIT).toBe(2 * 1024 ** 3);
    expect(getMemoryLimit()).toBe(DEFAULT_MEMORY_LIMIT);
    expect(setMemoryLimit(1024)).toBe(DEFAULT_MEMORY_LIMIT);
    expect(getMemoryLimit()).toBe(1024);
    expect(setMemoryLimit(Number.POSITIVE_INFINITY)).toBe(1024);
  });

  it('refuses limits that are not positive safe integers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '1024', null, undefined, 2n]) {
      const e = thrown(() => setMemoryLimit(bad as number));
      expect(ArgumentError.isInstance(e)).toBe(true);
      expect(e.message).toMatch(
        /^setMemoryLimit: bytes must be a positive safe integer \(or Infinity for no limit\), got /,
      );
    }
  });

  it('checkAllocation returns the element count under the limit and names everything above it', () => {
    expect(checkAllocation('op', 'output', [2, 3])).toBe(6);
    setMemoryLimit(1024);
    expect(checkAllocation('op', 'output', [16, 16])).toBe(256);
    const e = thrown(() => checkAllocation('conv2d', 'output', [1, 1, 17, 16]));
    expect(ResourceError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'conv2d: output [1, 1, 17, 16] needs 1.1 KiB (2.720e+2 float32 elements), above the memory limit of 1.0 KiB per buffer; use a smaller input, or raise the limit with setMemoryLimit(bytes) from @convkit/tensor',
    );
  });

  it('keeps the 2^30-element typed-array cap when the limit is lifted', () => {
    setMemoryLimit(Number.POSITIVE_INFINITY);
    expect(checkAllocation('op', 'x', [MAX_BUFFER_ELEMENTS])).toBe(MAX_BUFFER_ELEMENTS);
    const e = thrown(() => checkAllocation('op', 'x', [MAX_BUFFER_ELEMENTS + 1]));
    expect(ResourceError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/above the 2\^30 elements one typed array can hold/);
  });

  it('checkAllocationBytes counts other element sizes (WebAssembly memory, bytes)', () => {
    setMemoryLimit(4096);
    expect(checkAllocationBytes('wasm', 'memory', 4096, 1)).toBe(4096);
    expect(() => checkAllocationBytes('wasm', 'memory', 4097, 1)).toThrow(
      /^wasm: memory needs 4\.0 KiB \(4\.097e\+3 elements of 1 bytes\), above the memory limit of 4\.0 KiB/,
    );
    expect(() => checkAllocationBytes('op', 'x', Number.POSITIVE_INFINITY)).toThrow(ResourceError);
  });

  it('refuses a shape with negative or NaN entries as an ArgumentError, an infinite one as a ResourceError', () => {
    expect(ArgumentError.isInstance(thrown(() => checkAllocation('op', 'x', [-1])))).toBe(true);
    expect(ArgumentError.isInstance(thrown(() => checkAllocation('op', 'x', [Number.NaN])))).toBe(true);
    expect(
      ResourceError.isInstance(thrown(() => checkAllocation('op', 'x', [Number.POSITIVE_INFINITY]))),
    ).toBe(true);
  });
});
