/**
 * Every function @convkit/kernels-cpu (its ops and gemm) exports, called with arbitrary arguments (fast-check, fixed seed):
 * hostile values (null, strings, bigints, NaN, Infinity, huge numbers, Maps, symbols, nested
 * arrays, objects) mixed with a few valid tensors and geometries. Each call must return or
 * throw a typed convkit error, within a time limit; never a TypeError or RangeError from
 * inside. (The fuzz tests beside this one compare results with references.)
 */
import { ConvkitError, convGeometry, DEFAULT_MEMORY_LIMIT, setMemoryLimit, zeros } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from './index';

const LIMIT_MS = 2000;
const SKIP: readonly string[] = [];
/** The op layer (the algorithm registry, WebAssembly runtime and prepared weights have their own tests). */
const OPS: readonly string[] = [
  'conv',
  'conv1d',
  'conv2d',
  'conv3d',
  'convTranspose',
  'convTranspose1d',
  'convTranspose2d',
  'convTranspose3d',
  'convBackward',
  'convTransposeBackward',
  'deformConv',
  'deformConvBackward',
  'gemm',
];

const valid = fc.constantFrom(
  zeros([1, 2, 4, 4]),
  zeros([3, 2, 3, 3]),
  zeros([2]),
  convGeometry({ inChannels: 2, outChannels: 3, inputSpatial: [4, 4], kernelSize: 3 }),
  [1, 2, 4, 4],
  { kernelSize: 3 },
  { type: 'Conv2d', inChannels: 2, outChannels: 3, kernelSize: 3 },
  [{ type: 'ReLU' }],
  new Float32Array(8),
  'op',
  2,
);
const hostileScalar = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    true,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 31,
    2 ** 53,
    1e308,
    -1,
  ),
  fc.integer({ min: -2, max: 6 }),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.bigInt({ min: -2n, max: 2n }),
  fc.constantFrom(new Map(), {}, Object.create(null), Symbol('s'), () => 1, new Uint8Array(2)),
);
const value = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 2, arbitrary: valid },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(hostileScalar, fc.integer({ min: 0, max: 3 })), { maxLength: 4 }),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), hostileScalar, { maxKeys: 2 }) },
);

/**
 * Helpers other convkit code calls with an op name (and argument names) it writes itself:
 * those stay strings, and every other argument is arbitrary.
 */
const NAMED: Record<string, readonly number[]> = {};

const functions = Object.entries(api)
  .filter(([name, f]) => typeof f === 'function' && OPS.includes(name) && !SKIP.includes(name))
  .map(([name, f]) => {
    const fixed = NAMED[name] ?? [];
    const call = (...args: unknown[]) => {
      for (const i of fixed) args[i] = i === 0 ? 'op' : `argument${i}`;
      return (f as (...a: unknown[]) => unknown)(...args);
    };
    return [name, call] as [string, (...args: unknown[]) => unknown];
  });

describe('@convkit/kernels-cpu (its ops and gemm): every exported function gives a result or a typed error', () => {
  let previous = DEFAULT_MEMORY_LIMIT;
  beforeAll(() => {
    previous = setMemoryLimit(1 << 20);
  });
  afterAll(() => {
    setMemoryLimit(previous);
  });

  it('exports functions to test', () => {
    expect(functions.length).toBeGreaterThan(12);
  });

  it.each(functions)('%s', (_name, f) => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 5 }), (generated) => {
        const args = [...generated];
        const start = performance.now();
        try {
          const result = f(...args);
          // Generators (columnTiles) run when iterated.
          if (
            result &&
            typeof result === 'object' &&
            Symbol.iterator in result &&
            typeof (result as Iterable<unknown>)[Symbol.iterator] === 'function' &&
            !Array.isArray(result) &&
            !ArrayBuffer.isView(result) &&
            'next' in result
          ) {
            [...(result as Iterable<unknown>)];
          }
        } catch (error) {
          if (!ConvkitError.isInstance(error)) throw error;
        } finally {
          expect(performance.now() - start).toBeLessThan(LIMIT_MS);
        }
      }),
      { numRuns: 120, seed: 1414 },
    );
  });
});
