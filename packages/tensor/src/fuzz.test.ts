/**
 * Fuzz tests of @convkit/tensor's public functions (fast-check, fixed seeds): every argument
 * and option is drawn from hostile values (null, strings, bigints, NaN, Infinity, huge and
 * negative numbers, Maps, nested arrays...) mixed with valid ones, and each call must either
 * throw a typed convkit error or return what a plain reference computation gives, within a
 * per-call time limit. A small memory limit keeps huge requests fast refusals.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allclose, maxAbsDiff } from './allclose';
import { checkAllocation } from './check-allocation';
import { resolveConvCall } from './conv-call';
import { convGeometry, convGeometryFromShapes } from './conv-geometry';
import { ConvkitError } from './errors';
import { DEFAULT_MEMORY_LIMIT, getMemoryLimit, setMemoryLimit } from './memory-limit';
import { paddedIndex } from './padded-index';
import { optionIntList, readOptions } from './read-options';
import { createRng } from './rng';
import { arange, full, ones, Tensor, tensor, zeros } from './tensor';

/** A call may take this long at most (the inputs are small; anything slower is a bug). */
const LIMIT_MS = 1000;
const RUNS = { numRuns: 150 };

/** Runs `call`: a convkit error passes; any other throw fails; a result goes to `check`. */
function typedOr<T>(call: () => T, check: (result: T) => void): void {
  const start = performance.now();
  let result: T;
  try {
    result = call();
  } catch (error) {
    if (!ConvkitError.isInstance(error)) throw error;
    return;
  } finally {
    expect(performance.now() - start).toBeLessThan(LIMIT_MS);
  }
  check(result);
}

const hostileScalar = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    true,
    false,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 31,
    2 ** 53,
    1e308,
    -1,
  ),
  fc.integer({ min: -3, max: 12 }),
  fc.double({ noDefaultInfinity: false }),
  fc.string({ maxLength: 4 }),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.constantFrom(new Map(), new Float32Array(2), Symbol('s'), () => 1, {}, Object.create(null)),
);
const hostile = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 2, arbitrary: fc.array(hostileScalar, { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }), { maxLength: 3 }),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), hostileScalar, { maxKeys: 3 }) },
);
/** Mostly valid shapes, sometimes hostile ones. */
const shape = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: hostile },
);
const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('@convkit/tensor fuzz: typed error or the reference result', () => {
  let previous = DEFAULT_MEMORY_LIMIT;
  beforeAll(() => {
    previous = setMemoryLimit(1 << 20);
  });
  afterAll(() => {
    setMemoryLimit(previous);
  });

  it('tensor(values, shape)', () => {
    const values = fc.oneof(fc.array(fc.oneof(fc.float(), hostileScalar), { maxLength: 12 }), hostile);
    fc.assert(
      fc.property(values, shape, (v, s) =>
        typedOr(
          () => tensor(v as never, s as never),
          (t) => {
            expect(t.shape).toEqual(s);
            expect(Array.from(t.toFloat32Array())).toEqual(Array.from(Float32Array.from(v as number[])));
          },
        ),
      ),
      { ...RUNS, seed: 1 },
    );
  });

  it('zeros, ones, full, createRng().uniformTensor/normalTensor', () => {
    fc.assert(
      fc.property(shape, hostile, hostile, (s, a, b) => {
        typedOr(
          () => zeros(s as never),
          (t) =>
            expect(t.toFloat32Array().every((x) => x === 0) && t.size === product(s as number[])).toBe(true),
        );
        typedOr(
          () => ones(s as never),
          (t) => expect(t.toFloat32Array().every((x) => x === 1)).toBe(true),
        );
        typedOr(
          () => full(s as never, a as never),
          (t) => expect(t.toFloat32Array().every((x) => Object.is(x, Math.fround(a as number)))).toBe(true),
        );
        typedOr(
          () => createRng(1).uniformTensor(s as never, a as never, b as never),
          (t) => {
            const [lo, hi] = [a ?? 0, b ?? 1] as [number, number];
            expect(t.toFloat32Array().every((x) => x >= Math.fround(lo) && x <= Math.fround(hi))).toBe(true);
          },
        );
        typedOr(
          () => createRng(1).normalTensor(s as never, a as never, b as never),
          (t) => expect(t.size).toBe(product(s as number[])),
        );
      }),
      { ...RUNS, seed: 2 },
    );
  });

  it('arange(start, end, step)', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (a, b, c) =>
        typedOr(
          () => arange(a as never, b as never, c as never),
          (t) => {
            const [start, end, step] =
              b === undefined
                ? [0, a as number, (c as number) ?? 1]
                : [a as number, b as number, (c as number) ?? 1];
            const length = Math.max(0, Math.ceil((end - start) / step));
            expect(t.shape).toEqual([length]);
            for (let i = 0; i < length; i++) expect(t.data[i]).toBe(Math.fround(start + i * step));
          },
        ),
      ),
      { ...RUNS, seed: 3 },
    );
  });

  it('new Tensor(data, shape, strides, offset) and its views', () => {
    const base = tensor(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    fc.assert(
      fc.property(shape, hostile, hostile, hostile, hostile, (s, strides, offset, p, q) => {
        typedOr(
          () => new Tensor(new Float32Array(24), s as never, strides as never, offset as never),
          (t) => expect(t.shape).toEqual(s),
        );
        typedOr(
          () => base.reshape(s as never),
          (t) => expect(Array.from(t.toFloat32Array())).toEqual(Array.from(base.toFloat32Array())),
        );
        typedOr(
          () => base.permute(p as never),
          (t) => {
            const order = p as number[];
            expect(t.shape).toEqual(order.map((d) => base.shape[d]));
            expect(t.get(0, 0, 0)).toBe(0);
          },
        );
        typedOr(
          () => base.transpose(p as never, q as never),
          (t) => expect(t.size).toBe(24),
        );
        typedOr(
          () => base.slice(p as never, q as never),
          (t) => expect(t.shape.length).toBe(3),
        );
        typedOr(
          () => base.squeeze(p as never),
          (t) => expect(t.size).toBe(24),
        );
        typedOr(
          () => base.unsqueeze(p as never),
          (t) => expect(t.shape.length).toBe(4),
        );
        typedOr(
          () => base.get(...((Array.isArray(s) ? s : [s]) as number[])),
          (v) => {
            const [i, j, k] = s as number[];
            expect(v).toBe(i! * 12 + j! * 4 + k!);
          },
        );
      }),
      { ...RUNS, seed: 4 },
    );
  });

  it('convGeometry and convGeometryFromShapes', () => {
    const args = fc.record(
      {
        inChannels: fc.oneof(fc.integer({ min: 1, max: 4 }), hostile),
        outChannels: fc.oneof(fc.integer({ min: 1, max: 4 }), hostile),
        inputSpatial: fc.oneof(
          fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
          hostile,
        ),
        kernelSize: fc.oneof(fc.integer({ min: 1, max: 4 }), hostile),
        stride: hostile,
        padding: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('same', 'valid'), hostile),
        dilation: hostile,
        groups: hostile,
        paddingMode: fc.oneof(fc.constantFrom('zeros', 'reflect', 'replicate', 'circular'), hostile),
        layout: hostile,
        transposed: fc.oneof(fc.boolean(), hostile),
        outputPadding: hostile,
      },
      { requiredKeys: ['inChannels', 'outChannels', 'inputSpatial', 'kernelSize'] },
    );
    fc.assert(
      fc.property(args, (a) => {
        typedOr(
          () => convGeometry(a as never),
          (g) => {
            // The reference: PyTorch's formulas per dim from the resolved hyper-parameters.
            for (let d = 0; d < g.dims; d++) {
              const padded = g.inputSpatial[d]! + g.padBefore[d]! + g.padAfter[d]!;
              const expected = g.transposed
                ? (g.inputSpatial[d]! - 1) * g.stride[d]! -
                  g.padBefore[d]! -
                  g.padAfter[d]! +
                  g.kernelExtent[d]! +
                  g.outputPadding[d]!
                : Math.floor((padded - g.kernelExtent[d]!) / g.stride[d]!) + 1;
              expect(g.outputSpatial[d]).toBe(expected);
            }
            expect(Object.isFrozen(g)).toBe(true);
          },
        );
        typedOr(
          () =>
            convGeometryFromShapes({
              inputShape: [
                1,
                a.inChannels,
                ...((Array.isArray(a.inputSpatial) ? a.inputSpatial : []) as number[]),
              ],
              weightShape: [a.outChannels, a.inChannels, 3, 3],
              stride: a.stride,
              padding: a.padding,
            } as never),
          (g) => expect(g.weightShape).toEqual([a.outChannels, a.inChannels, 3, 3]),
        );
      }),
      { ...RUNS, seed: 5 },
    );
  });

  it('allclose and maxAbsDiff', () => {
    const values = fc.oneof(fc.array(fc.double(), { maxLength: 4 }), hostile);
    const options = fc.oneof(
      fc.record({ atol: hostile, rtol: hostile, equalNan: hostile }, { requiredKeys: [] }),
      hostile,
    );
    fc.assert(
      fc.property(values, values, options, (a, b, o) => {
        typedOr(
          () => allclose(a as never, b as never, o as never),
          (ok) => {
            const x = Float32Array.from(a as number[]);
            const y = Float32Array.from(b as number[]);
            expect(x.length).toBe(y.length);
            const {
              atol = 1e-4,
              rtol = 1e-4,
              equalNan = true,
            } = (o ?? {}) as Record<string, number & boolean>;
            const close = (p: number, q: number) =>
              Number.isNaN(p) || Number.isNaN(q)
                ? equalNan && Number.isNaN(p) && Number.isNaN(q)
                : !Number.isFinite(p) || !Number.isFinite(q)
                  ? p === q
                  : Math.abs(p - q) <= atol + rtol * Math.abs(q);
            expect(ok).toBe(Array.from(x).every((p, i) => close(p, Number(y[i]))));
          },
        );
        typedOr(
          () => maxAbsDiff(a as never, b as never),
          (d) => expect(typeof d).toBe('number'),
        );
      }),
      { ...RUNS, seed: 6 },
    );
  });

  it('paddedIndex(position, size, mode)', () => {
    fc.assert(
      fc.property(
        hostile,
        hostile,
        fc.oneof(fc.constantFrom('zeros', 'reflect', 'replicate', 'circular'), hostile),
        (p, n, m) =>
          typedOr(
            () => paddedIndex(p as never, n as never, m as never),
            (i) => {
              const position = p as number;
              const size = n as number;
              if (position >= 0 && position < size) expect(i).toBe(position);
              else if (m === 'zeros') expect(i).toBe(-1);
              else if (m === 'replicate') expect(i).toBe(position < 0 ? 0 : size - 1);
              else if (m === 'circular') expect(i).toBe(((position % size) + size) % size);
              else expect(i >= 0 && i < size).toBe(true);
            },
          ),
      ),
      { ...RUNS, seed: 7 },
    );
  });

  it('readOptions, optionIntList, checkAllocation, setMemoryLimit', () => {
    fc.assert(
      fc.property(hostile, hostile, shape, (o, v, s) => {
        typedOr(
          () => readOptions('op', o, ['a', 'b']),
          (r) => {
            for (const key of Object.keys(r)) expect(['a', 'b']).toContain(key);
          },
        );
        typedOr(
          () => optionIntList('op', 'x', v, { length: 2, min: 0, fallback: [0, 0] }),
          (list) =>
            expect(list.length === 2 && list.every((e) => Number.isSafeInteger(e) && e >= 0)).toBe(true),
        );
        typedOr(
          () => checkAllocation('op', 'b', s as never),
          (count) => expect(count).toBe(product(s as number[])),
        );
        const before = getMemoryLimit();
        typedOr(
          () => setMemoryLimit(v as never),
          (old) => {
            expect(old).toBe(before);
            setMemoryLimit(before);
          },
        );
      }),
      { ...RUNS, seed: 8 },
    );
  });

  it('resolveConvCall(op, input, weight, options)', () => {
    const x = zeros([1, 2, 5, 5]);
    const w = zeros([3, 2, 3, 3]);
    const options = fc.oneof(
      fc.record(
        {
          stride: hostile,
          padding: hostile,
          dilation: hostile,
          groups: hostile,
          bias: hostile,
          layout: hostile,
          algorithm: hostile,
          paddingMode: hostile,
        },
        { requiredKeys: [] },
      ),
      hostile,
    );
    fc.assert(
      fc.property(fc.oneof(fc.constant(x), hostile), fc.oneof(fc.constant(w), hostile), options, (i, k, o) =>
        typedOr(
          () => resolveConvCall('conv2d', i, k, o),
          (call) => expect(call.geometry.outChannels).toBe(3),
        ),
      ),
      { ...RUNS, seed: 9 },
    );
  });
});
