/**
 * Fuzz tests of @convkit/analysis's public functions (fast-check, fixed seeds): layer specs
 * and arguments whose fields are valid most of the time and hostile otherwise. Each call must
 * throw a typed convkit error or return what the textbook formulas give (PyTorch's output
 * size, C_out * C_in/g * prod(k) parameters, MACs, the separable ratio 1/N + 1/K^2...),
 * within a per-call time limit; the CLI must answer with exit 0 or one line and exit 1/2.
 */
import { ConvkitError } from '@convkit/tensor';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeLayer } from './analyze-layer';
import { analyzeModel } from './analyze-model';
import { noPaddingNonUnitStrides } from './dumoulin-visin';
import { hybridDilationCheck } from './hybrid-dilation';
import { inputCoverage } from './input-coverage';
import type { LayerSpec } from './layer-spec';
import { receptiveField } from './receptive-field';
import { runCli } from './run-cli';
import { separableCost } from './separable-cost';
import { formatCount, summary } from './summary';

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
  fc.constantFrom(
    undefined,
    null,
    true,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 31,
    2 ** 53,
    1e308,
    -1,
    0,
  ),
  fc.integer({ min: 0, max: 5 }),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.constantFrom({}, 'same', 'valid', 'Conv2d', 'ReLU', []),
);
const hostile = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 3 }) },
);
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 10, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

/** A Conv2d spec and an input for it, fields mostly valid. */
const convCase = fc
  .record({
    inChannels: fc.integer({ min: 1, max: 4 }),
    outChannels: fc.integer({ min: 1, max: 4 }),
    size: fc.integer({ min: 3, max: 12 }),
    batch: fc.integer({ min: 1, max: 3 }),
  })
  .chain((p) =>
    fc.tuple(
      fc.record(
        {
          type: mostly(fc.constant('Conv2d')),
          inChannels: mostly(fc.constant(p.inChannels)),
          outChannels: mostly(fc.constant(p.outChannels)),
          kernelSize: mostly(fc.integer({ min: 1, max: 3 })),
          stride: mostly(fc.integer({ min: 1, max: 3 })),
          padding: mostly(fc.integer({ min: 0, max: 2 })),
          dilation: mostly(fc.integer({ min: 1, max: 2 })),
          bias: mostly(fc.boolean()),
        },
        { requiredKeys: ['type', 'inChannels', 'outChannels', 'kernelSize'] },
      ),
      mostly(fc.constant([p.batch, p.inChannels, p.size, p.size])),
    ),
  );

describe('@convkit/analysis fuzz: typed error or the textbook result', () => {
  beforeEach(() => {
    compared = 0;
  });
  afterEach(() => {
    expect(compared).toBeGreaterThan(5);
  });

  it('analyzeLayer(spec, inputShape) of a Conv2d: PyTorch output size, params and MACs', () => {
    fc.assert(
      fc.property(convCase, ([spec, input]) =>
        typedOr(
          () => analyzeLayer(spec as LayerSpec, input as number[]),
          (a) => {
            const s = spec as unknown as Record<string, number & boolean>;
            const [k, st, p, d] = [s.kernelSize, s.stride ?? 1, s.padding ?? 0, s.dilation ?? 1];
            const size = (input as number[])[2]!;
            const out = Math.floor((size + 2 * p - d * (k - 1) - 1) / st) + 1;
            expect(a.outputShape).toEqual([(input as number[])[0], s.outChannels, out, out]);
            expect(a.params).toBe(
              s.outChannels * s.inChannels * k * k + (s.bias === false ? 0 : s.outChannels),
            );
            expect(a.macs).toBe(s.outChannels * out * out * s.inChannels * k * k);
            expect(a.flops).toBe(2 * a.macs);
          },
        ),
      ),
      { numRuns: 150, seed: 21 },
    );
  });

  it('analyzeModel, summary, receptiveField, inputCoverage on stacks of such layers', () => {
    const stack = fc.array(convCase, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(stack, mostly(fc.constantFrom('text', 'markdown', 'json')), (cases, format) => {
        // Chain the channels so that most stacks fit together.
        const specs = cases.map(([spec], i) =>
          i === 0 || typeof spec !== 'object' || spec === null
            ? spec
            : { ...spec, inChannels: (cases[i - 1]![0] as { outChannels: unknown }).outChannels },
        );
        const input = cases[0]![1];
        typedOr(
          () => analyzeModel(specs as LayerSpec[], input as number[]),
          (model) => {
            const leaves = model.layers.filter((l) => l.leaf);
            expect(model.totalParams).toBe(leaves.reduce((s, l) => s + l.params, 0));
            expect(model.totalMacs).toBe(leaves.reduce((s, l) => s + l.macs, 0));
          },
        );
        typedOr(
          () => summary(specs as LayerSpec[], input as number[], { format: format as never }),
          (text) => expect(typeof text).toBe('string'),
        );
        typedOr(
          () => receptiveField(specs as LayerSpec[], input as number[]),
          (field) => {
            for (const layer of field.layers) {
              for (const f of layer.dims) expect(Number.isFinite(f.size) && f.size >= 1).toBe(true);
            }
          },
        );
        typedOr(
          () => inputCoverage(specs as LayerSpec[], input as number[]),
          (coverage) => expect(coverage.count).toBe(coverage.mask.reduce((s: number, v: number) => s + v, 0)),
        );
      }),
      { numRuns: 100, seed: 22 },
    );
  });

  it('separableCost, noPaddingNonUnitStrides, hybridDilationCheck, formatCount', () => {
    const args = fc.record(
      {
        inputSpatial: mostly(fc.array(fc.integer({ min: 3, max: 16 }), { minLength: 2, maxLength: 2 })),
        kernelSize: mostly(fc.integer({ min: 1, max: 3 })),
        inChannels: mostly(fc.integer({ min: 1, max: 8 })),
        outChannels: mostly(fc.integer({ min: 1, max: 8 })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        args,
        fc.array(mostly(fc.integer({ min: 1, max: 5 })), { maxLength: 4 }),
        hostile,
        (a, rates, n) => {
          typedOr(
            () => separableCost(a as never),
            (cost) => {
              const { inChannels: m, outChannels: out, kernelSize: k } = a as Record<string, number>;
              const taps = k ** (a as { inputSpatial: number[] }).inputSpatial.length;
              expect(cost.paramsRatio).toBeCloseTo((m * taps + m * out) / (m * out * taps), 10);
            },
          );
          typedOr(
            () =>
              noPaddingNonUnitStrides({
                inputSize: (a as { inChannels: number }).inChannels,
                kernelSize: 1,
                stride: 2,
              }),
            (o) => expect(o).toBe(Math.floor(((a as { inChannels: number }).inChannels - 1) / 2) + 1),
          );
          typedOr(
            () => hybridDilationCheck(rates as number[]),
            (check) => expect(check.rates).toEqual(rates),
          );
          typedOr(
            () => formatCount(n as number),
            (text) => expect(text.replace(/,/g, '')).toBe(String(n)),
          );
        },
      ),
      { numRuns: 150, seed: 23 },
    );
  });

  it('runCli(argv, io): exit 0 with a report, or one line on stderr and exit 1 or 2', () => {
    const argv = fc.array(
      fc.oneof(
        fc.constantFrom(
          'm.json',
          '--input',
          '1,2,8,8',
          '--format',
          'json',
          '--rf',
          '--depth',
          '0',
          '-v',
          '--help',
          '--input=1,2,4,4',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 5 },
    );
    const file = fc.oneof(
      convCase.map(([spec]) => JSON.stringify([{ ...(spec as object), inChannels: 2 }])),
      fc.string({ maxLength: 8 }),
      fc.constant('{"input":[1,2,8,8],"layers":[{"type":"ReLU"}]}'),
    );
    fc.assert(
      fc.property(argv, file, (args, text) => {
        const out: string[] = [];
        const err: string[] = [];
        const start = performance.now();
        const status = runCli(args, {
          readFile: () => text,
          stdout: (t) => out.push(t),
          stderr: (t) => err.push(t),
        });
        expect(performance.now() - start).toBeLessThan(LIMIT_MS);
        if (status === 0) {
          expect(err.join('')).toBe('');
          compared++;
        } else {
          expect([1, 2]).toContain(status);
          expect(err.join('').trimEnd().split('\n')).toHaveLength(1);
        }
      }),
      { numRuns: 200, seed: 24 },
    );
  });
});
