/**
 * Fuzz tests of @convkit/kernels-cpu's public ops (fast-check, fixed seeds): problems whose
 * input, weight and every option are valid most of the time and hostile (null, strings,
 * bigints, NaN, huge numbers, Maps, nested arrays...) otherwise. Each call must throw a typed
 * convkit error or return what the reference algorithm returns for the same call, within a
 * per-call time limit; each test also checks that enough calls reached the kernels. A small
 * memory limit turns huge requests into fast ResourceErrors.
 */
import {
  assertClose,
  ConvkitError,
  convGeometryFromShapes,
  createRng,
  DEFAULT_MEMORY_LIMIT,
  setMemoryLimit,
  type Tensor,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { conv, conv1d, conv2d, conv3d } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose, convTranspose1d, convTranspose2d, convTranspose3d } from './conv-transpose';
import { convTransposeBackward } from './conv-transpose-backward';
import { deformConv } from './deform-conv';
import { deformConvBackward } from './deform-conv-backward';
import { gemm } from './gemm';
import { gemmReference } from './gemm-reference';

const LIMIT_MS = 2000;
const RUNS = { numRuns: 60 };

/** Calls whose result was compared with the reference, per test. */
let compared = 0;

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
  compared++;
}

const hostileScalar = fc.oneof(
  fc.constantFrom(undefined, null, true, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 31, 2 ** 53, -1, 0),
  fc.integer({ min: 0, max: 4 }),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.bigInt({ min: -2n, max: 2n }),
  fc.constantFrom(
    new Map(),
    {},
    'same',
    'valid',
    'auto',
    'im2col',
    'reference',
    'zeros',
    'reflect',
    'channels-last',
  ),
);
const hostile = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), hostileScalar), { maxLength: 4 }),
  },
  {
    weight: 1,
    arbitrary: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
      maxLength: 3,
    }),
  },
);

/** Mostly `valid`, sometimes a hostile value instead. */
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

/** An input and a weight that fit each other in most draws, and the problem's groups. */
function problem(rank: number, transposed: boolean): fc.Arbitrary<[unknown, unknown, number]> {
  const dims = rank - 2;
  return fc
    .record({
      batch: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      inPerGroup: fc.integer({ min: 1, max: 2 }),
      outPerGroup: fc.integer({ min: 1, max: 2 }),
      spatial: fc.array(fc.integer({ min: 3, max: 6 }), { minLength: dims, maxLength: dims }),
      kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: dims, maxLength: dims }),
      seed: fc.integer({ min: 0, max: 1000 }),
    })
    .chain((p) => {
      const rng = createRng(p.seed);
      const inChannels = p.groups * p.inPerGroup;
      const outChannels = p.groups * p.outPerGroup;
      const x = rng.normalTensor([p.batch, inChannels, ...p.spatial]);
      const w = rng.normalTensor(
        transposed ? [inChannels, p.outPerGroup, ...p.kernel] : [outChannels, p.inPerGroup, ...p.kernel],
      );
      return fc.tuple(mostly(fc.constant(x)), mostly(fc.constant(w)), fc.constant(p.groups));
    });
}

/** Options whose keys each hold a valid value most of the time. */
function optionsFor(groups: number, transposed: boolean): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          stride: mostly(fc.integer({ min: 1, max: 2 })),
          padding: mostly(fc.oneof(fc.integer({ min: 0, max: 1 }), fc.constantFrom('same', 'valid'))),
          dilation: mostly(fc.integer({ min: 1, max: 2 })),
          groups: mostly(fc.constant(groups)),
          paddingMode: mostly(
            transposed ? fc.constant('zeros') : fc.constantFrom('zeros', 'reflect', 'replicate', 'circular'),
          ),
          algorithm: mostly(fc.constantFrom('auto', 'im2col', 'reference')),
          bias: fc.constantFrom(undefined, null),
          ...(transposed ? { outputPadding: mostly(fc.constant(0)) } : {}),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: hostile },
  );
}

/** The same options with algorithm 'reference' (or only that, for non-object options). */
function asReference(options: unknown): Record<string, unknown> {
  const plain =
    typeof options === 'object' && options !== null && !Array.isArray(options) && !(options instanceof Map);
  return { ...(plain ? (options as object) : {}), algorithm: 'reference' };
}

describe('@convkit/kernels-cpu fuzz: typed error or the reference result', () => {
  let previous = DEFAULT_MEMORY_LIMIT;
  beforeAll(() => {
    previous = setMemoryLimit(1 << 20);
  });
  afterAll(() => {
    setMemoryLimit(previous);
  });
  beforeEach(() => {
    compared = 0;
  });
  afterEach(() => {
    // The arbitraries must reach the kernels, not only the argument checks.
    expect(compared).toBeGreaterThan(5);
  });

  const forward: [string, (x: Tensor, w: Tensor, o: never) => Tensor, number][] = [
    ['conv', conv, 4],
    ['conv1d', conv1d, 3],
    ['conv2d', conv2d, 4],
    ['conv3d', conv3d, 5],
    ['convTranspose', convTranspose, 3],
    ['convTranspose1d', convTranspose1d, 3],
    ['convTranspose2d', convTranspose2d, 4],
    ['convTranspose3d', convTranspose3d, 5],
  ];
  for (const [name, op, rank] of forward) {
    it(`${name}(input, weight, options)`, () => {
      const transposed = name.startsWith('convTranspose');
      const cases = problem(rank, transposed).chain(([x, w, groups]) =>
        fc.tuple(fc.constant(x), fc.constant(w), optionsFor(groups, transposed)),
      );
      fc.assert(
        fc.property(cases, ([x, w, o]) =>
          typedOr(
            () => op(x as Tensor, w as Tensor, o as never),
            (y) => {
              // The options were accepted, so the same call on the reference kernels is too.
              const reference = op(x as Tensor, w as Tensor, asReference(o) as never);
              expect(y.shape).toEqual(reference.shape);
              assertClose(y, reference);
            },
          ),
        ),
        { ...RUNS, seed: rank * 101 + name.length },
      );
    });
  }

  for (const transposed of [false, true]) {
    const name = transposed ? 'convTransposeBackward' : 'convBackward';
    it(`${name}(gradOutput, input, weight, options)`, () => {
      const forwardOp = transposed ? convTranspose : conv;
      const backwardOp = transposed ? convTransposeBackward : convBackward;
      const cases = problem(4, transposed).chain(([x, w, groups]) =>
        fc.tuple(fc.constant(x), fc.constant(w), optionsFor(groups, transposed), mostly(fc.constant('fit'))),
      );
      fc.assert(
        fc.property(cases, ([x, w, o, g]) => {
          let gradOutput: unknown = g;
          if (g === 'fit') {
            try {
              gradOutput = createRng(5).normalTensor(forwardOp(x as Tensor, w as Tensor, o as never).shape);
            } catch (error) {
              if (!ConvkitError.isInstance(error)) throw error;
            }
          }
          typedOr(
            () => backwardOp(gradOutput as Tensor, x as Tensor, w as Tensor, o as never),
            (grads) => {
              const reference = backwardOp(
                gradOutput as Tensor,
                x as Tensor,
                w as Tensor,
                asReference(o) as never,
              );
              assertClose(grads.gradInput, reference.gradInput);
              assertClose(grads.gradWeight, reference.gradWeight);
              assertClose(grads.gradBias, reference.gradBias);
            },
          );
        }),
        { ...RUNS, seed: transposed ? 78 : 77 },
      );
    });
  }

  it('deformConv and deformConvBackward(…, offset, options)', () => {
    const options = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record(
          {
            stride: mostly(fc.integer({ min: 1, max: 2 })),
            padding: mostly(fc.integer({ min: 0, max: 1 })),
            dilation: mostly(fc.constant(1)),
            algorithm: mostly(fc.constantFrom('auto', 'im2col', 'reference')),
            withMask: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: hostile },
    );
    const cases = problem(4, false).chain(([x, w, groups]) =>
      fc.tuple(fc.constant(x), fc.constant(w), fc.constant(groups), options, mostly(fc.constant('fit'))),
    );
    fc.assert(
      fc.property(cases, ([x, w, groups, raw, off]) => {
        let o: unknown = raw;
        let offset: unknown = off;
        if (typeof raw === 'object' && raw !== null && 'withMask' in raw) {
          const { withMask, ...rest } = raw as Record<string, unknown>;
          o = { ...rest, groups };
          if (off === 'fit' && x instanceof Object && w instanceof Object) {
            // An offset (and mask) of the shape the geometry asks for, so sampling runs too.
            try {
              const { stride, padding, dilation } = rest as Record<string, never>;
              const g = convGeometryFromShapes({
                inputShape: (x as Tensor).shape,
                weightShape: (w as Tensor).shape,
                stride,
                padding,
                dilation,
                groups,
              });
              const taps = g.kernelVolume;
              offset = createRng(8).normalTensor([g.batch, 2 * taps, ...g.outputSpatial]);
              if (withMask)
                o = {
                  ...(o as object),
                  mask: createRng(9).normalTensor([g.batch, taps, ...g.outputSpatial]),
                };
            } catch (error) {
              if (!ConvkitError.isInstance(error)) throw error;
            }
          }
        }
        let gradOutput: Tensor | undefined;
        typedOr(
          () => deformConv(x as Tensor, w as Tensor, offset as Tensor, o as never),
          (y) => {
            assertClose(y, deformConv(x as Tensor, w as Tensor, offset as Tensor, asReference(o) as never));
            gradOutput = createRng(9).normalTensor(y.shape);
          },
        );
        if (gradOutput) {
          const g = gradOutput;
          typedOr(
            () => deformConvBackward(g, x as Tensor, w as Tensor, offset as Tensor, o as never),
            (grads) => {
              const reference = deformConvBackward(
                g,
                x as Tensor,
                w as Tensor,
                offset as Tensor,
                asReference(o) as never,
              );
              assertClose(grads.gradInput, reference.gradInput);
              assertClose(grads.gradWeight, reference.gradWeight);
              assertClose(grads.gradOffset, reference.gradOffset);
            },
          );
        }
      }),
      { ...RUNS, seed: 88 },
    );
  });

  it('gemm(m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, options)', () => {
    const cases = fc
      .record({
        m: fc.integer({ min: 0, max: 6 }),
        n: fc.integer({ min: 0, max: 6 }),
        k: fc.integer({ min: 0, max: 6 }),
        transA: fc.boolean(),
        transB: fc.boolean(),
        pad: fc.integer({ min: 0, max: 2 }),
        seed: fc.integer({ min: 0, max: 1000 }),
      })
      .chain((p) => {
        const rng = createRng(p.seed);
        const [aRows, aCols] = p.transA ? [p.k, p.m] : [p.m, p.k];
        const [bRows, bCols] = p.transB ? [p.n, p.k] : [p.k, p.n];
        const lda = Math.max(1, aCols) + p.pad;
        const ldb = Math.max(1, bCols) + p.pad;
        const ldc = Math.max(1, p.n) + p.pad;
        const a = rng.normalTensor([aRows * lda + p.pad]).data;
        const b = rng.normalTensor([bRows * ldb + p.pad]).data;
        const c = rng.normalTensor([p.m * ldc + p.pad]).data;
        const options = fc.record(
          {
            transA: mostly(fc.constant(p.transA)),
            transB: mostly(fc.constant(p.transB)),
            alpha: mostly(fc.double({ min: -2, max: 2, noNaN: true })),
            beta: mostly(fc.constantFrom(0, 1, 0.5)),
          },
          { requiredKeys: [] },
        );
        return fc.tuple(
          mostly(fc.constant(p.m)),
          mostly(fc.constant(p.n)),
          mostly(fc.constant(p.k)),
          mostly(fc.constant(a)),
          mostly(fc.constant(p.pad)),
          mostly(fc.constant(lda)),
          mostly(fc.constant(b)),
          mostly(fc.constant(0)),
          mostly(fc.constant(ldb)),
          fc.constant(c),
          mostly(fc.constant(0)),
          mostly(fc.constant(ldc)),
          options,
        );
      });
    fc.assert(
      fc.property(cases, (args) => {
        const c = args[9];
        const before = c.slice();
        typedOr(
          () => gemm(...(args as unknown as Parameters<typeof gemm>)),
          () => {
            const expected = before.slice();
            const call = [...args] as unknown as Parameters<typeof gemm>;
            call[9] = expected;
            gemmReference(...call);
            assertClose(c, expected);
          },
        );
      }),
      { numRuns: 200, seed: 99 },
    );
  });
});
