import { ArgumentError, assertClose, createRng, ShapeError, Tensor } from '@convkit/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, convInto } from '../conv';
import { convBackward } from '../conv-backward';
import type { CpuContext } from './cpu-context';
import { createPieceContext } from './piece-context-for-tests';

// A pooled call writing into a caller's tensor: ctx.convInto / ctx.sync.convInto and
// convBackward's gradients.inputGradientInto. The same pieces as without it, so the same bits.
const rng = createRng(81);
let cpu: CpuContext;

beforeAll(async () => {
  cpu = await createPieceContext({ threads: 2 });
});
afterAll(() => cpu.dispose());

const hooks = (context: CpuContext) => context as unknown as { splitCallsForTest(): number };
const same = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 0, rtol: 0 });

/**
 * A contiguous tensor of `shape` inside a larger NaN-filled buffer (so that a write outside it,
 * or an element left unwritten, shows), and a check that the margins are untouched.
 */
function target(shape: number[]): { out: Tensor; margins(): void } {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size + 16).fill(Number.NaN);
  const out = new Tensor(data, shape, undefined, 7);
  return {
    out,
    margins: () => {
      for (const i of [0, 1, 2, 3, 4, 5, 6, size + 7, size + 15]) expect(Number.isNaN(data[i]!)).toBe(true);
    },
  };
}

/** What `fn` threw or rejected with. */
async function failure(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('CpuContext.convInto', () => {
  // Each split the pool makes, and a call it runs on the caller.
  const cases: {
    name: string;
    x: number[];
    w: number[];
    options: Record<string, unknown>;
    split: boolean;
  }[] = [
    { name: 'by sample', x: [3, 16, 24, 24], w: [24, 16, 3, 3], options: { padding: 1 }, split: true },
    {
      name: 'row bands',
      x: [1, 16, 64, 64],
      w: [24, 16, 3, 3],
      options: { padding: 3, dilation: 3 },
      split: true,
    },
    { name: 'channel blocks', x: [1, 64, 40, 40], w: [64, 64, 3, 3], options: { padding: 1 }, split: true },
    {
      name: 'group blocks',
      x: [1, 64, 48, 48],
      w: [64, 8, 3, 3],
      options: { padding: 1, groups: 8 },
      split: true,
    },
    {
      name: 'channels-last bands',
      x: [1, 45, 37, 16],
      w: [24, 16, 3, 3],
      options: { padding: 1, layout: 'channels-last' },
      split: true,
    },
    { name: 'inline (small)', x: [1, 4, 8, 8], w: [6, 4, 3, 3], options: { padding: 1 }, split: false },
    // 28.9M multiply-adds, 8.7 per float: memory-bound, run on the caller.
    {
      name: 'inline (memory-bound)',
      x: [128, 1, 28, 28],
      w: [32, 1, 3, 3],
      options: { padding: 1 },
      split: false,
    },
  ];
  for (const c of cases) {
    it(`writes the same bits as the plain pooled call and returns out: ${c.name}`, async () => {
      const x = rng.normalTensor(c.x);
      const w = rng.normalTensor(c.w);
      const options = { ...c.options, bias: rng.normalTensor([c.w[0]!]) };
      const plain = cpu.sync.conv(x, w, options);
      const sync = target([...plain.shape]);
      const before = hooks(cpu).splitCallsForTest();
      expect(cpu.sync.convInto(sync.out, x, w, options)).toBe(sync.out);
      const viaAsync = target([...plain.shape]);
      expect(await cpu.convInto(viaAsync.out, x, w, options)).toBe(viaAsync.out);
      expect(hooks(cpu).splitCallsForTest() - before).toBe(c.split ? 2 : 0);
      same(sync.out, plain);
      same(viaAsync.out, plain);
      sync.margins();
      viaAsync.margins();
      // A split by sample and a call run on the caller: the module op's bits too.
      if (c.name === 'by sample' || !c.split) same(sync.out, conv(x, w, options));
    });
  }

  it("refuses a bad out with the module convInto's ArgumentError, before any work; bad inputs as conv", async () => {
    const x = rng.normalTensor([2, 8, 20, 20]);
    const w = rng.normalTensor([8, 8, 3, 3]);
    const bias = rng.normalTensor([8]);
    const options = { padding: 1, bias };
    // Views over one buffer: out overlapping the weight, or the bias; out beside the weight.
    const big = new Float32Array(6400 + 600);
    const wOver = new Tensor(big, [8, 8, 3, 3], undefined, 6400 - 10);
    const biasOver = new Tensor(big, [8], undefined, 100);
    const outOver = new Tensor(big, [2, 8, 20, 20]);
    const bad: [unknown, Tensor, Record<string, unknown>, RegExp][] = [
      [
        null,
        w,
        options,
        /convInto: out must be a contiguous float32 Tensor of shape \[2, 8, 20, 20\].*got null/,
      ],
      [new Float32Array(6400), w, options, /convInto: out must be/],
      [rng.normalTensor([2, 8, 20, 20]).permute([0, 1, 3, 2]), w, options, /got a non-contiguous view/],
      [rng.normalTensor([2, 8, 20, 19]), w, options, /got a Tensor of shape \[2, 8, 20, 19\]/],
      [rng.normalTensor([8, 2, 20, 20]), w, options, /got a Tensor of shape \[8, 2, 20, 20\]/],
      [x, w, options, /convInto: out must not share memory with input/],
      [outOver, wOver, options, /convInto: out must not share memory with weight/],
      [outOver, w, { padding: 1, bias: biasOver }, /convInto: out must not share memory with bias/],
    ];
    for (const [out, weight, opts, message] of bad) {
      const want = await failure(() => convInto(out as Tensor, x, weight, opts));
      expect(want).toBeInstanceOf(ArgumentError);
      expect(want.message).toMatch(message);
      const before = hooks(cpu).splitCallsForTest();
      for (const run of [
        () => cpu.sync.convInto(out as Tensor, x, weight, opts),
        () => cpu.convInto(out as Tensor, x, weight, opts),
      ]) {
        const error = await failure(run);
        expect(error).toBeInstanceOf(ArgumentError);
        expect(error.message).toBe(want.message);
      }
      expect(hooks(cpu).splitCallsForTest()).toBe(before);
    }
    // Disjoint views of one buffer are fine.
    const outBeside = new Tensor(big, [2, 8, 20, 20]);
    const wBeside = new Tensor(big, [8, 8, 3, 3], undefined, 6400);
    wBeside.data.set(w.toFloat32Array(), 6400);
    same(cpu.sync.convInto(outBeside, x, wBeside, options), conv(x, w, options));
    // The call's own checks come first, as conv's (a wrong input rank is a ShapeError).
    expect(
      await failure(() => cpu.sync.convInto(null as unknown as Tensor, x.reshape([16, 20, 20]), w)),
    ).toBeInstanceOf(ShapeError);
  });
});

describe('convBackward with gradients.inputGradientInto', () => {
  const cases: {
    name: string;
    x: number[];
    w: number[];
    options: Record<string, unknown>;
    split: boolean;
  }[] = [
    { name: 'by sample', x: [4, 16, 24, 24], w: [16, 16, 3, 3], options: { padding: 1 }, split: true },
    // Bands add their rows into the target: a target full of NaN must still come out right.
    { name: 'row bands', x: [1, 16, 64, 64], w: [16, 16, 3, 3], options: { padding: 1 }, split: true },
    { name: 'inline (small)', x: [1, 3, 9, 9], w: [4, 3, 3, 3], options: { padding: 1 }, split: false },
    {
      name: 'channels-last bands',
      x: [1, 45, 37, 16],
      w: [24, 16, 3, 3],
      options: { padding: 1, layout: 'channels-last' },
      split: true,
    },
    {
      name: 'inline (memory-bound)',
      x: [64, 1, 28, 28],
      w: [32, 1, 3, 3],
      options: { padding: 1 },
      split: false,
    },
  ];
  for (const c of cases) {
    it(`writes the input gradient with the bits of the plain call, both forms: ${c.name}`, async () => {
      const x = rng.normalTensor(c.x);
      const w = rng.normalTensor(c.w);
      const gy = rng.normalTensor([...conv(x, w, c.options).shape]);
      const plain = cpu.sync.convBackward(gy, x, w, c.options);
      const sync = target([...x.shape]);
      const before = hooks(cpu).splitCallsForTest();
      const got = cpu.sync.convBackward(gy, x, w, c.options, { inputGradientInto: sync.out });
      const viaAsync = target([...x.shape]);
      const gotAsync = await cpu.convBackward(gy, x, w, c.options, { inputGradientInto: viaAsync.out });
      expect(hooks(cpu).splitCallsForTest() - before).toBe(c.split ? 2 : 0);
      expect(got.gradInput).toBe(sync.out);
      expect(gotAsync.gradInput).toBe(viaAsync.out);
      same(sync.out, plain.gradInput);
      same(viaAsync.out, plain.gradInput);
      same(got.gradWeight, plain.gradWeight);
      same(gotAsync.gradBias, plain.gradBias);
      sync.margins();
      viaAsync.margins();
      if (c.name === 'by sample' || !c.split) same(sync.out, convBackward(gy, x, w, c.options).gradInput);
    });
  }

  it("refuses a bad inputGradientInto, and one given with inputGradient: false, with the module op's ArgumentError", async () => {
    const x = rng.normalTensor([2, 4, 16, 16]);
    const w = rng.normalTensor([8, 4, 3, 3]);
    const gy = rng.normalTensor([2, 8, 16, 16]);
    const options = { padding: 1 };
    const bad: [Record<string, unknown>, RegExp][] = [
      [
        { inputGradientInto: 3 },
        /convBackward: gradients.inputGradientInto must be a contiguous float32 Tensor .*got number 3/,
      ],
      [{ inputGradientInto: rng.normalTensor([2, 4, 16, 15]) }, /got a Tensor of shape \[2, 4, 16, 15\]/],
      [
        { inputGradientInto: rng.normalTensor([2, 16, 16, 4]).permute([0, 3, 1, 2]) },
        /got a non-contiguous view/,
      ],
      [{ inputGradientInto: x }, /inputGradientInto must not share memory with input/],
      [
        { inputGradientInto: new Tensor(gy.data, [2, 4, 16, 16], undefined, 1000) },
        /must not share memory with gradOutput/,
      ],
      [
        { inputGradient: false, inputGradientInto: rng.normalTensor([2, 4, 16, 16]) },
        /convBackward: gradients.inputGradientInto must be left out with gradients.inputGradient false/,
      ],
    ];
    for (const [gradients, message] of bad) {
      const want = await failure(() => convBackward(gy, x, w, options, gradients));
      expect(want).toBeInstanceOf(ArgumentError);
      expect(want.message).toMatch(message);
      for (const run of [
        () => cpu.sync.convBackward(gy, x, w, options, gradients),
        () => cpu.convBackward(gy, x, w, options, gradients),
      ]) {
        const error = await failure(run);
        expect(error).toBeInstanceOf(ArgumentError);
        expect(error.message).toBe(want.message);
      }
    }
    // Without the input gradient and no target: gradInput null, as before.
    expect(cpu.sync.convBackward(gy, x, w, options, { inputGradient: false }).gradInput).toBeNull();
  });
});
