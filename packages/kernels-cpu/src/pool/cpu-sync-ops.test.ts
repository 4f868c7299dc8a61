import { ArgumentError, assertClose, createRng, ShapeError, type Tensor } from '@convkit/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, conv1d, conv2d, conv3d } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import { type CpuContext, createCpuContext } from './cpu-context';
import { createPieceContext } from './piece-context-for-tests';
import { AbortError, WorkerError } from './pool-errors';

// The synchronous API of a CPU context (ctx.sync): the module's ops, blocking, on the pool.
const rng = createRng(78);
let cpu: CpuContext;

beforeAll(async () => {
  cpu = await createPieceContext({ threads: 2 });
});
afterAll(() => cpu.dispose());

interface TestHooks {
  terminateBusyWorkerForTest(silently?: boolean): boolean;
  setStealingForTest(on: boolean): void;
  stolenPiecesForTest(): number;
  splitCallsForTest(): number;
  backedOffCallsForTest(): number;
  setSyncStallForTest(ms: number): void;
  setAfterSyncDispatchForTest(hook: (() => void) | null): void;
}
const hooks = (context: CpuContext) => context as unknown as TestHooks;
/** Runs `body` and returns how many of its calls on `context` were split into pieces. */
async function splitCalls(context: CpuContext, body: () => void | Promise<void>): Promise<number> {
  const before = hooks(context).splitCallsForTest();
  await body();
  return hooks(context).splitCallsForTest() - before;
}
const same = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 0, rtol: 0 });
const close = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 1e-4, rtol: 1e-4 });
/** Calls `fn` and returns what it threw (to compare errors of two calls). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('CpuContext.sync', () => {
  it("splits among the context's threads where the caller may block (Node), and has every op", () => {
    expect(cpu.sync.threads).toBe(cpu.threads);
    expect(Object.keys(cpu.sync).sort()).toEqual(
      [
        'conv',
        'conv1d',
        'conv2d',
        'conv3d',
        'convBackward',
        'convInto',
        'convTranspose',
        'convTransposeBackward',
        'deformConv',
        'deformConvBackward',
        'threads',
      ].sort(),
    );
  });

  it('matches the module ops: batch splits bit for bit, other splits within the tolerance; the same bits as the async op', async () => {
    const split = await splitCalls(cpu, async () => {
      const x = rng.normalTensor([3, 16, 24, 24]);
      const w = rng.normalTensor([24, 16, 3, 3]);
      const b = rng.normalTensor([24]);
      const yb = cpu.sync.conv(x, w, { padding: 1, bias: b });
      same(yb, conv(x, w, { padding: 1, bias: b }));
      same(yb, await cpu.conv(x, w, { padding: 1, bias: b }));
      // One sample: row bands (24 output channels are too few for channel blocks).
      const x1 = rng.normalTensor([1, 16, 64, 64]);
      for (const options of [{ padding: 1 }, { padding: 3, dilation: 3 }]) {
        const y = cpu.sync.conv2d(x1, w, options);
        close(y, conv(x1, w, options));
        same(y, await cpu.conv2d(x1, w, options));
      }
      // Channels-last bands, channel blocks (1-D), 3-D by sample.
      const xl = rng.normalTensor([1, 45, 37, 16]);
      close(
        cpu.sync.conv(xl, w, { padding: 1, layout: 'channels-last' }),
        conv(xl, w, { padding: 1, layout: 'channels-last' }),
      );
      const x1d = rng.normalTensor([1, 64, 700]);
      const w1d = rng.normalTensor([48, 64, 5]);
      close(cpu.sync.conv1d(x1d, w1d, { padding: 2 }), conv1d(x1d, w1d, { padding: 2 }));
      const x3 = rng.normalTensor([2, 8, 12, 12, 12]);
      const w3 = rng.normalTensor([16, 8, 3, 3, 3]);
      same(cpu.sync.conv3d(x3, w3, { padding: 1 }), conv3d(x3, w3, { padding: 1 }));
      // Grouped: blocks of groups.
      const xd = rng.normalTensor([1, 64, 48, 48]);
      const wd = rng.normalTensor([64, 8, 3, 3]);
      close(cpu.sync.conv(xd, wd, { padding: 1, groups: 8 }), conv(xd, wd, { padding: 1, groups: 8 }));
    });
    expect(split).toBe(10);
  });

  it('computes the backward passes and the transposed and deformable ops as the module ops do', async () => {
    const split = await splitCalls(cpu, async () => {
      const w = rng.normalTensor([24, 16, 3, 3]);
      // By sample: the input gradient bit for bit, weight and bias gradients summed.
      const xb = rng.normalTensor([4, 16, 18, 18]);
      const gyb = rng.normalTensor([4, 24, 18, 18]);
      const gotB = cpu.sync.convBackward(gyb, xb, w, { padding: 1 });
      const wantB = convBackward(gyb, xb, w, { padding: 1 });
      same(gotB.gradInput, wantB.gradInput);
      close(gotB.gradWeight, wantB.gradWeight);
      close(gotB.gradBias, wantB.gradBias);
      const asyncB = await cpu.convBackward(gyb, xb, w, { padding: 1 });
      same(gotB.gradWeight, asyncB.gradWeight);
      // By bands, and without the input gradient.
      const x = rng.normalTensor([1, 16, 45, 37]);
      const gy = rng.normalTensor([1, 24, 45, 37]);
      const got = cpu.sync.convBackward(gy, x, w, { padding: 1 });
      const want = convBackward(gy, x, w, { padding: 1 });
      close(got.gradInput, want.gradInput);
      close(got.gradWeight, want.gradWeight);
      const skip = cpu.sync.convBackward(gy, x, w, { padding: 1 }, { inputGradient: false });
      expect(skip.gradInput).toBeNull();
      same(skip.gradWeight, got.gradWeight);

      const wt = rng.normalTensor([16, 32, 4, 4]);
      const xt1 = rng.normalTensor([1, 16, 31, 27]);
      close(
        cpu.sync.convTranspose(xt1, wt, { stride: 2, padding: 1 }),
        convTranspose(xt1, wt, { stride: 2, padding: 1 }),
      );
      const xt = rng.normalTensor([3, 16, 16, 16]);
      const gyt = rng.normalTensor(convTranspose(xt, wt, { stride: 2, padding: 1 }).shape);
      const wantT = convTransposeBackward(gyt, xt, wt, { stride: 2, padding: 1 });
      const gotT = cpu.sync.convTransposeBackward(gyt, xt, wt, { stride: 2, padding: 1 });
      close(gotT.gradInput, wantT.gradInput);
      close(gotT.gradWeight, wantT.gradWeight);
      close(gotT.gradBias, wantT.gradBias);
      expect(Object.keys(gotT).sort()).toEqual(Object.keys(wantT).sort());

      const xd = rng.normalTensor([2, 16, 28, 28]);
      const off = rng.normalTensor([2, 18, 28, 28]);
      const mask = rng.uniformTensor([2, 9, 28, 28], 0, 1);
      same(
        cpu.sync.deformConv(xd, w, off, { padding: 1, mask }),
        deformConv(xd, w, off, { padding: 1, mask }),
      );
      const gyd = rng.normalTensor([2, 24, 28, 28]);
      const wantD = deformConvBackward(gyd, xd, w, off, { padding: 1, mask });
      const gotD = cpu.sync.deformConvBackward(gyd, xd, w, off, { padding: 1, mask });
      close(gotD.gradInput, wantD.gradInput);
      close(gotD.gradWeight, wantD.gradWeight);
      close(gotD.gradOffset, wantD.gradOffset);
      close(gotD.gradMask!, wantD.gradMask!);
    });
    expect(split).toBe(8);
  });

  it('waits for a piece its worker runs (taking back turned off) and copies its result in', async () => {
    const own = await createPieceContext({ threads: 2 });
    try {
      const x = rng.normalTensor([2, 16, 40, 40]);
      const w = rng.normalTensor([32, 16, 3, 3]);
      // Once the worker runs: the first call's piece waits for it to start (tsx, the kernels).
      hooks(own).setStealingForTest(false);
      for (let i = 0; i < 3; i++) same(own.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      expect(hooks(own).stolenPiecesForTest()).toBe(0);
      const gy = rng.normalTensor([2, 32, 40, 40]);
      const got = own.sync.convBackward(gy, x, w, { padding: 1 });
      same(got.gradInput, convBackward(gy, x, w, { padding: 1 }).gradInput);
    } finally {
      own.dispose();
    }
  });

  it('runs small calls and calls that do not split on the caller, the same bits as the module op', async () => {
    const split = await splitCalls(cpu, () => {
      const x = rng.normalTensor([1, 8, 8, 8]);
      const w = rng.normalTensor([8, 8, 1, 1]);
      const before = [...x.data];
      same(cpu.sync.conv(x, w), conv(x, w));
      expect([...x.data]).toEqual(before);
      const xr = rng.normalTensor([1, 16, 45, 37]);
      const wr = rng.normalTensor([16, 16, 3, 3]);
      same(
        cpu.sync.conv(xr, wr, { padding: 1, paddingMode: 'reflect' }),
        conv(xr, wr, { padding: 1, paddingMode: 'reflect' }),
      );
    });
    expect(split).toBe(0);
  });

  it('throws the errors of the module ops (a `signal` option included), and an AbortError once disposed', async () => {
    const x = rng.normalTensor([1, 4, 8, 8]);
    const w = rng.normalTensor([2, 3, 3, 3]);
    expect(() => cpu.sync.conv2d(x, w)).toThrow(ShapeError);
    expect(thrown(() => cpu.sync.conv2d(x, w)).message).toBe(thrown(() => conv2d(x, w)).message);
    const w4 = rng.normalTensor([2, 4, 3, 3]);
    for (const options of [{ strides: 2 }, { signal: new AbortController().signal }, 5]) {
      const got = thrown(() => cpu.sync.conv(x, w4, options as never));
      expect(got).toBeInstanceOf(ArgumentError);
      expect(got.message).toBe(thrown(() => conv(x, w4, options as never)).message);
    }
    const gy = rng.normalTensor([1, 2, 6, 6]);
    expect(thrown(() => cpu.sync.convBackward(gy, x, w4, {}, { input: false } as never)).message).toBe(
      thrown(() => convBackward(gy, x, w4, {}, { input: false } as never)).message,
    );
    const wt = rng.normalTensor([4, 2, 3, 3]);
    const off = rng.normalTensor([1, 17, 6, 6]);
    const off18 = rng.normalTensor([1, 18, 6, 6]);
    const pairs: [() => unknown, () => unknown, typeof ArgumentError | typeof ShapeError][] = [
      [
        () => cpu.sync.convTranspose(x, wt, { padding: -1 }),
        () => convTranspose(x, wt, { padding: -1 }),
        ArgumentError,
      ],
      [() => cpu.sync.deformConv(x, w4, off), () => deformConv(x, w4, off), ShapeError],
      [() => cpu.sync.convTransposeBackward(gy, x, wt), () => convTransposeBackward(gy, x, wt), ShapeError],
      [
        () => cpu.sync.deformConvBackward(gy, x, w4, off18, { stride: 0 }),
        () => deformConvBackward(gy, x, w4, off18, { stride: 0 }),
        ArgumentError,
      ],
    ];
    for (const [got, want, kind] of pairs) {
      expect(thrown(got)).toBeInstanceOf(kind);
      expect(thrown(got).message).toBe(thrown(want).message);
    }
    const own = await createPieceContext({ threads: 2 });
    own.dispose();
    expect(() => own.sync.conv(x, w4)).toThrow(AbortError);
    expect(() => own.sync.conv(x, w4)).toThrow('conv2d: the CPU context was disposed');
  });

  it('after a call whose worker was late runs the next 1, then 2, then at most 4 calls on the caller alone', async () => {
    const own = await createPieceContext({ threads: 2 });
    try {
      const x = rng.normalTensor([2, 16, 40, 40]);
      const w = rng.normalTensor([32, 16, 3, 3]);
      const want = conv(x, w, { padding: 1 });
      // An awaited call whose piece holds the worker until its reply is read (taking back off):
      // the blocking calls below never read it, so each finds the worker busy.
      hooks(own).setStealingForTest(false);
      const first = own.conv(x, w, { padding: 1 });
      hooks(own).setStealingForTest(true);
      const schedule: string[] = [];
      for (let call = 0; call < 14; call++) {
        const stolen = hooks(own).stolenPiecesForTest();
        const backedOff = hooks(own).backedOffCallsForTest();
        same(own.sync.conv(x, w, { padding: 1 }), want);
        if (hooks(own).stolenPiecesForTest() > stolen) schedule.push('late');
        else if (hooks(own).backedOffCallsForTest() > backedOff) schedule.push('alone');
        else schedule.push('?');
      }
      expect(schedule.join(' ')).toBe(
        'late alone late alone alone late alone alone alone alone late alone alone alone',
      );
      same(await first, want);
    } finally {
      own.dispose();
    }
  });

  it('with one thread runs every call on the caller', async () => {
    const one = await createCpuContext({ threads: 1 });
    try {
      expect(one.sync.threads).toBe(1);
      const x = rng.normalTensor([2, 16, 40, 40]);
      const w = rng.normalTensor([32, 16, 3, 3]);
      same(one.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
    } finally {
      one.dispose();
    }
  });

  it('throws a WorkerError when the worker running its piece is terminated, and goes on', async () => {
    const own = await createPieceContext({ threads: 2 });
    try {
      const x = rng.normalTensor([2, 64, 64, 64]);
      const w = rng.normalTensor([64, 64, 3, 3]);
      hooks(own).setStealingForTest(false);
      same(own.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 })); // the worker is up
      // Stopped as soon as its piece is posted, before it can finish it.
      let killed = false;
      hooks(own).setAfterSyncDispatchForTest(() => {
        killed = hooks(own).terminateBusyWorkerForTest();
      });
      const error = thrown(() => own.sync.conv(x, w, { padding: 1 }));
      expect(killed).toBe(true);
      expect(error).toBeInstanceOf(WorkerError);
      expect(error.message).toMatch(/^conv: a pool worker stopped while it ran part of the call/);
      hooks(own).setAfterSyncDispatchForTest(null);
      // The replaced worker (or the caller, while it starts) runs the next calls.
      hooks(own).setStealingForTest(true);
      same(own.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      same(await own.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
    } finally {
      own.dispose();
    }
  });

  it('does not hang when its worker dies unseen (a crash): a WorkerError after the stall bound, the worker replaced', async () => {
    const own = await createPieceContext({ threads: 2 });
    try {
      const x = rng.normalTensor([2, 64, 64, 64]);
      const w = rng.normalTensor([64, 64, 3, 3]);
      hooks(own).setStealingForTest(false);
      same(own.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      hooks(own).setSyncStallForTest(300);
      // Ended as a crash ends it: the pool hears of it only from the exit event, which a
      // blocked caller does not receive.
      hooks(own).setAfterSyncDispatchForTest(() => hooks(own).terminateBusyWorkerForTest(true));
      const started = performance.now();
      const error = thrown(() => own.sync.conv(x, w, { padding: 1 }));
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(error).toBeInstanceOf(WorkerError);
      expect(error.message).toMatch(
        /^conv: a pool worker did not finish its part of the call within \d+ ms \(it stopped, or got no processor time\)/,
      );
      hooks(own).setAfterSyncDispatchForTest(null);
      hooks(own).setStealingForTest(true);
      same(own.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      same(await own.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
    } finally {
      own.dispose();
    }
  });

  it('interleaves with asynchronous calls on the same context, every result its own', async () => {
    const cases = Array.from({ length: 12 }, (_, i) => {
      const n = 1 + (i % 3);
      const x = rng.normalTensor([n, 16, 24 + (i % 5), 28]);
      const w = rng.normalTensor([16 + 8 * (i % 3), 16, 3, 3]);
      return { x, w, options: { padding: 1, stride: 1 + (i % 2) } };
    });
    const split = await splitCalls(cpu, async () => {
      const pending: Promise<Tensor>[] = [];
      const syncResults: Tensor[] = [];
      for (const [i, { x, w, options }] of cases.entries()) {
        if (i % 2 === 0) pending.push(cpu.conv(x, w, options));
        else syncResults.push(cpu.sync.conv(x, w, options));
      }
      const asyncResults = await Promise.all(pending);
      for (const [i, { x, w, options }] of cases.entries()) {
        const got = i % 2 === 0 ? asyncResults[i / 2]! : syncResults[(i - 1) / 2]!;
        close(got, conv(x, w, options));
      }
      // A sync call while an async call's pieces are in flight, then the async call.
      const big = { x: rng.normalTensor([2, 32, 48, 48]), w: rng.normalTensor([32, 32, 3, 3]) };
      const inFlight = cpu.conv(big.x, big.w, { padding: 1 });
      same(cpu.sync.conv(big.x, big.w, { padding: 1 }), conv(big.x, big.w, { padding: 1 }));
      same(await inFlight, conv(big.x, big.w, { padding: 1 }));
    });
    expect(split).toBeGreaterThan(0);
  });
});
