import { ArgumentError, ShapeError, Tensor, tensor, zeros } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import {
  checkBias,
  checkGradOutput,
  checkOptionKeys,
  checkTensor,
  checkWeightRank,
  describeValue,
  isTensor,
  opNameForWeight,
} from './validate';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

describe('validate', () => {
  it('describes values for messages', () => {
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined undefined');
    expect(describeValue([1, 2])).toBe('array of length 2');
    expect(describeValue(new Float32Array(3))).toBe('Float32Array of length 3');
    expect(describeValue('x')).toBe("string 'x'");
    expect(describeValue(2.5)).toBe('number 2.5');
    expect(describeValue({})).toBe('Object object');
  });

  it('recognises Tensors, including a structurally identical one from another copy of the package', () => {
    const t = zeros([2, 2]);
    expect(isTensor(t)).toBe(true);
    // What a second copy of @convkit/tensor would create: same fields and methods, another class.
    const foreign = Object.assign(
      Object.create({ permute: t.permute, contiguous: t.contiguous, toFloat32Array: t.toFloat32Array }),
      {
        data: t.data,
        shape: [2, 2],
        strides: [2, 1],
        offset: 0,
      },
    );
    expect(foreign instanceof Tensor).toBe(false);
    expect(isTensor(foreign)).toBe(true);
    expect(isTensor({ data: [1], shape: [1], strides: [1], offset: 0 })).toBe(false);
    expect(isTensor(new Float32Array(4))).toBe(false);
  });

  it('checkTensor throws an ArgumentError naming the op and the argument', () => {
    expect(() => checkTensor('conv2d', 'input', zeros([1]))).not.toThrow();
    const e = thrown(() => checkTensor('conv2d', 'input', { shape: [1] }));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: input must be a Tensor, got Object object');
  });

  it('checkOptionKeys accepts undefined values of unknown keys and rejects defined ones', () => {
    expect(() => checkOptionKeys('op', undefined, ['a'])).not.toThrow();
    expect(() => checkOptionKeys('op', { a: 1, b: undefined }, ['a'])).not.toThrow();
    const e = thrown(() => checkOptionKeys('op', { a: 1, c: 2 }, ['a', 'b']));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe("op: unknown option 'c'; the options are 'a', 'b'");
    // The null rule: null options and null values mean "not given".
    expect(() => checkOptionKeys('op', null, ['a'])).not.toThrow();
    expect(() => checkOptionKeys('op', { a: 1, c: null }, ['a'])).not.toThrow();
    expect(thrown(() => checkOptionKeys('op', [1], ['a'])).message).toBe(
      'op: options must be a plain object ({ key: value }), got array of length 1',
    );
    expect(thrown(() => checkOptionKeys('op', zeros([1]), ['a'])).message).toBe(
      'op: options must be a plain object ({ key: value }), got Tensor object',
    );
    expect(thrown(() => checkOptionKeys('op', new Map([['a', 1]]), ['a'])).message).toBe(
      'op: options must be a plain object ({ key: value }), got Map object',
    );
  });

  it('checkBias returns the bias tensor or null and rejects wrong shapes and types', () => {
    expect(checkBias('op', undefined, 2)).toBeNull();
    expect(checkBias('op', null, 2)).toBeNull();
    const strided = tensor([1, 9, 2, 9], [2, 2]).slice(1, 0, 1).squeeze(1); // [1, 2] with stride 2
    expect(Array.from(checkBias('op', strided, 2)!.toFloat32Array())).toEqual([1, 2]);
    let e = thrown(() => checkBias('conv2d', zeros([2, 1]), 2));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: bias must have shape [2] (one value per output channel), got [2, 1]');
    e = thrown(() => checkBias('conv2d', 1, 2));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe('conv2d: bias must be a Tensor or null, got number 1');
  });

  it('checkGradOutput checks type and shape', () => {
    expect(() => checkGradOutput('b', zeros([1, 2]), [1, 2], 'f')).not.toThrow();
    const e = thrown(() => checkGradOutput('b', zeros([2, 1]), [1, 2], 'f'));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe('b: gradOutput must have shape [1, 2] (the output of f), got [2, 1]');
    expect(ArgumentError.isInstance(thrown(() => checkGradOutput('b', 'x', [1], 'f')))).toBe(true);
  });

  it('names ops from the weight rank and checks an alias against it', () => {
    expect(opNameForWeight('conv', zeros([1, 1, 3]))).toBe('conv1d');
    expect(opNameForWeight('convTranspose', zeros([1, 1, 3, 3, 3]))).toBe('convTranspose3d');
    expect(opNameForWeight('conv', zeros([1, 1]))).toBe('conv');
    expect(opNameForWeight('conv', 'not a tensor')).toBe('conv');
    expect(() => checkWeightRank('conv3d', zeros([1, 1, 1, 1, 1]), 3, false)).not.toThrow();
    const e = thrown(() => checkWeightRank('convTranspose1d', zeros([1, 1, 1, 1]), 1, true));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'convTranspose1d: weight must have rank 3 ([C_in, C_out/groups, kL]), got shape [1, 1, 1, 1]',
    );
  });
});
