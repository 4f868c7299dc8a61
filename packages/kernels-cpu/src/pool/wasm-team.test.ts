import { assertClose, createRng, resolveConvCall, type Tensor } from '@convkit/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, convInto } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import {
  compiledKernels,
  createSharedKernels,
  sharedMemoryBinary,
  type WasmCall,
  type WasmKernels,
  wasmInfo,
  wasmKernels,
} from '../wasm/wasm-runtime';
import { type CpuContext, createCpuContext } from './cpu-context';
import { createSplittingContext } from './piece-context-for-tests';
import { WorkerError } from './pool-errors';
import { claimWord, DONE, EMPTY, FAILED, POSTED, pullChunks, RUNNING, TeamMailbox } from './team-mailbox';
import { PoolTeam } from './wasm-team';
import type { TeamMember, WorkerPool } from './worker-pool';

const rng = createRng(2026);
let cpu: CpuContext;
let team: PoolTeam;

beforeAll(async () => {
  cpu = await createSplittingContext({ threads: 2 });
  team = (cpu as unknown as { teamForTest(): PoolTeam | null }).teamForTest()!;
});
afterAll(() => cpu.dispose());

const same = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 0, rtol: 0 });
const close = (a: Tensor, b: Tensor) => assertClose(a, b, { atol: 1e-4, rtol: 1e-4 });
/** Weights at PyTorch's default scale (outputs of order 1: Winograd's error bound holds). */
const weight = (shape: number[]) => {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return rng.uniformTensor(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
};
/** Runs `body` and returns the team's parts run by workers plus parts taken back (calls it split). */
function teamParts(body: () => void): number {
  const before = team.workerParts + team.takenBack;
  body();
  return team.workerParts + team.takenBack - before;
}

describe('the team of a CPU context (threads sharing its WebAssembly memory)', () => {
  it('exists in Node with two threads, on a shared memory', () => {
    expect(team).not.toBeNull();
    expect(team.threads).toBe(2);
    expect(team.kernels.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('splits the forward product of every kernel that splits itself, bit for bit the module op', () => {
    // Winograd (2-D, 1-D, dilated), the implicit GEMM (padded, strided, grouped, 3-D), the
    // packed GEMM (1x1), each with one sample (tiles, rows or positions split) and several
    // (samples split), odd sizes and tails.
    const cases: [number[], number[], Record<string, unknown>][] = [
      [[1, 32, 29, 31], [24, 32, 3, 3], { padding: 1 }],
      [[3, 16, 40, 36], [20, 16, 3, 3], { padding: 1, bias: rng.normalTensor([20]) }],
      [[1, 24, 50, 44], [24, 24, 3, 3], { padding: 2, dilation: 2 }],
      [[2, 24, 1201], [40, 24, 3], { padding: 1 }],
      [[1, 3, 110, 100], [16, 3, 7, 7], { stride: 2, padding: 3 }],
      [[2, 8, 35, 37], [12, 8, 5, 5], { padding: 2, bias: rng.normalTensor([12]) }],
      [[1, 32, 50, 48], [32, 8, 3, 3], { padding: 1, groups: 4, algorithm: 'wasm' }],
      [[1, 128, 30, 31], [64, 128, 1, 1], {}],
      [[8, 128, 16, 16], [96, 128, 1, 1], { bias: rng.normalTensor([96]) }],
      [[12, 8, 20, 32], [16, 8, 5, 5], { padding: 2, algorithm: 'wasm' }],
      [[10, 32, 20, 32], [32, 8, 3, 3], { padding: 1, groups: 4, algorithm: 'wasm' }],
      [[1, 8, 9, 20, 18], [8, 8, 3, 3, 3], { padding: 1 }],
      [[1, 20, 44, 40], [16, 20, 3, 3], { padding: 1, paddingMode: 'reflect' }],
      [[1, 40, 36, 20], [24, 20, 3, 3], { padding: 1, layout: 'channels-last' }],
    ];
    for (const [xs, ws, options] of cases) {
      const x = rng.normalTensor(xs);
      const w = weight(ws);
      let got!: Tensor;
      expect(
        teamParts(() => (got = cpu.sync.conv(x, w, options))),
        JSON.stringify(xs),
      ).toBeGreaterThan(0);
      same(got, conv(x, w, options));
    }
  });

  it('runs random geometries through the team with the bits of the module op', () => {
    let split = 0;
    for (let i = 0; i < 40; i++) {
      const dims = rng.int(1, 2);
      const k = [1, 3, 3, 5][rng.int(0, 3)]!;
      const cin = rng.int(1, 48);
      const cout = rng.int(8, 48);
      const batch = rng.int(1, 3);
      const spatial = Array.from({ length: dims }, () => rng.int(k + 20, dims === 1 ? 2000 : k + 60));
      const stride = rng.int(1, 2);
      const dilation = k === 1 ? 1 : rng.int(1, 2);
      const padding = rng.int(0, k >> 1) * dilation;
      const x = rng.normalTensor([batch, cin, ...spatial]);
      const w = weight([cout, cin, ...Array(dims).fill(k)]);
      const options = { stride, dilation, padding, algorithm: (['auto', 'wasm'] as const)[rng.int(0, 1)] };
      let got!: Tensor;
      if (teamParts(() => (got = cpu.sync.conv(x, w, options))) > 0) split++;
      same(got, conv(x, w, options));
    }
    // The others are small enough to run on the caller unsplit.
    expect(split).toBeGreaterThanOrEqual(10);
  });

  it('writes convInto results in place and gives the async ops the same bits', async () => {
    const x = rng.normalTensor([1, 24, 40, 36]);
    const w = weight([32, 24, 3, 3]);
    const out = rng.normalTensor([1, 32, 40, 36]);
    expect(teamParts(() => expect(cpu.sync.convInto(out, x, w, { padding: 1 })).toBe(out))).toBeGreaterThan(
      0,
    );
    same(out, conv(x, w, { padding: 1 }));
    const into = rng.normalTensor([1, 32, 40, 36]);
    same(convInto(into, x, w, { padding: 1 }), out);
    same(await cpu.conv(x, w, { padding: 1 }), out);
    same(await cpu.convInto(rng.normalTensor([1, 32, 40, 36]), x, w, { padding: 1 }), out);
  });

  it('splits the backward pass: input gradients bit for bit, weight gradients within the tolerance and repeatable', () => {
    for (const [xs, ws, options] of [
      [[2, 16, 36, 34], [24, 16, 3, 3], { padding: 1 }],
      [[1, 32, 40, 40], [16, 32, 3, 3], { padding: 1, algorithm: 'winograd' }],
      [[3, 12, 20, 32], [20, 12, 5, 5], { padding: 2, algorithm: 'wasm' }],
      [[2, 32, 1000], [48, 32, 3], { padding: 1 }],
    ] as [number[], number[], Record<string, unknown>][]) {
      const x = rng.normalTensor(xs);
      const w = weight(ws);
      const y = conv(x, w, options);
      const gy = rng.normalTensor([...y.shape]);
      const want = convBackward(gy, x, w, options);
      let got!: ReturnType<typeof convBackward>;
      expect(
        teamParts(() => (got = cpu.sync.convBackward(gy, x, w, options))),
        JSON.stringify(xs),
      ).toBeGreaterThan(0);
      same(got.gradInput, want.gradInput);
      close(got.gradWeight, want.gradWeight);
      same(got.gradBias!, want.gradBias!);
      same(cpu.sync.convBackward(gy, x, w, options).gradWeight, got.gradWeight);
    }
  });

  it('splits stride-1 transposed convolutions (Winograd on the flipped weight)', () => {
    const x = rng.normalTensor([1, 24, 48, 44]);
    const w = weight([24, 16, 3, 3]);
    let got!: Tensor;
    expect(teamParts(() => (got = cpu.sync.convTranspose(x, w, { padding: 1 })))).toBeGreaterThan(0);
    same(got, convTranspose(x, w, { padding: 1 }));
  });

  it('refuses nothing the module op takes: NaN inputs and data over the Winograd bound fall back the same way', () => {
    const x = rng.normalTensor([1, 16, 30, 30]);
    x.data[77] = Number.NaN;
    const w = weight([16, 16, 3, 3]);
    same(cpu.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
    const big = rng.normalTensor([1, 64, 30, 30], 0, 30);
    const wBig = rng.normalTensor([64, 64, 3, 3]);
    same(cpu.sync.conv(big, wBig, { padding: 1 }), conv(big, wBig, { padding: 1 }));
  });
});

describe('calls the team does not split', () => {
  it("run on the team's memory, so the context's calls fill one WebAssembly memory, not two", async () => {
    const ctx = await createCpuContext({ threads: 2 });
    try {
      const small = (ctx as unknown as { teamForTest(): PoolTeam | null }).teamForTest()!;
      // A 1x1 convolution of few multiply-adds (under SPLIT_MIN_MS: run on the caller) and a
      // 25.7 MB result, larger than either memory holds so far.
      const x = rng.normalTensor([64, 1, 56, 56]);
      const w = rng.normalTensor([32, 1, 1, 1]);
      const moduleBefore = wasmInfo().memoryBytes;
      const want = conv(x, w);
      expect(wasmInfo().memoryBytes).toBeGreaterThan(moduleBefore); // the module op grew its own
      const moduleAfter = wasmInfo().memoryBytes;
      const teamBefore = small.kernels.memory.buffer.byteLength;
      const parts = small.workerParts + small.takenBack;
      same(ctx.sync.conv(x, w), want);
      same(await ctx.conv(x, w), want);
      expect(small.workerParts + small.takenBack).toBe(parts); // not split
      expect(small.kernels.memory.buffer.byteLength).toBeGreaterThan(teamBefore + 25e6);
      expect(ctx.memoryBytes).toBe(small.kernels.memory.buffer.byteLength);
      expect(wasmInfo().memoryBytes).toBe(moduleAfter);
    } finally {
      ctx.dispose();
    }
  });
});

describe('PoolTeam.run', () => {
  /** A pool of fake members, whose mailboxes the test drives. */
  function fakePool(members: TeamMember[]): WorkerPool {
    return { teamMembers: () => members } as unknown as WorkerPool;
  }
  const shared = (): WasmKernels => createSharedKernels(wasmInfo().build ?? 'simd')!;

  it('runs every chunk on the caller when no worker starts (a worker asleep, or gone): the same bits', () => {
    const kernels = shared();
    const member: TeamMember = { mailbox: new TeamMailbox(), call: () => {}, stop: () => {} };
    const fake = PoolTeam.create(2, kernels, fakePool([member]))!;
    const x = rng.normalTensor([2, 8, 20, 20]);
    const w = weight([8, 8, 3, 3]);
    same(
      fake.runOp('conv2d', () => conv(x, w, { padding: 1 })),
      conv(x, w, { padding: 1 }),
    );
    expect(member.mailbox.state).toBe(EMPTY);
    expect(fake.takenBack).toBeGreaterThan(0);
    expect(fake.workerParts).toBe(0);
  });

  it('throws a WorkerError for a part that never ends, stops that worker and retires', () => {
    const kernels = shared();
    let stopped = 0;
    const member: TeamMember = {
      mailbox: new TeamMailbox(),
      // The worker claims the part and then never finishes (a crash after the claim).
      call: () => {
        Atomics.compareExchange(member.mailbox.words, 0, POSTED, RUNNING);
      },
      stop: () => stopped++,
    };
    const fake = PoolTeam.create(2, kernels, fakePool([member]))!;
    fake.stallMinMs = 30;
    const x = rng.normalTensor([1, 8, 12, 12]);
    const w = weight([8, 8, 3, 3]);
    expect(fake.takes(conv2dGeometry(x, w), undefined, 'forward')).toBe(true);
    let thrown: unknown;
    try {
      fake.runOp('conv2d', () => conv(x, w, { padding: 1, algorithm: 'wasm' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WorkerError);
    expect((thrown as Error).message).toMatch(
      /^conv2d: a pool worker did not finish its part of the call within 30 ms/,
    );
    expect(stopped).toBe(1);
    expect(fake.takes(conv2dGeometry(x, w), undefined, 'forward')).toBe(false);
  });

  it("rethrows a worker's error and leaves the mailbox ready for the next call", () => {
    const kernels = shared();
    const member: TeamMember = {
      mailbox: new TeamMailbox(),
      call: () => {
        member.mailbox.serve(
          () => new Int32Array(kernels.memory.buffer),
          () => {
            throw new RangeError('a chunk failed');
          },
          (error) => ({ kind: 'ResourceError', message: (error as Error).message }),
        );
      },
      stop: () => {},
    };
    const fake = PoolTeam.create(2, kernels, fakePool([member]))!;
    const x = rng.normalTensor([1, 8, 40, 40]);
    const w = weight([8, 8, 3, 3]);
    expect(() => fake.runOp('conv2d', () => conv(x, w, { padding: 1, algorithm: 'wasm' }))).toThrow(
      'a chunk failed',
    );
    expect(member.mailbox.state).toBe(EMPTY);
  });
});

describe('TeamMailbox', () => {
  it('carries chunks of calls, with each thread its own scratch, claimed from both ends', () => {
    const memory = new Int32Array(new SharedArrayBuffer(64));
    const box = new TeamMailbox();
    const work = {
      chunks: [
        [['implicitPad', 1, -2, { inThread: 8 }] as WasmCall],
        [['loweredProduct', 3, { inThread: 0 }] as WasmCall, ['implicitProduct', 4.5] as WasmCall],
        [['winogradConv', 7] as WasmCall],
      ],
      counterAt: 16,
    };
    expect(TeamMailbox.fits(work)).toBe(true);
    expect(TeamMailbox.fits({ ...work, chunks: [[['sgemm', 1] as WasmCall]] })).toBe(false);
    box.post({ ...work, scratch: 1000 });
    expect(box.state).toBe(POSTED);
    Atomics.store(memory, 4, claimWord(3));
    // The caller takes chunk 0 from the front; the worker then takes 2 and 1 from the back.
    const front: number[] = [];
    let claimed = false;
    pullChunks(memory, 16, false, (chunk) => {
      front.push(chunk);
      if (!claimed) {
        claimed = true;
        const calls: [string, number[]][] = [];
        expect(
          box.serve(
            () => memory,
            (name, args) => calls.push([name, args]),
            () => ({ kind: 'Error', message: '' }),
          ),
        ).toBe(true);
        expect(calls).toEqual([
          ['winogradConv', [7]],
          ['loweredProduct', [3, 1000]],
          ['implicitProduct', [4.5]],
        ]);
      }
    });
    expect(front).toEqual([0]);
    expect(box.state).toBe(DONE);
    expect(box.takeBack()).toBe(false);
    box.clear();
    box.post({ ...work, scratch: 0 });
    expect(box.takeBack()).toBe(true);
    expect(
      box.serve(
        () => memory,
        () => {},
        () => ({ kind: 'Error', message: '' }),
      ),
    ).toBe(false);
  });

  it('reports a failed chunk with its error class and message', () => {
    const memory = new Int32Array(new SharedArrayBuffer(64));
    const box = new TeamMailbox();
    box.post({ chunks: [[['winogradConv', 1]]], counterAt: 0, scratch: 0 });
    Atomics.store(memory, 0, claimWord(1));
    box.serve(
      () => memory,
      () => {
        throw new Error('boom');
      },
      () => ({ kind: 'ResourceError', message: 'conv2d: out of memory' }),
    );
    expect(box.state).toBe(FAILED);
    expect(box.error().name).toBe('ResourceError');
    expect(box.error().message).toBe('conv2d: out of memory');
  });
});

/** The slice of the WebAssembly JS API these tests use (the package has no DOM or WebAssembly lib). */
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Module: { new (bytes: Uint8Array): object; imports(module: object): { kind: string; name: string }[] };
      Instance: new (module: object, imports: object) => object;
      Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => object;
    };
  }
).WebAssembly;

describe('compiledKernels', () => {
  it('gives the modules a context posts its workers, compiled once, the shared form on request', () => {
    const build = wasmKernels()!.build;
    const plain = compiledKernels(build, false);
    expect(plain.shared).toBeNull();
    const both = compiledKernels(build, true);
    expect(both.module).toBe(plain.module);
    expect(compiledKernels(build, true).shared).toBe(both.shared);
    expect(both.module).toBeInstanceOf(WA.Module);
    expect(both.shared).toBeInstanceOf(WA.Module);
    // Both import the memory; only the shared form takes a shared one, and needs it.
    const memoryImport = (m: object) => WA.Module.imports(m).find((i) => i.kind === 'memory');
    expect(memoryImport(both.module)?.name).toBe('memory');
    expect(memoryImport(both.shared!)?.name).toBe('memory');
    expect(
      () =>
        new WA.Instance(both.shared!, {
          env: { memory: new WA.Memory({ initial: 2, maximum: 65535, shared: true }) },
        }),
    ).not.toThrow();
    expect(() => new WA.Instance(both.shared!, { env: { memory: new WA.Memory({ initial: 2 }) } })).toThrow();
  });
});

describe('sharedMemoryBinary', () => {
  it('declares the imported memory shared with a maximum, and nothing else changes', () => {
    const kernels = wasmKernels()!;
    expect(kernels).not.toBeNull();
    const shared = createSharedKernels(kernels.build)!;
    expect(shared.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Object.keys(shared.exports).sort()).toEqual(Object.keys(kernels.exports).sort());
    expect(() => sharedMemoryBinary(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toThrow(
      'the kernel binary does not import one plain memory',
    );
  });
});

/** The geometry of a 2-D convolution of x and w with padding 1 (for PoolTeam.takes). */
function conv2dGeometry(x: Tensor, w: Tensor) {
  return resolveConvCall('conv2d', x, w, { padding: 1 }).geometry;
}
