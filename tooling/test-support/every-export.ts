/**
 * describeEveryExport: the "every exported function" fuzz test every package runs. Each
 * function a package exports is called with arbitrary arguments (fast-check, fixed seed):
 * hostile values (null, strings, bigints, NaN, Infinity, huge numbers, Maps, symbols, nested
 * arrays, objects) mixed with a few valid tensors, geometries and specs. Each call must return
 * or throw a typed convkit error within a time limit, never a TypeError or RangeError from
 * inside; generators are iterated. The memory limit is lowered to 1 MiB meanwhile, so a
 * hostile size is refused instead of allocated. (Each package's fuzz tests beside it compare
 * results with references.)
 */
import { ConvkitError, convGeometry, setMemoryLimit, zeros } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface EveryExportOptions {
  /** The package, as the suite's title names it. */
  title: string;
  /** The package's module namespace (`import * as api from './index'`). */
  api: Record<string, unknown>;
  /** Only these names (default: every lowercase function export). */
  only?: readonly string[];
  /** Names left out, with the reason in the caller's comment. */
  skip?: readonly string[];
  /**
   * Helpers other convkit code calls with an op name (and argument names) it writes itself:
   * those argument positions stay strings ('op' at 0, `argumentN` elsewhere); the rest are arbitrary.
   */
  named?: Record<string, readonly number[]>;
  /** The test fails when fewer functions than this were found (guards against a vacuous run). */
  atLeast: number;
}

const LIMIT_MS = 2000;

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

function isGenerator(result: unknown): result is Iterable<unknown> {
  return (
    typeof result === 'object' &&
    result !== null &&
    Symbol.iterator in result &&
    typeof (result as Iterable<unknown>)[Symbol.iterator] === 'function' &&
    !Array.isArray(result) &&
    !ArrayBuffer.isView(result) &&
    'next' in result
  );
}

export function describeEveryExport(options: EveryExportOptions): void {
  const skip = options.skip ?? [];
  const named = options.named ?? {};
  const functions = Object.entries(options.api)
    .filter(
      ([name, f]) =>
        typeof f === 'function' &&
        !skip.includes(name) &&
        (options.only ? options.only.includes(name) : !/^[A-Z]/.test(name)),
    )
    .map(([name, f]) => {
      const fixed = named[name] ?? [];
      const call = (...args: unknown[]) => {
        for (const i of fixed) args[i] = i === 0 ? 'op' : `argument${i}`;
        return (f as (...a: unknown[]) => unknown)(...args);
      };
      return [name, call] as [string, (...args: unknown[]) => unknown];
    });

  describe(`${options.title}: every exported function gives a result or a typed error`, () => {
    let previous = 0;
    beforeAll(() => {
      previous = setMemoryLimit(1 << 20);
    });
    afterAll(() => {
      setMemoryLimit(previous);
    });

    it('exports functions to test', () => {
      expect(functions.length).toBeGreaterThanOrEqual(options.atLeast);
    });

    it.each(functions)('%s', (_name, f) => {
      fc.assert(
        fc.property(fc.array(value, { maxLength: 5 }), (generated) => {
          const start = performance.now();
          try {
            const result = f(...generated);
            if (isGenerator(result)) [...result];
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
}
