/**
 * Runs the PyTorch golden fixtures (tooling/goldens/{conv,conv-transpose,deform-conv}.json,
 * written by tooling/goldens/gen_conv.py) through the CPU ops: every case's output, and for
 * cases with a gradOutput, every gradient the fixture holds, compared with assertClose at the
 * convkit contract (atol = rtol = 1e-4). Convolution and transposed convolution cases also run
 * in the channels-last layout (input permuted to N...C, results permuted back).
 *
 * Every algorithm in ALGORITHMS runs every case; a new algorithm is one more entry.
 */
import { assertClose, type Tensor, UnsupportedError } from '@convkit/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GoldenCase, loadGoldens } from '../../../tooling/goldens/load';
import {
  CONV_ALGORITHMS,
  conv,
  convBackward,
  convTranspose,
  convTransposeBackward,
  DEFORM_CONV_ALGORITHMS,
  deformConv,
  deformConvBackward,
  initWasmSync,
  wasmSupport,
} from '../src/index';

/**
 * The runs that must reproduce every golden case: each algorithm, and the WebAssembly one in
 * both of its builds (the relaxed SIMD build where this engine validates it: Node 20 needs
 * --experimental-wasm-relaxed-simd, which `pnpm test` passes; without it those runs are
 * reported as skipped, never silently dropped).
 */
/** Algorithms written in TypeScript: one run each; every other algorithm runs WebAssembly, once per build. */
const TYPESCRIPT_ALGORITHMS = new Set(['reference', 'im2col']);
type Run = { algorithm: string; build: 'simd' | 'relaxed-simd' | null };
const RUNS: readonly Run[] = CONV_ALGORITHMS.flatMap((algorithm): Run[] =>
  TYPESCRIPT_ALGORITHMS.has(algorithm)
    ? [{ algorithm, build: null }]
    : [
        { algorithm, build: 'simd' },
        { algorithm, build: 'relaxed-simd' },
      ],
);

/** Layouts the conv and convTranspose cases run in (deformConv is channels-first only). */
const LAYOUTS = ['channels-first', 'channels-last'] as const;
type LayoutName = (typeof LAYOUTS)[number];

const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

const convCases = loadGoldens('conv').cases;
const convTransposeCases = loadGoldens('conv-transpose').cases;
const deformConvCases = loadGoldens('deform-conv').cases;

/** [N, C, ...spatial] -> [N, ...spatial, C], contiguous (what a channels-last caller holds). */
function toChannelsLast(t: Tensor): Tensor {
  const rank = t.shape.length;
  return t.permute([0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1]).contiguous();
}

/** [N, ...spatial, C] -> [N, C, ...spatial] (a view; assertClose reads it in logical order). */
function fromChannelsLast(t: Tensor): Tensor {
  const rank = t.shape.length;
  return t.permute([0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)]);
}

function required(c: GoldenCase, name: string): Tensor {
  const t = c.tensors[name];
  if (!t) throw new Error(`${c.name}: the fixture has no '${name}' tensor`);
  return t;
}

function expectClose(actual: Tensor | null | undefined, expected: Tensor, label: string): void {
  expect(actual, `${label}: missing`).toBeTruthy();
  expect([...actual!.shape], `${label}: shape`).toEqual([...expected.shape]);
  assertClose(actual!, expected, { ...TOLERANCE, label });
}

/** Runs a conv or convTranspose case (forward, and backward when it has gradients) in one layout. */
/** Marks a call refused because the case lies outside the algorithm's limits. */
const OUTSIDE = Symbol('outside the algorithm limits');
/** Per algorithm: golden calls run, and calls refused as outside its limits. */
const counts = new Map<string, { ran: number; outside: number }>();

/**
 * Runs `call`; an algorithm with limits (convAlgorithmLimit) may refuse a case outside them
 * with an UnsupportedError naming itself, which is counted (every algorithm must still run
 * some cases: see the last test). Any other error fails the case.
 */
function outsideLimits<T>(algorithm: string, call: () => T): T | typeof OUTSIDE {
  const count = counts.get(algorithm) ?? { ran: 0, outside: 0 };
  counts.set(algorithm, count);
  try {
    const result = call();
    count.ran++;
    return result;
  } catch (error) {
    if (
      UnsupportedError.isInstance(error) &&
      (error as Error).message.includes(`algorithm '${algorithm}' `)
    ) {
      count.outside++;
      return OUTSIDE;
    }
    throw error;
  }
}

function runConvLike(c: GoldenCase, algorithm: string, layout: LayoutName): void {
  const transposed = c.op === 'convTranspose';
  const label = `${c.name} [${algorithm}, ${layout}]`;
  const input = required(c, 'input');
  const weight = required(c, 'weight');
  const options = { ...c.options, bias: c.tensors.bias ?? null, layout, algorithm };
  const toLayout = (t: Tensor) => (layout === 'channels-last' ? toChannelsLast(t) : t);
  const fromLayout = (t: Tensor) => (layout === 'channels-last' ? fromChannelsLast(t) : t);

  const x = toLayout(input);
  const output = outsideLimits(algorithm, () =>
    transposed ? convTranspose(x, weight, options) : conv(x, weight, options),
  );
  if (output !== OUTSIDE) expectClose(fromLayout(output), required(c, 'output'), `${label} output`);

  const gradOutput = c.tensors.gradOutput;
  if (!gradOutput) return;
  const grads = outsideLimits(algorithm, () =>
    transposed
      ? convTransposeBackward(toLayout(gradOutput), x, weight, options)
      : convBackward(toLayout(gradOutput), x, weight, options),
  );
  if (grads === OUTSIDE) return;
  expectClose(fromLayout(grads.gradInput), required(c, 'gradInput'), `${label} gradInput`);
  expectClose(grads.gradWeight, required(c, 'gradWeight'), `${label} gradWeight`);
  if (c.tensors.gradBias) expectClose(grads.gradBias, c.tensors.gradBias, `${label} gradBias`);
}

function runDeformConv(c: GoldenCase, algorithm: string): void {
  const label = `${c.name} [${algorithm}]`;
  const input = required(c, 'input');
  const weight = required(c, 'weight');
  const offset = required(c, 'offset');
  const options = { ...c.options, bias: c.tensors.bias ?? null, mask: c.tensors.mask ?? null, algorithm };

  const output = deformConv(input, weight, offset, options);
  expectClose(output, required(c, 'output'), `${label} output`);

  const gradOutput = c.tensors.gradOutput;
  if (!gradOutput) return;
  const grads = deformConvBackward(gradOutput, input, weight, offset, options);
  expectClose(grads.gradInput, required(c, 'gradInput'), `${label} gradInput`);
  expectClose(grads.gradWeight, required(c, 'gradWeight'), `${label} gradWeight`);
  expectClose(grads.gradOffset, required(c, 'gradOffset'), `${label} gradOffset`);
  if (c.tensors.gradBias) expectClose(grads.gradBias, c.tensors.gradBias, `${label} gradBias`);
  if (c.tensors.gradMask) expectClose(grads.gradMask, c.tensors.gradMask, `${label} gradMask`);
  else expect(grads.gradMask, `${label} gradMask without a mask`).toBeNull();
}

describe('golden fixtures', () => {
  it('hold the cases the runner expects', () => {
    // Guards against a truncated or empty fixture file making the suites below vacuous.
    expect(convCases.length).toBeGreaterThanOrEqual(100);
    expect(convTransposeCases.length).toBeGreaterThanOrEqual(40);
    expect(deformConvCases.length).toBeGreaterThanOrEqual(25);
    expect(convCases.every((c) => c.op === 'conv')).toBe(true);
    expect(convTransposeCases.every((c) => c.op === 'convTranspose')).toBe(true);
    expect(deformConvCases.every((c) => c.op === 'deformConv')).toBe(true);
    const all = [...convCases, ...convTransposeCases, ...deformConvCases];
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    const withGradients = all.filter((c) => c.tensors.gradOutput).length;
    expect(withGradients * 3).toBeGreaterThanOrEqual(all.length);
  });
});

for (const { algorithm, build } of RUNS) {
  const label = build === null ? algorithm : `${algorithm} ${build}`;
  const supported = build === null || (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);
  describe.skipIf(!supported)(`goldens [${label}]`, () => {
    beforeAll(() => {
      if (build !== null) initWasmSync({ build });
    });
    describe(`conv goldens [${label}]`, () => {
      for (const layout of LAYOUTS) {
        it.each(convCases.map((c) => [c.name, c] as const))(`%s [${layout}]`, (_name, c) => {
          runConvLike(c, algorithm, layout);
        });
      }
    });

    describe(`convTranspose goldens [${label}]`, () => {
      for (const layout of LAYOUTS) {
        it.each(convTransposeCases.map((c) => [c.name, c] as const))(`%s [${layout}]`, (_name, c) => {
          runConvLike(c, algorithm, layout);
        });
      }
    });

    // Deformable convolution has its own algorithm list: only those run its goldens.
    if ((DEFORM_CONV_ALGORITHMS as readonly string[]).includes(algorithm)) {
      describe(`deformConv goldens [${label}]`, () => {
        it.each(deformConvCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
          runDeformConv(c, algorithm);
        });
      });
    }
  });
}

describe('golden coverage', () => {
  it('every algorithm ran golden cases of its own (none refused them all as outside its limits)', () => {
    for (const { algorithm, build } of RUNS) {
      if (build === 'relaxed-simd' && !wasmSupport().relaxedSimd) continue;
      expect(counts.get(algorithm)?.ran ?? 0, algorithm).toBeGreaterThan(10);
    }
  });
});
