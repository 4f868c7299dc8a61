import { ArgumentError, Tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { checkInto, tensorsOverlap } from './check-into';

describe('tensorsOverlap', () => {
  const data = new Float32Array(100);
  it('compares the bytes a view can reach, in one buffer only', () => {
    const a = new Tensor(data, [10], undefined, 0);
    expect(tensorsOverlap(a, new Tensor(data, [10], undefined, 10))).toBe(false);
    expect(tensorsOverlap(a, new Tensor(data, [10], undefined, 9))).toBe(true);
    expect(tensorsOverlap(a, new Tensor(new Float32Array(100), [10]))).toBe(false);
    // A strided view reaches from its first to its last element.
    const strided = new Tensor(data, [2, 5], [50, 1], 20);
    expect(tensorsOverlap(strided, new Tensor(data, [10], undefined, 30))).toBe(true);
    expect(tensorsOverlap(strided, new Tensor(data, [10], undefined, 75))).toBe(false);
    // Subarrays of one buffer: their byte offsets count.
    const left = new Tensor(data.subarray(0, 50), [50]);
    const right = new Tensor(data.subarray(50), [50]);
    expect(tensorsOverlap(left, right)).toBe(false);
    expect(tensorsOverlap(new Tensor(data.subarray(40), [20]), left)).toBe(true);
    // An empty view reaches nothing.
    expect(tensorsOverlap(new Tensor(data, [0, 5]), a)).toBe(false);
  });
});

describe('checkInto', () => {
  it('returns a good target and names the op, the argument, expected and got otherwise', () => {
    const out = new Tensor(new Float32Array(6), [2, 3]);
    expect(checkInto('opX', 'out', out, [2, 3], { input: new Tensor(new Float32Array(6), [2, 3]) })).toBe(
      out,
    );
    expect(() => checkInto('opX', 'out', 'a', [2, 3], {})).toThrow(/opX: out must be a Tensor, got string/);
    expect(() => checkInto('opX', 'out', out, [3, 2], {})).toThrow(
      /opX: out must have the result's shape \[3, 2\], got \[2, 3\]/,
    );
    expect(() => checkInto('opX', 'out', out.transpose(0, 1), [3, 2], {})).toThrow(ArgumentError);
    expect(() => checkInto('opX', 'out', out, [2, 3], { weight: null, input: out.slice(1, 0, 1) })).toThrow(
      /opX: out must not overlap input in memory/,
    );
  });
});
