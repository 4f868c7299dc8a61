/**
 * Fuzz tests of @convkit/im2col's public functions (fast-check, fixed seeds): arguments and
 * option values valid most of the time and hostile otherwise. Each call must throw a typed
 * convkit error or return what a naive float64 reference gives (torch unfold by loops, the
 * adjoint identity for col2im, the naive convolution for convMatrix), within a per-call time
 * limit; each test checks that enough calls got past the argument checks.
 */
import {
  ArgumentError,
  assertClose,
  type ConvGeometry,
  ConvkitError,
  convGeometry,
  createRng,
  DEFAULT_MEMORY_LIMIT,
  setMemoryLimit,
  type Tensor,
} from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dot, naiveConv, naiveUnfold, sparseMatVec } from '../test/naive';
import { col2im } from './col2im';
import { col2imAccumulate } from './col2im-accumulate';
import { columnTiles, planColumnTiles } from './column-tiles';
import { convMatrix } from './conv-matrix';
import { im2col } from './im2col';
import { im2colInto } from './im2col-into';

const LIMIT_MS = 2000;
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
  fc.constantFrom(undefined, null, true, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 2 ** 53, -1, 0),
  fc.integer({ min: 0, max: 5 }),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.bigInt({ min: -2n, max: 2n }),
  fc.constantFrom(new Map(), {}, 'same', 'valid', 'reflect', 'channels-last', new Float32Array(3)),
);
const hostile = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), hostileScalar), { maxLength: 4 }),
  },
);
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 10, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

/** A channels-first input of 1-3 spatial dims and unfold options for it. */
const unfoldCase = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 3 }),
    spatial: fc.array(fc.integer({ min: 2, max: 6 }), { minLength: 1, maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain((p) => {
    const x = createRng(p.seed).normalTensor([p.batch, p.channels, ...p.spatial]);
    const options = fc.record(
      {
        kernelSize: mostly(fc.integer({ min: 1, max: 3 })),
        stride: mostly(fc.integer({ min: 1, max: 2 })),
        padding: mostly(fc.oneof(fc.integer({ min: 0, max: 1 }), fc.constantFrom('same', 'valid'))),
        dilation: mostly(fc.integer({ min: 1, max: 2 })),
        paddingMode: mostly(fc.constantFrom('zeros', 'reflect', 'replicate', 'circular')),
      },
      { requiredKeys: ['kernelSize'] },
    );
    return fc.tuple(
      mostly(fc.constant(x)),
      fc.oneof({ weight: 10, arbitrary: options }, { weight: 1, arbitrary: hostile }),
    );
  });

/** The geometry the read options describe, as the reference computes it. */
function geometryOf(x: Tensor, options: Record<string, never>): ConvGeometry {
  if (!(x instanceof Object) || !Array.isArray(x.shape) || typeof options !== 'object' || options === null) {
    // A hostile input or options: the reference has no geometry either (typedOr counts this as refused).
    throw new ArgumentError('fuzz: not a tensor');
  }
  return convGeometry({
    batch: x.shape[0]!,
    inChannels: x.shape[1]!,
    outChannels: 1,
    inputSpatial: x.shape.slice(2),
    kernelSize: options.kernelSize,
    stride: options.stride,
    padding: options.padding,
    dilation: options.dilation,
    paddingMode: options.paddingMode,
  });
}

describe('@convkit/im2col fuzz: typed error or the reference result', () => {
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
    expect(compared).toBeGreaterThan(5);
  });

  it('im2col(input, options) is torch unfold', () => {
    fc.assert(
      fc.property(unfoldCase, ([x, o]) =>
        typedOr(
          () => im2col(x as Tensor, o as never),
          (columns) => {
            const g = geometryOf(x as Tensor, o as never);
            assertClose(columns, Float32Array.from(naiveUnfold(x as Tensor, g)));
          },
        ),
      ),
      { numRuns: 100, seed: 11 },
    );
  });

  it('col2im(columns, options) is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
    fc.assert(
      fc.property(unfoldCase, mostly(fc.constant('fit')), ([x, o], c) =>
        typedOr(
          () => {
            const unfolded = im2col(x as Tensor, o as never);
            const columns = c === 'fit' ? createRng(3).normalTensor(unfolded.shape) : c;
            const outputSize = (x as Tensor).shape.slice(2);
            return {
              unfolded,
              columns: columns as Tensor,
              folded: col2im(columns as Tensor, { ...(o as object), outputSize } as never),
            };
          },
          ({ unfolded, columns, folded }) => {
            const left = dot(unfolded.toFloat32Array(), columns.toFloat32Array());
            const right = dot((x as Tensor).toFloat32Array(), folded.toFloat32Array());
            expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(left)));
          },
        ),
      ),
      { numRuns: 100, seed: 12 },
    );
  });

  it('im2colInto and col2imAccumulate(args) fill and fold a tile (column, channel and tap ranges)', () => {
    const cases = unfoldCase.chain(([x, o]) =>
      fc.tuple(
        fc.constant(x),
        fc.constant(o),
        fc.record({
          columnStart: mostly(fc.integer({ min: 0, max: 6 })),
          columnCount: mostly(fc.integer({ min: 0, max: 6 })),
          channelStart: mostly(fc.integer({ min: 0, max: 2 })),
          channelCount: mostly(fc.integer({ min: 0, max: 2 })),
          tapStart: mostly(fc.integer({ min: 0, max: 4 })),
          tapCount: mostly(fc.integer({ min: 0, max: 4 })),
        }),
      ),
    );
    fc.assert(
      fc.property(cases, ([x, o, range]) => {
        let g: ConvGeometry;
        try {
          g = geometryOf(x as Tensor, o as never);
        } catch (error) {
          if (!ConvkitError.isInstance(error)) throw error;
          return;
        }
        const input = (x as Tensor).toFloat32Array().subarray(0, g.inChannels * g.inputVolume);
        const tile = new Float32Array(200);
        typedOr(
          () => im2colInto({ geometry: g, input, columns: tile, ...(range as object) }),
          () => {
            const r = range as Record<string, number>;
            const channelStart = r.channelStart;
            const channelCount = r.channelCount;
            const tapStart = r.tapStart;
            const tapCount = r.tapCount;
            const full = naiveUnfold((x as Tensor).slice(0, 0, 1), g);
            let row = 0;
            for (let c = channelStart; c < channelStart + channelCount; c++) {
              for (let tap = tapStart; tap < tapStart + tapCount; tap++, row++) {
                for (let j = 0; j < r.columnCount; j++) {
                  const expected = full[(c * g.kernelVolume + tap) * g.outputVolume + r.columnStart + j]!;
                  expect(tile[row * r.columnCount + j]).toBeCloseTo(expected, 5);
                }
              }
            }
            // Adjoint: <tile, t> = <input, fold(t)> for the same ranges.
            const t = createRng(4).normalTensor([200]).data;
            const folded = new Float32Array(input.length);
            col2imAccumulate({ geometry: g, input: folded, columns: t, ...(range as object) });
            const used = row * r.columnCount;
            const left = dot(tile.subarray(0, used), t.subarray(0, used));
            const right = dot(input, folded);
            expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(left)));
          },
        );
      }),
      { numRuns: 150, seed: 13 },
    );
  });

  it('planColumnTiles and columnTiles(geometry, options) cover every column once within maxBytes', () => {
    const cases = unfoldCase.chain(([x, o]) =>
      fc.tuple(
        fc.constant(x),
        fc.constant(o),
        fc.record(
          {
            maxBytes: mostly(fc.integer({ min: 4, max: 400 })),
            channels: mostly(fc.integer({ min: 1, max: 3 })),
          },
          { requiredKeys: [] },
        ),
      ),
    );
    fc.assert(
      fc.property(cases, ([x, o, tileOptions]) => {
        let g: ConvGeometry;
        try {
          g = geometryOf(x as Tensor, o as never);
        } catch (error) {
          if (!ConvkitError.isInstance(error)) throw error;
          return;
        }
        typedOr(
          () => ({
            plan: planColumnTiles(g, tileOptions as never),
            tiles: [...columnTiles(g, tileOptions as never)],
          }),
          ({ plan, tiles }) => {
            const maxBytes = ((tileOptions as { maxBytes?: number }).maxBytes ??
              Number.POSITIVE_INFINITY) as number;
            expect(plan.bytesPerTile).toBeLessThanOrEqual(maxBytes);
            for (let n = 0; n < g.batch; n++) {
              const mine = tiles.filter((t) => t.sample === n);
              expect(mine.reduce((s, t) => s + t.columnCount, 0)).toBe(g.outputVolume);
            }
          },
        );
      }),
      { numRuns: 100, seed: 14 },
    );
  });

  it('convMatrix(weight, inputSpatial, options) times x is the naive convolution', () => {
    const cases = fc
      .record({
        inChannels: fc.integer({ min: 1, max: 2 }),
        outChannels: fc.integer({ min: 1, max: 2 }),
        spatial: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 2 }),
        kernel: fc.integer({ min: 1, max: 2 }),
        seed: fc.integer({ min: 0, max: 100 }),
      })
      .chain((p) => {
        const rng = createRng(p.seed);
        const weight = rng.normalTensor([p.outChannels, p.inChannels, ...p.spatial.map(() => p.kernel)]);
        const x = rng.normalTensor([1, p.inChannels, ...p.spatial]);
        return fc.tuple(
          mostly(fc.constant(weight)),
          mostly(fc.constant(p.spatial)),
          fc.constant(x),
          fc.record(
            {
              stride: mostly(fc.integer({ min: 1, max: 2 })),
              padding: mostly(fc.integer({ min: 0, max: 1 })),
              dilation: mostly(fc.constant(1)),
              maxElements: mostly(fc.constant(10_000)),
            },
            { requiredKeys: [] },
          ),
        );
      });
    fc.assert(
      fc.property(cases, ([weight, spatial, x, o]) =>
        typedOr(
          () => convMatrix(weight as Tensor, spatial as number[], o as never),
          (matrix) => {
            const w = weight as Tensor;
            const g = convGeometry({
              inChannels: w.shape[1]!,
              outChannels: w.shape[0]!,
              inputSpatial: spatial as number[],
              kernelSize: w.shape.slice(2),
              stride: (o as Record<string, never>).stride,
              padding: (o as Record<string, never>).padding,
              dilation: (o as Record<string, never>).dilation,
            });
            const y = sparseMatVec(matrix, x.toFloat32Array());
            assertClose(Float32Array.from(y), Float32Array.from(naiveConv(x, w, g)));
          },
        ),
      ),
      { numRuns: 100, seed: 15 },
    );
  });
});
