import { describe, expect, it } from 'vitest';
import { ArgumentError } from './errors';
import {
  closestName,
  isPlainObject,
  optionBoolean,
  optionEnum,
  optionInteger,
  optionIntList,
  optionNumber,
  optionPositiveInt,
  optionString,
  readOptions,
} from './read-options';
import { zeros } from './tensor';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

const KEYS = ['stride', 'padding', 'paddingMode'] as const;

describe('readOptions', () => {
  it('reads own enumerable keys of plain objects into a frozen, prototype-free record', () => {
    const read = readOptions('op', { stride: 2, padding: 1 }, KEYS);
    expect({ ...read }).toEqual({ stride: 2, padding: 1 });
    expect(Object.getPrototypeOf(read)).toBeNull();
    expect(Object.isFrozen(read)).toBe(true);
    const bare = Object.assign(Object.create(null), { stride: 3 });
    expect(readOptions('op', bare, KEYS).stride).toBe(3);
  });

  it('never reads inherited keys (a polluted Object.prototype changes nothing)', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.padding = 7;
    try {
      const read = readOptions('op', { stride: 2 }, KEYS);
      expect(read.padding).toBeUndefined();
      expect(Object.keys(read)).toEqual(['stride']);
    } finally {
      delete proto.padding;
    }
  });

  it('applies the null rule: null and undefined mean "not given", for options and values', () => {
    expect({ ...readOptions('op', undefined, KEYS) }).toEqual({});
    expect({ ...readOptions('op', null, KEYS) }).toEqual({});
    expect({ ...readOptions('op', { stride: null, padding: undefined }, KEYS) }).toEqual({});
    // An unknown key with no value is dropped, not refused.
    expect({ ...readOptions('op', { strides: null }, KEYS) }).toEqual({});
  });

  it('refuses what is not a plain object', () => {
    for (const [value, got] of [
      [new Map([['stride', 1]]), 'Map object'],
      [[1], 'array of length 1'],
      [zeros([1]), 'Tensor object'],
      ['same', "string 'same'"],
      [3, 'number 3'],
      [true, 'boolean true'],
      [() => 1, 'function'],
    ] as const) {
      const e = thrown(() => readOptions('conv2d', value, KEYS));
      expect(ArgumentError.isInstance(e)).toBe(true);
      expect(e.message).toBe(`conv2d: options must be a plain object ({ key: value }), got ${got}`);
    }
  });

  it('refuses unknown keys with the list and a "did you mean" hint', () => {
    const e = thrown(() => readOptions('conv2d', { padding_mode: 'reflect' }, KEYS));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      "conv2d: unknown option 'padding_mode'; the options are 'stride', 'padding', 'paddingMode'; did you mean 'paddingMode'?",
    );
    expect(thrown(() => readOptions('op', { strides: 1 }, KEYS)).message).toMatch(/did you mean 'stride'\?$/);
    expect(thrown(() => readOptions('op', { zzz: 1 }, KEYS)).message).not.toMatch(/did you mean/);
    expect(thrown(() => readOptions('op', { a: 1 }, ['b'])).message).toBe(
      "op: unknown option 'a'; the options are 'b'",
    );
  });

  it('names the argument when it is not called options', () => {
    expect(
      thrown(() => readOptions('convGeometry', { inChanels: 1 }, ['inChannels'], 'arguments')).message,
    ).toBe(
      "convGeometry: unknown option 'inChanels' in arguments; the options are 'inChannels'; did you mean 'inChannels'?",
    );
  });

  it('reads each value once (a getter runs once)', () => {
    let reads = 0;
    const options = {
      get stride() {
        reads++;
        return 2;
      },
    };
    expect(readOptions('op', options, KEYS).stride).toBe(2);
    expect(reads).toBe(1);
  });
});

describe('option readers', () => {
  it('optionNumber: finite numbers in range, the default for null/undefined', () => {
    expect(optionNumber('op', 'atol', undefined, 1e-4)).toBe(1e-4);
    expect(optionNumber('op', 'atol', null, 1e-4)).toBe(1e-4);
    expect(optionNumber('op', 'atol', 0.5, 1e-4, { min: 0 })).toBe(0.5);
    expect(thrown(() => optionNumber('allclose', 'atol', Number.NaN, 0, { min: 0 })).message).toBe(
      'allclose: atol must be a finite number >= 0, got NaN',
    );
    expect(thrown(() => optionNumber('op', 'x', '1', 0)).message).toBe(
      "op: x must be a finite number, got '1'",
    );
    expect(thrown(() => optionNumber('op', 'x', 0, 0, { min: 0, minExclusive: true })).message).toBe(
      'op: x must be a finite number greater than 0, got 0',
    );
    expect(thrown(() => optionNumber('op', 'x', 5, 0, { min: 0, max: 1 })).message).toBe(
      'op: x must be a finite number in [0, 1], got 5',
    );
  });

  it('optionInteger and optionPositiveInt: safe integers', () => {
    expect(optionPositiveInt('op', 'groups', undefined, 1)).toBe(1);
    expect(optionPositiveInt('op', 'groups', 4, 1)).toBe(4);
    expect(optionInteger('op', 'n', -3, 0)).toBe(-3);
    for (const bad of [0, 1.5, 2 ** 60, '2', 2n, true, {}, [2]]) {
      const e = thrown(() => optionPositiveInt('conv2d', 'groups', bad, 1));
      expect(ArgumentError.isInstance(e)).toBe(true);
      expect(e.message).toMatch(/^conv2d: groups must be a positive integer, got /);
    }
    expect(thrown(() => optionInteger('op', 'n', -1, 0, { min: 0 })).message).toBe(
      'op: n must be a non-negative integer, got -1',
    );
  });

  it('optionBoolean and optionString: no truthy stand-ins', () => {
    expect(optionBoolean('gemm', 'transA', undefined, false)).toBe(false);
    expect(optionBoolean('gemm', 'transA', true, false)).toBe(true);
    expect(thrown(() => optionBoolean('gemm', 'transA', 'no', false)).message).toBe(
      "gemm: transA must be true or false, got string 'no'",
    );
    expect(thrown(() => optionBoolean('gemm', 'transA', 1, false)).message).toBe(
      'gemm: transA must be true or false, got number 1',
    );
    expect(optionString('op', 'algorithm', 'auto', undefined)).toBe('auto');
    expect(thrown(() => optionString('op', 'algorithm', 3, undefined)).message).toBe(
      'op: algorithm must be a string, got number 3',
    );
  });

  it('optionEnum: one of the names, with a hint', () => {
    const modes = ['zeros', 'reflect', 'replicate', 'circular'] as const;
    expect(optionEnum('op', 'paddingMode', undefined, modes, 'zeros')).toBe('zeros');
    expect(optionEnum('op', 'paddingMode', 'reflect', modes, 'zeros')).toBe('reflect');
    expect(thrown(() => optionEnum('conv2d', 'paddingMode', 'reflection', modes, 'zeros')).message).toBe(
      "conv2d: paddingMode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 'reflection'; did you mean 'reflect'?",
    );
    expect(thrown(() => optionEnum('op', 'layout', 1, ['a', 'b'], 'a')).message).toBe(
      "op: layout must be 'a' or 'b', got number 1",
    );
  });

  it('optionIntList: a number or one entry per dim, each checked; strings never read as numbers', () => {
    const spec = { length: 2, min: 1, fallback: [1, 1] };
    expect(optionIntList('op', 'stride', undefined, spec)).toEqual([1, 1]);
    expect(optionIntList('op', 'stride', null, spec)).toEqual([1, 1]);
    expect(optionIntList('op', 'stride', 2, spec)).toEqual([2, 2]);
    expect(optionIntList('op', 'stride', [3], spec)).toEqual([3, 3]);
    expect(optionIntList('op', 'stride', [2, 3], spec)).toEqual([2, 3]);
    const expected = 'conv2d: stride must be a positive integer or 2 of them (one per spatial dim), got';
    for (const [bad, got] of [
      ['22', "'22'"],
      ['same', "'same'"],
      [{}, 'Object object'],
      [true, 'boolean true'],
      [2n, 'bigint 2n'],
      [[1, 2, 3], '[1, 2, 3]'],
      [[1, '2'], "[1, '2']"],
      [[0, 1], '[0, 1]'],
      [[], '[]'],
      [Number.NaN, 'NaN'],
    ] as const) {
      const e = thrown(() => optionIntList('conv2d', 'stride', bad, spec));
      expect(ArgumentError.isInstance(e)).toBe(true);
      expect(e.message).toBe(`${expected} ${got}`);
    }
  });

  it('isPlainObject and closestName', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject(new (class A {})())).toBe(false);
    expect(isPlainObject([])).toBe(false);
    expect(closestName('transa', ['transA', 'transB'])).toBe('transA');
    expect(closestName('kernel_size', ['kernelSize', 'stride'])).toBe('kernelSize');
    expect(closestName('q', ['a'])).toBeUndefined();
  });
});
