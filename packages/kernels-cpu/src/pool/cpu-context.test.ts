import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, assertClose, createRng, ShapeError, type Tensor } from '@convkit/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import { type CpuContext, createCpuContext } from './cpu-context';
import { createPieceContext } from './piece-context-for-tests';
import { AbortError, WorkerError } from './pool-errors';
import { toShared } from './shared-tensor';

const rng = createRng(77);
let cpu: CpuContext;

beforeAll(async () => {
  cpu = await createPieceContext({ threads: 2 });
});
afterAll(() => cpu.dispose());

const same = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 0, rtol: 0 });

interface TestHooks {
  terminateBusyWorkerForTest(): boolean;
  setStealingForTest(on: boolean): void;
  stolenPiecesForTest(): number;
  splitCallsForTest(): number;
}
/** Runs `body` and returns how many of its calls on `context` were split into pieces. */
async function splitCalls(context: CpuContext, body: () => Promise<void>): Promise<number> {
  const before = hooks(context).splitCallsForTest();
  await body();
  return hooks(context).splitCallsForTest() - before;
}
const hooks = (context: CpuContext) => context as unknown as TestHooks;
const close = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 1e-4, rtol: 1e-4 });

describe('createCpuContext', () => {
  it('has as many workers as asked, at most the cores, and refuses bad thread counts', async () => {
    expect(cpu.threads).toBeGreaterThanOrEqual(1);
    expect(cpu.threads).toBeLessThanOrEqual(2);
    await expect(createCpuContext({ threads: 0 })).rejects.toThrow(ArgumentError);
    await expect(createCpuContext({ threads: 1.5 })).rejects.toThrow(
      "createCpuContext: threads must be a positive integer or 'auto', got number 1.5",
    );
    await expect(createCpuContext({ thread: 2 } as never)).rejects.toThrow(ArgumentError);
  });

  it('matches the synchronous ops: batch splits bit for bit, row bands within the tolerance', async () => {
    const split = await splitCalls(cpu, async () => {
      const x = rng.normalTensor([3, 16, 24, 24]);
      const w = rng.normalTensor([24, 16, 3, 3]);
      const b = rng.normalTensor([24]);
      same(await cpu.conv(x, w, { padding: 1, bias: b }), conv(x, w, { padding: 1, bias: b }));
      const x1 = rng.normalTensor([1, 16, 45, 37]);
      for (const options of [
        { padding: 1 },
        { padding: 2, stride: 2, dilation: 2 },
        { padding: 'same' as const },
      ]) {
        close(await cpu.conv2d(x1, w, options), conv(x1, w, options));
      }
      const xl = rng.normalTensor([1, 45, 37, 16]);
      close(
        await cpu.conv(xl, w, { padding: 1, layout: 'channels-last' }),
        conv(xl, w, { padding: 1, layout: 'channels-last' }),
      );
      const x1d = rng.normalTensor([1, 32, 1000]);
      const w1d = rng.normalTensor([32, 32, 5]);
      close(await cpu.conv1d(x1d, w1d, { padding: 2 }), conv(x1d, w1d, { padding: 2 }));
      // A padding mode other than zeros cannot be banded: one piece, the same bits.
      same(
        await cpu.conv(x1, w, { padding: 1, paddingMode: 'reflect' }),
        conv(x1, w, { padding: 1, paddingMode: 'reflect' }),
      );
    });
    expect(split).toBe(5);
  });

  it('skips the input gradient when asked, split by samples and by bands, as the synchronous op', async () => {
    const w = rng.normalTensor([24, 16, 3, 3]);
    const skip = { inputGradient: false };
    const split = await splitCalls(cpu, async () => {
      const xb = rng.normalTensor([4, 16, 18, 18]);
      const gyb = rng.normalTensor([4, 24, 18, 18]);
      const gotB = await cpu.convBackward(gyb, xb, w, { padding: 1 }, skip);
      const wantB = convBackward(gyb, xb, w, { padding: 1 }, skip);
      expect(gotB.gradInput).toBeNull();
      close(gotB.gradWeight, wantB.gradWeight);
      close(gotB.gradBias, wantB.gradBias);
      const x = rng.normalTensor([1, 16, 45, 37]);
      const gy = rng.normalTensor([1, 24, 45, 37]);
      const got = await cpu.convBackward(gy, x, w, { padding: 1 }, skip);
      expect(got.gradInput).toBeNull();
      close(got.gradWeight, convBackward(gy, x, w, { padding: 1 }).gradWeight);
      close(got.gradBias, convBackward(gy, x, w, { padding: 1 }).gradBias);
    });
    expect(split).toBe(2);
    // Below the split threshold the caller runs the synchronous op with the same request.
    const small = await cpu.convBackward(
      rng.normalTensor([1, 24, 4, 4]),
      rng.normalTensor([1, 16, 4, 4]),
      w,
      { padding: 1 },
      skip,
    );
    expect(small.gradInput).toBeNull();
    const x = rng.normalTensor([1, 16, 4, 4]);
    await expect(
      cpu.convBackward(rng.normalTensor([1, 24, 4, 4]), x, w, { padding: 1 }, {
        inputGradient: 'no',
      } as never),
    ).rejects.toThrow(ArgumentError);
    await expect(
      cpu.convBackward(rng.normalTensor([1, 24, 4, 4]), x, w, { padding: 1 }, { input: false } as never),
    ).rejects.toThrow(ArgumentError);
  });

  it('computes every backward pass and the transposed and deformable ops as the synchronous ops do', async () => {
    const split = await splitCalls(cpu, async () => {
      const x = rng.normalTensor([1, 16, 31, 27]);
      const w = rng.normalTensor([24, 16, 3, 3]);
      const y = conv(x, w, { padding: 1, stride: 2 });
      const gy = rng.normalTensor(y.shape);
      const want = convBackward(gy, x, w, { padding: 1, stride: 2 });
      const got = await cpu.convBackward(gy, x, w, { padding: 1, stride: 2 });
      close(got.gradInput, want.gradInput);
      close(got.gradWeight, want.gradWeight);
      close(got.gradBias, want.gradBias);
      const xb = rng.normalTensor([4, 16, 18, 18]);
      const gyb = rng.normalTensor([4, 24, 18, 18]);
      const wantB = convBackward(gyb, xb, w, { padding: 1 });
      const gotB = await cpu.convBackward(gyb, xb, w, { padding: 1 });
      same(gotB.gradInput, wantB.gradInput);
      close(gotB.gradWeight, wantB.gradWeight);

      const wt = rng.normalTensor([16, 32, 4, 4]);
      close(
        await cpu.convTranspose(x, wt, { stride: 2, padding: 1 }),
        convTranspose(x, wt, { stride: 2, padding: 1 }),
      );
      const xt = rng.normalTensor([3, 16, 16, 16]);
      const yt = convTranspose(xt, wt, { stride: 2, padding: 1 });
      const gyt = rng.normalTensor(yt.shape);
      const wantT = convTransposeBackward(gyt, xt, wt, { stride: 2, padding: 1 });
      const gotT = await cpu.convTransposeBackward(gyt, xt, wt, { stride: 2, padding: 1 });
      close(gotT.gradInput, wantT.gradInput);
      close(gotT.gradWeight, wantT.gradWeight);
      close(gotT.gradBias, wantT.gradBias);
      expect(Object.keys(gotT).sort()).toEqual(Object.keys(wantT).sort());

      const xd = rng.normalTensor([2, 16, 28, 28]);
      const off = rng.normalTensor([2, 18, 28, 28]);
      const mask = rng.uniformTensor([2, 9, 28, 28], 0, 1);
      close(
        await cpu.deformConv(xd, w, off, { padding: 1, mask }),
        deformConv(xd, w, off, { padding: 1, mask }),
      );
      const gyd = rng.normalTensor([2, 24, 28, 28]);
      const wantD = deformConvBackward(gyd, xd, w, off, { padding: 1, mask });
      const gotD = await cpu.deformConvBackward(gyd, xd, w, off, { padding: 1, mask });
      close(gotD.gradInput, wantD.gradInput);
      close(gotD.gradWeight, wantD.gradWeight);
      close(gotD.gradOffset, wantD.gradOffset);
      close(gotD.gradMask!, wantD.gradMask!);
    });
    expect(split).toBe(5);
  });

  it('splits grouped and depthwise calls into blocks of whole groups, matching the synchronous ops', async () => {
    const split = await splitCalls(cpu, async () => {
      // Grouped (8 groups of 8 channels; depthwise calls are memory-bound and run on the
      // caller, see below), channels-first and channels-last, with bias.
      const xd = rng.normalTensor([1, 64, 48, 48]);
      const wd = rng.normalTensor([64, 8, 3, 3]);
      const bd = rng.normalTensor([64]);
      close(
        await cpu.conv(xd, wd, { padding: 1, groups: 8, bias: bd }),
        conv(xd, wd, { padding: 1, groups: 8, bias: bd }),
      );
      const xg = rng.normalTensor([1, 32, 40, 40]);
      const wg = rng.normalTensor([48, 8, 3, 3]);
      const bg = rng.normalTensor([48]);
      close(
        await cpu.conv(xg, wg, { padding: 1, groups: 4, bias: bg }),
        conv(xg, wg, { padding: 1, groups: 4, bias: bg }),
      );
      const xl = rng.normalTensor([1, 40, 40, 32]);
      close(
        await cpu.conv(xl, wg, { groups: 4, layout: 'channels-last' }),
        conv(xl, wg, { groups: 4, layout: 'channels-last' }),
      );
      // Transposed: weight [C_in, C_out/groups, k, k], its groups are blocks of dim 0.
      const xt = rng.normalTensor([1, 32, 40, 40]);
      const wt = rng.normalTensor([32, 6, 4, 4]);
      const bt = rng.normalTensor([24]);
      close(
        await cpu.convTranspose(xt, wt, { stride: 2, padding: 1, groups: 4, bias: bt }),
        convTranspose(xt, wt, { stride: 2, padding: 1, groups: 4, bias: bt }),
      );
    });
    expect(split).toBe(4);
    // Depthwise 3x3: 4.5 multiply-adds per float of input and output, run on the caller (the
    // module op's bits) however large.
    const xw = rng.normalTensor([1, 64, 96, 96]);
    const ww = rng.normalTensor([64, 1, 3, 3]);
    const inline = await splitCalls(cpu, async () => {
      same(await cpu.conv(xw, ww, { padding: 1, groups: 64 }), conv(xw, ww, { padding: 1, groups: 64 }));
    });
    expect(inline).toBe(0);
  });

  it('splits one-sample dense calls with enough channels into blocks of output channels', async () => {
    const split = await splitCalls(cpu, async () => {
      // 40 output channels: blocks [0, 24) and [24, 40) (aligned to 8), with bias; 1-D too.
      const x = rng.normalTensor([1, 32, 24, 24]);
      const w = rng.normalTensor([40, 32, 3, 3]);
      const b = rng.normalTensor([40]);
      close(await cpu.conv(x, w, { padding: 1, bias: b }), conv(x, w, { padding: 1, bias: b }));
      close(await cpu.conv(x, w, { stride: 2, dilation: 2 }), conv(x, w, { stride: 2, dilation: 2 }));
      const x1 = rng.normalTensor([1, 64, 700]);
      const w1 = rng.normalTensor([48, 64, 5]);
      close(await cpu.conv1d(x1, w1, { padding: 2 }), conv(x1, w1, { padding: 2 }));
    });
    expect(split).toBe(2);
  });

  it('reads inputs that already live in shared memory in place, and returns ordinary tensors', async () => {
    const split = await splitCalls(cpu, async () => {
      const x = rng.normalTensor([1, 16, 40, 40]);
      const w1 = rng.normalTensor([32, 16, 3, 3]);
      const y1 = await cpu.conv(x, w1, { padding: 1 });
      expect(y1.data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      close(y1, conv(x, w1, { padding: 1 }));
      // Input and weight over a SharedArrayBuffer (whole, and a strided channel slice).
      const shared = toShared(y1);
      const w2 = toShared(rng.normalTensor([16, 32, 3, 3]));
      close(await cpu.conv(shared, w2, { padding: 1 }), conv(y1, w2, { padding: 1 }));
      const slice = shared.slice(1, 8, 24);
      const w3 = rng.normalTensor([8, 16, 3, 3]);
      close(await cpu.conv(slice, w3, { padding: 1 }), conv(slice, w3, { padding: 1 }));
    });
    expect(split).toBe(2);
  });

  it('with one thread, runs every call on the caller (the same bits as the synchronous op)', async () => {
    const one = await createCpuContext({ threads: 1 });
    try {
      expect(one.threads).toBe(1);
      const x = rng.normalTensor([2, 16, 40, 40]);
      const w = rng.normalTensor([32, 16, 3, 3]);
      same(await one.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      const gy = rng.normalTensor([2, 32, 40, 40]);
      const got = await one.convBackward(gy, x, w, { padding: 1 });
      const want = convBackward(gy, x, w, { padding: 1 });
      same(got.gradInput, want.gradInput);
      same(got.gradWeight, want.gradWeight);
    } finally {
      one.dispose();
    }
  });

  it('runs a piece itself when its worker has not started it (the same bits)', async () => {
    const fresh = await createPieceContext({ threads: 2 });
    try {
      const x = rng.normalTensor([2, 16, 40, 40]);
      const w = rng.normalTensor([32, 16, 3, 3]);
      // With taking back turned off a call's piece holds its worker until its reply comes in,
      // which the caller reads only once it awaits: the next call's piece waits for that worker.
      hooks(fresh).setStealingForTest(false);
      const first = fresh.conv(x, w, { padding: 1 });
      hooks(fresh).setStealingForTest(true);
      same(await fresh.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      expect(hooks(fresh).stolenPiecesForTest()).toBe(1);
      same(await first, conv(x, w, { padding: 1 }));
      // With taking back turned off, the worker runs its piece.
      hooks(fresh).setStealingForTest(false);
      same(await fresh.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
      expect(hooks(fresh).stolenPiecesForTest()).toBe(1);
    } finally {
      fresh.dispose();
    }
  });

  it('gives back-to-back calls each its own result (arenas reused, workers reused before their replies)', async () => {
    const split = await splitCalls(cpu, async () => {
      const w = rng.normalTensor([24, 16, 3, 3]);
      for (let i = 0; i < 12; i++) {
        const x = rng.normalTensor([1 + (i % 2), 16, 40 + i, 36]);
        const options = { padding: i % 3, stride: 1 + (i % 2) };
        const y = await cpu.conv(x, w, options);
        if (i % 2 === 1) same(y, conv(x, w, options));
        else close(y, conv(x, w, options));
      }
    });
    expect(split).toBe(6); // the stride-1 calls; stride 2 leaves them under INLINE_MACS
  });

  it('rejects bad arguments with the errors of the synchronous ops', async () => {
    const x = rng.normalTensor([1, 4, 8, 8]);
    const w = rng.normalTensor([2, 3, 3, 3]);
    await expect(cpu.conv2d(x, w)).rejects.toThrow(ShapeError);
    await expect(cpu.conv2d(x, w)).rejects.toThrow('conv2d: input has 4 channels but weight [2, 3, 3, 3]');
    await expect(cpu.conv(x, rng.normalTensor([2, 4, 3, 3]), { strides: 2 } as never)).rejects.toThrow(
      ArgumentError,
    );
  });

  it('queues 50 concurrent calls of mixed shapes safely', async () => {
    const calls = Array.from({ length: 50 }, (_, i) => {
      const n = 1 + (i % 3);
      const c = 4 + (i % 5);
      const x = rng.normalTensor([n, c, 32 + (i % 7), 32]);
      const w = rng.normalTensor([16 + 4 * (i % 4), c, 3, 3]);
      return { x, w, options: { padding: i % 2, stride: 1 + (i % 2) } };
    });
    const results = await Promise.all(calls.map(({ x, w, options }) => cpu.conv(x, w, options)));
    for (const [i, y] of results.entries()) close(y, conv(calls[i]!.x, calls[i]!.w, calls[i]!.options));
  });

  it('rejects a call whose worker stops with a WorkerError, replaces the worker and goes on', async () => {
    const x = rng.normalTensor([2, 64, 64, 64]);
    const w = rng.normalTensor([64, 64, 3, 3]);
    // The call's pieces are posted before cpu.conv returns: a worker is running one now (the
    // caller does not take it back, as it may when the worker has not started it yet).
    hooks(cpu).setStealingForTest(false);
    // A first call leaves the worker idle (done with pieces earlier tests took back).
    await cpu.conv(x, w, { padding: 1 });
    const pending = cpu.conv(x, w, { padding: 1 });
    const killed = hooks(cpu).terminateBusyWorkerForTest();
    hooks(cpu).setStealingForTest(true);
    expect(killed).toBe(true);
    await expect(pending).rejects.toThrow(WorkerError);
    await expect(pending).rejects.toThrow('conv: a pool worker stopped while it ran part of the call');
    // The replaced pool runs a split call (two pieces: both workers) again.
    const xs = rng.normalTensor([2, 16, 32, 32]);
    const ws = rng.normalTensor([24, 16, 3, 3]);
    same(await cpu.conv(xs, ws, { padding: 1 }), conv(xs, ws, { padding: 1 }));
  });

  it('cancels a call with its AbortSignal', async () => {
    const x = rng.normalTensor([2, 64, 64, 64]);
    const w = rng.normalTensor([64, 64, 3, 3]);
    const already = new AbortController();
    already.abort();
    await expect(cpu.conv(x, w, { signal: already.signal })).rejects.toThrow(AbortError);
    const controller = new AbortController();
    const pending = cpu.conv(x, w, { padding: 1, signal: controller.signal }); // running now
    controller.abort();
    await expect(pending).rejects.toThrow('conv: the call was aborted');
    await expect(pending).rejects.toThrow(AbortError);
    const small = rng.normalTensor([2, 8, 30, 30]);
    const ws = rng.normalTensor([8, 8, 3, 3]);
    same(await cpu.conv(small, ws), conv(small, ws));
  });

  it('lets go of its abort listeners when a call settles (a long-lived signal keeps no finished call alive)', async () => {
    const controller = new AbortController();
    let listening = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listening++;
      add(...args);
    }) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listening--;
      remove(...args);
    }) as typeof remove;
    const x = rng.normalTensor([2, 16, 32, 32]);
    const w = rng.normalTensor([24, 16, 3, 3]);
    for (let i = 0; i < 3; i++) {
      same(await cpu.conv(x, w, { padding: 1, signal: controller.signal }), conv(x, w, { padding: 1 }));
    }
    expect(listening).toBe(0);
    await expect(
      cpu.conv(x, rng.normalTensor([24, 15, 3, 3]), { signal: controller.signal }),
    ).rejects.toThrow(ShapeError);
    expect(listening).toBe(0);
  });

  it('never mutates its inputs and runs small calls on the caller', async () => {
    const x = rng.normalTensor([1, 8, 8, 8]);
    const w = rng.normalTensor([8, 8, 1, 1]);
    const before = [...x.data];
    same(await cpu.conv(x, w), conv(x, w));
    expect([...x.data]).toEqual(before);
  });

  it('rejects a running call with an AbortError when the context is disposed', async () => {
    const own = await createPieceContext({ threads: 2 });
    const x = rng.normalTensor([2, 64, 64, 64]);
    const w = rng.normalTensor([64, 64, 3, 3]);
    const pending = own.conv(x, w, { padding: 1 }); // its pieces are running now
    own.dispose();
    await expect(pending).rejects.toThrow('conv: the CPU context was disposed');
    await expect(own.conv(x, w)).rejects.toThrow(AbortError);
    // Small calls (which would run on the caller) too.
    await expect(own.conv(rng.normalTensor([1, 2, 4, 4]), rng.normalTensor([2, 2, 1, 1]))).rejects.toThrow(
      'conv2d: the CPU context was disposed',
    );
  });

  it('keeps Node alive while a call runs: a script that awaits a pooled call gets its result', async () => {
    // Workers idle between calls do not hold the process; a worker running a piece must. The
    // parent's V8 flag is one Node refuses in a worker's execArgv: the pool must not pass it on.
    const script = join(tmpdir(), `convkit-pool-exit-${process.pid}.mjs`);
    const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
    writeFileSync(
      script,
      `const { createCpuContext } = await import(${JSON.stringify(here('./cpu-context.ts'))});
const { Tensor } = await import(${JSON.stringify(here('../../../tensor/src/index.ts'))});
const cpu = await createCpuContext({ threads: 2 });
cpu.setTeamForTest(false);
cpu.setSplitMinMacsForTest(1 << 22);
const x = new Tensor(new Float32Array(2 * 16 * 40 * 40).fill(1), [2, 16, 40, 40]);
const w = new Tensor(new Float32Array(32 * 16 * 9).fill(1), [32, 16, 3, 3]);
const y = await cpu.conv(x, w, { padding: 1 });
console.log(cpu.threads, y.shape.join('x'), y.data[41]);
`,
    );
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--conditions=convkit-source', script],
        { cwd: here('../..'), timeout: 60_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    // Two workers; an interior output of an all-ones 3x3 conv over 16 channels is 144.
    expect(stdout.trim()).toBe('2 2x32x40x40 144');
  }, 70_000);
});
