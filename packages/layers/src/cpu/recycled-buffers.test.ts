import { createRng, type Tensor, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../autograd/grad-mode';
import { Parameter } from '../autograd/parameter';
import { asVariable, type Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import type { Backend } from '../backend/backend';
import { cpuBackend } from '../backend/cpu-backend';
import { setBackend } from '../backend/use-backend';
import { relu } from '../functional/activations';
import { add, mul, sum } from '../functional/arithmetic';
import { maxPool } from '../functional/pooling';
import { flatten } from '../functional/shape-ops';
import { manualSeed } from '../init/global-rng';
import { ReLU } from '../modules/activations';
import { BasicBlock } from '../modules/blocks';
import { Sequential } from '../modules/containers';
import { Conv2d } from '../modules/conv';
import { Module } from '../modules/module';
import { BatchNorm2d } from '../modules/normalization';
import { MaxPool2d } from '../modules/pooling';
import { Flatten, Linear } from '../modules/simple';
import {
  MAX_IDLE_TAKES,
  MAX_POOLED_BYTES,
  MAX_SLACK,
  pooledBytes,
  releaseBuffer,
  releaseIndices,
  takeBuffer,
  takeIndices,
} from './recycled-buffers';

describe('gradient buffers', () => {
  it('recycles only the buffers it handed out, whole, once', () => {
    const before = pooledBytes();
    const a = takeBuffer(1001);
    a.fill(7);
    releaseBuffer(a);
    expect(pooledBytes()).toBe(before + 4004);
    releaseBuffer(a); // a second release is ignored
    expect(pooledBytes()).toBe(before + 4004);
    const b = takeBuffer(1001);
    expect(b).toBe(a);
    expect(b[0]).toBe(7); // stale contents unless zeroed was asked
    releaseBuffer(b);
    expect(takeBuffer(1001, true).every((v) => v === 0)).toBe(true);
    // Not handed out, or only part of one: ignored.
    const mine = new Float32Array(1001);
    releaseBuffer(mine);
    const c = takeBuffer(2002);
    releaseBuffer(c.subarray(0, 1001));
    expect(pooledBytes()).toBe(before);
    expect(takeBuffer(1001)).not.toBe(mine);
  });

  it('drops a buffer that MAX_IDLE_TAKES takes of other sizes passed over', () => {
    // Enough takes to drop whatever earlier tests left in the pool.
    for (let i = 0; i <= MAX_IDLE_TAKES; i++) takeBuffer(5);
    expect(pooledBytes()).toBe(0);
    const idle = takeBuffer(777);
    releaseBuffer(idle);
    for (let i = 0; i < MAX_IDLE_TAKES; i++) takeBuffer(5);
    expect(pooledBytes()).toBe(777 * 4); // still there after MAX_IDLE_TAKES takes
    takeBuffer(5);
    expect(pooledBytes()).toBe(0);
    expect(takeBuffer(777)).not.toBe(idle);
  });

  it('serves a shorter take from a pooled buffer up to MAX_SLACK times as long, as a view of its start', () => {
    for (let i = 0; i <= MAX_IDLE_TAKES; i++) takeBuffer(5);
    expect(pooledBytes()).toBe(0);
    const full = takeBuffer(1000);
    full.fill(3);
    releaseBuffer(full);
    // A last, shorter batch: the start of the full-size buffer, cleared when asked.
    const short = takeBuffer(600, true);
    expect(short.buffer).toBe(full.buffer);
    expect(short.length).toBe(600);
    expect(short.byteOffset).toBe(0);
    expect(short.every((v) => v === 0)).toBe(true);
    expect(full[600]).toBe(3); // the rest is left alone
    expect(pooledBytes()).toBe(0);
    // Given back as it was handed out; the whole buffer or another length is not its release.
    releaseBuffer(new Float32Array(short.buffer));
    releaseBuffer(short.subarray(0, 300));
    expect(pooledBytes()).toBe(0);
    releaseBuffer(short);
    expect(pooledBytes()).toBe(4000);
    releaseBuffer(short); // twice: ignored
    expect(pooledBytes()).toBe(4000);
    // Then it serves a full-size take whole again.
    const again = takeBuffer(1000);
    expect(again.buffer).toBe(full.buffer);
    expect(again.length).toBe(1000);
    releaseBuffer(again);
    // More than MAX_SLACK times longer: a buffer of its own.
    expect(1000 / 499).toBeGreaterThan(MAX_SLACK);
    expect(takeBuffer(499).buffer).not.toBe(full.buffer);
    // The exact length first, then the shortest that fits.
    const big = takeBuffer(1900);
    const mid = takeBuffer(1200);
    releaseBuffer(big);
    releaseBuffer(mid);
    expect(takeBuffer(1000).buffer).toBe(again.buffer);
    expect(takeBuffer(1000).buffer).toBe(mid.buffer);
    expect(takeBuffer(1000).buffer).toBe(big.buffer);
  });

  it('hands out index arrays over its buffers and takes back only its own, whole', () => {
    for (let i = 0; i <= MAX_IDLE_TAKES; i++) takeBuffer(5);
    const indices = takeIndices(333);
    expect(indices).toBeInstanceOf(Int32Array);
    expect(indices.length).toBe(333);
    releaseIndices(indices);
    expect(pooledBytes()).toBe(333 * 4);
    // The same bytes serve a float buffer of that length next.
    expect(takeBuffer(333).buffer).toBe(indices.buffer);
    releaseIndices(new Int32Array(333));
    releaseIndices(takeIndices(666).subarray(0, 333));
    expect(pooledBytes()).toBe(0);
  });

  it('holds at most MAX_POOLED_BYTES, dropping the oldest', () => {
    const big = MAX_POOLED_BYTES / 4 / 3 + 1; // three of these do not fit
    const buffers = [takeBuffer(big), takeBuffer(big), takeBuffer(big)];
    for (const b of buffers) releaseBuffer(b);
    expect(pooledBytes()).toBeLessThanOrEqual(MAX_POOLED_BYTES);
    // Empty the pool of them again (the newest two are kept).
    takeBuffer(big);
    takeBuffer(big);
  });
});

/**
 * The CPU backend without recycling or in-place kernels: the reference the recycled runs
 * (and a Sequential's in-place ReLU) must match bit for bit.
 */
const noRecycling: Backend = {
  ...cpuBackend,
  name: 'cpu-plain',
  release: undefined,
  releaseArgmax: undefined,
  unaryInPlace: undefined,
  unaryBackwardInPlace: undefined,
};

function gradsOf(params: Parameter[]): Float32Array[] {
  return params.map((p) => p.grad!.toFloat32Array());
}

function withBackend<T>(backend: Backend, run: () => T): T {
  const previous = setBackend(backend);
  try {
    return run();
  } finally {
    setBackend(previous);
  }
}

describe('recycling in the backward pass', () => {
  it('gives the same gradients as fresh buffers where one gradient feeds several ops (residual, shared uses, views)', () => {
    const build = () => {
      manualSeed(3);
      return new Sequential(
        new BasicBlock({ inChannels: 4, outChannels: 4 }),
        new BatchNorm2d({ numFeatures: 4 }),
        new MaxPool2d({ kernelSize: 2 }),
      );
    };
    const x = createRng(8).normalTensor([3, 4, 6, 6]);
    const run = () => {
      const model = build();
      const params = model.parameters();
      const out: Float32Array[][] = [];
      for (let step = 0; step < 3; step++) {
        for (const p of params) p.grad = null;
        const y = model.forward(x);
        // relu(y) is used three times: twice through mul (one gradient, the same tensor, to
        // both inputs), once through a flatten view.
        const r = relu(y);
        add(sum(mul(r, r)), sum(flatten(r))).backward();
        out.push(gradsOf(params));
      }
      return out;
    };
    const fresh = withBackend(noRecycling, run);
    const recycled = run();
    expect(pooledBytes()).toBeGreaterThan(0); // the recycled run did recycle
    expect(recycled).toEqual(fresh);
  });

  it('recycles the values between built-in children of a Sequential and runs its ReLUs in place, with the same training as fresh buffers', () => {
    const build = () => {
      manualSeed(5);
      return new Sequential(
        new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1 }),
        new BatchNorm2d({ numFeatures: 4 }),
        new ReLU(),
        new MaxPool2d({ kernelSize: 2 }),
        new Flatten(),
        new Linear({ inFeatures: 4 * 4 * 4, outFeatures: 8 }),
        new ReLU(),
        new Linear({ inFeatures: 8, outFeatures: 3 }),
      );
    };
    const x = createRng(9).normalTensor([5, 2, 8, 8]);
    const run = () => {
      const model = build();
      const params = model.parameters();
      const out: Float32Array[][] = [];
      for (let step = 0; step < 3; step++) {
        for (const p of params) p.grad = null;
        const y = model.forward(x);
        sum(mul(y, y)).backward();
        out.push([...gradsOf(params), y.data.toFloat32Array()]);
        // A plain update, so that each step's values differ.
        for (const p of params) p.data = p.data.clone();
      }
      return out;
    };
    const fresh = withBackend(noRecycling, run);
    const before = pooledBytes();
    const recycled = run();
    expect(pooledBytes()).toBeGreaterThan(before);
    expect(recycled).toEqual(fresh);
  });

  it('a ReLU before a max pooling runs after it, with the same values and gradients as the written order', () => {
    manualSeed(7);
    const conv = new Conv2d({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1 });
    const pool = new MaxPool2d({ kernelSize: 2 });
    const reluModule = new ReLU();
    const model = new Sequential(conv, reluModule, pool, new Flatten());
    // Whole windows of negatives, exact ties (rounded values) and a NaN.
    const values = createRng(13)
      .normalTensor([2, 1, 6, 6])
      .toFloat32Array()
      .map((v) => Math.round(v * 2) / 2);
    values[7] = Number.NaN;
    const x = new Parameter(tensor(values, [2, 1, 6, 6]));
    const upstream = createRng(14).normalTensor([2, 27]);
    const run = (forward: () => Variable) => {
      x.grad = null;
      for (const p of model.parameters()) p.grad = null;
      const out = forward();
      sum(mul(out, upstream)).backward();
      return [out.data.toFloat32Array(), x.grad!.toFloat32Array(), ...gradsOf(model.parameters())];
    };
    const written = run(() => flatten(pool.forward(reluModule.forward(conv.forward(x)))));
    const swapped = run(() => model.forward(x));
    expect(swapped).toEqual(written);
  });

  it('without a tape, a Sequential gives each private value back as soon as the next child has read it', () => {
    manualSeed(8);
    const model = new Sequential(
      new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
      new BatchNorm2d({ numFeatures: 4 }),
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
      new Flatten(),
      new Linear({ inFeatures: 4 * 5 * 5, outFeatures: 3 }),
    );
    model.eval();
    const x = createRng(15).normalTensor([3, 1, 10, 10]);
    const plain = withBackend(noRecycling, () => noGrad(() => model.forward(x)).data.toFloat32Array());
    const before = pooledBytes();
    const first = noGrad(() => model.forward(x)).data.toFloat32Array();
    expect(pooledBytes()).toBeGreaterThan(before);
    // A second pass takes the released buffers again and still gives the same values.
    expect(noGrad(() => model.forward(x)).data.toFloat32Array()).toEqual(first);
    expect(first).toEqual(plain);
  });

  it('never recycles a value a custom module may keep (its input and output stay intact)', () => {
    class Keeper extends Module {
      readonly typeName = 'Keeper';
      kept: Variable[] = [];
      forward(v: Input): Variable {
        const out = relu(v);
        this.kept.push(asVariable('Keeper', 'input', v), out);
        return out;
      }
    }
    manualSeed(6);
    const keeper = new Keeper();
    const model = new Sequential(
      new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3 }),
      new BatchNorm2d({ numFeatures: 2 }),
      keeper,
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
    );
    const x = createRng(10).normalTensor([2, 1, 10, 10]);
    sum(model.forward(x)).backward();
    const copies = keeper.kept.map((v) => v.data.toFloat32Array());
    // More steps take (and overwrite) whatever buffers were released.
    for (let i = 0; i < 3; i++) sum(model.forward(createRng(20 + i).normalTensor([2, 1, 10, 10]))).backward();
    keeper.kept.slice(0, 2).forEach((v, i) => {
      expect(v.data.toFloat32Array()).toEqual(copies[i]);
    });
  });

  it('keeps a gradient that an op hands to two inputs until both have used it', () => {
    // add's backward gives its (recycled) output gradient to both branches as one tensor;
    // recycled after the first branch's outer relu, the inner relu of that branch would take
    // it and overwrite what the second branch has yet to read.
    const run = () => {
      const rng = createRng(12);
      const w1 = new Parameter(rng.normalTensor([64]));
      const w2 = new Parameter(rng.normalTensor([64]));
      const c = rng.normalTensor([64]);
      const out = relu(add(relu(relu(w1)), relu(relu(w2))));
      sum(mul(out, c)).backward();
      return gradsOf([w1, w2]);
    };
    expect(run()).toEqual(withBackend(noRecycling, run));
  });

  it("recycles max pooling's argmax when its node is dropped, not while retainGraph keeps it", () => {
    const released: Int32Array[] = [];
    const spying: Backend = {
      ...cpuBackend,
      releaseArgmax: (argmax) => {
        released.push(argmax);
        cpuBackend.releaseArgmax!(argmax);
      },
    };
    const x = new Parameter(createRng(21).normalTensor([2, 3, 8, 8]));
    const upstream = createRng(22).normalTensor([2, 3, 4, 4]);
    const run = (backend: Backend) =>
      withBackend(backend, () => {
        x.grad = null;
        const loss = sum(mul(maxPool(x, 2, { kernelSize: 2 }), upstream));
        loss.backward(undefined, { retainGraph: true });
        const once = x.grad!.toFloat32Array();
        const kept = released.length;
        // The second pass reads the same argmax: it must not have been recycled.
        takeIndices(2 * 3 * 4 * 4).fill(-1);
        loss.backward();
        return { once, twice: x.grad!.toFloat32Array(), kept };
      });
    const fresh = run(noRecycling);
    const recycled = run(spying);
    expect(recycled.kept).toBe(0);
    expect(released).toHaveLength(1);
    expect(recycled).toEqual(fresh);
    expect(recycled.twice).toEqual(recycled.once.map((v) => 2 * v));
    // Without a tape nothing will read it: it goes back at once.
    noGrad(() => withBackend(spying, () => maxPool(x, 2, { kernelSize: 2 })));
    expect(released).toHaveLength(2);
  });

  it('gives back a batch-norm output fed to max pooling right after the pooling reads it', () => {
    manualSeed(9);
    const model = new Sequential(
      new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
      new BatchNorm2d({ numFeatures: 4 }),
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
      new Flatten(),
    );
    const x = createRng(23).normalTensor([3, 1, 12, 12]);
    const upstream = createRng(24).normalTensor([3, 4 * 6 * 6]);
    const run = () => {
      for (const p of model.parameters()) p.grad = null;
      const before = pooledBytes();
      const y = model.forward(x);
      const during = pooledBytes() - before;
      const loss = sum(mul(y, upstream));
      // Twice: no backward reads the value given back.
      loss.backward(undefined, { retainGraph: true });
      loss.backward();
      return { during, values: [y.data.toFloat32Array(), ...gradsOf(model.parameters())] };
    };
    // Drain the pool so the batch-norm output is a fresh buffer that goes in during forward.
    for (let i = 0; i <= MAX_IDLE_TAKES; i++) takeBuffer(5);
    const recycled = run();
    expect(recycled.during).toBe(3 * 4 * 12 * 12 * 4);
    const fresh = withBackend(noRecycling, run);
    expect(recycled.values).toEqual(fresh.values);
  });

  it('lets a leaf keep a gradient nothing else holds, uncopied, and never recycles it', () => {
    const w = new Parameter(createRng(31).normalTensor([64]));
    const c = createRng(32).normalTensor([64]);
    const returned: Tensor[] = [];
    const spying: Backend = {
      ...cpuBackend,
      unaryBackward: (...args: Parameters<Backend['unaryBackward']>) => {
        const g = cpuBackend.unaryBackward(...args);
        returned.push(g);
        return g;
      },
      unaryBackwardInPlace: undefined,
    };
    withBackend(spying, () => sum(mul(relu(w), c)).backward());
    // relu's backward made the gradient; the leaf holds that very tensor.
    expect(returned).toHaveLength(1);
    expect(w.grad).toBe(returned[0]);
    const kept = w.grad!;
    const copy = kept.toFloat32Array();
    // More steps take (and overwrite) whatever was released: the kept gradient is untouched.
    for (let i = 0; i < 3; i++) {
      w.grad = null;
      sum(mul(relu(w), createRng(40 + i).normalTensor([64]))).backward();
      takeBuffer(64).fill(Number.NaN);
    }
    expect(kept.toFloat32Array()).toEqual(copy);
    // A gradient that a second leaf still waits for is copied: add gives both the same tensor.
    const a = new Parameter(createRng(33).normalTensor([8]));
    const b = new Parameter(createRng(34).normalTensor([8]));
    sum(mul(add(a, b), createRng(35).normalTensor([8]))).backward();
    expect(a.grad!.data.buffer).not.toBe(b.grad!.data.buffer);
    expect(a.grad!.toFloat32Array()).toEqual(b.grad!.toFloat32Array());
  });

  it('never recycles the seed gradient a caller passed in', () => {
    const w = new Parameter(createRng(2).normalTensor([2, 8]));
    const seed: Tensor = createRng(5).normalTensor([2, 8]);
    const copy = seed.toFloat32Array();
    relu(w).backward(seed);
    takeBuffer(16).fill(Number.NaN);
    expect(seed.toFloat32Array()).toEqual(copy);
  });
});
