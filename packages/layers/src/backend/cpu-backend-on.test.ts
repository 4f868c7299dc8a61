import * as kernels from '@convkit/kernels-cpu';
import { ArgumentError, assertClose, createRng, type Tensor, tensor } from '@convkit/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Variable } from '../autograd/variable';
import { mul, sum } from '../functional/arithmetic';
import { conv, deformConv } from '../functional/convolution';
import { crossEntropy } from '../functional/losses';
import { manualSeed } from '../init/global-rng';
import { ReLU } from '../modules/activations';
import { Sequential } from '../modules/containers';
import { Conv2d, ConvTranspose2d } from '../modules/conv';
import { BatchNorm2d } from '../modules/normalization';
import { MaxPool2d } from '../modules/pooling';
import { Flatten, Linear } from '../modules/simple';
import type { Backend } from './backend';
import { cpuBackend } from './cpu-backend';
import { cpuBackendOn, type SyncConvOps } from './cpu-backend-on';
import { setBackend } from './use-backend';

/** kernels-cpu's own synchronous ops, counting the calls that reach them. */
function countingOps(threads = 1): { ops: SyncConvOps; calls: Record<string, unknown[]> } {
  const calls: Record<string, unknown[]> = {};
  const count = (name: string, extra: unknown) => (calls[name] ??= []).push(extra);
  const ops: SyncConvOps = {
    threads,
    conv: (input, weight, options) => {
      count('conv', null);
      return kernels.conv(input, weight, options);
    },
    convBackward: ((
      gradOutput: Tensor,
      input: Tensor,
      weight: Tensor,
      options?: kernels.ConvOptions,
      gradients?: kernels.ConvBackwardGradientOptions,
    ) => {
      count('convBackward', gradients);
      return gradients === undefined
        ? kernels.convBackward(gradOutput, input, weight, options)
        : kernels.convBackward(gradOutput, input, weight, options, gradients);
    }) as typeof kernels.convBackward,
    convTranspose: (input, weight, options) => {
      count('convTranspose', null);
      return kernels.convTranspose(input, weight, options);
    },
    convTransposeBackward: (gradOutput, input, weight, options) => {
      count('convTransposeBackward', null);
      return kernels.convTransposeBackward(gradOutput, input, weight, options);
    },
    deformConv: (input, weight, offset, options) => {
      count('deformConv', null);
      return kernels.deformConv(input, weight, offset, options);
    },
    deformConvBackward: (gradOutput, input, weight, offset, options) => {
      count('deformConvBackward', null);
      return kernels.deformConvBackward(gradOutput, input, weight, offset, options);
    },
  };
  return { ops, calls };
}

function onBackend<T>(backend: Backend, run: () => T): T {
  const previous = setBackend(backend);
  try {
    return run();
  } finally {
    setBackend(previous);
  }
}

/** A CNN whose convolutions split well: two Conv2d (the first fed plain data), a ConvTranspose2d. */
function model(): Sequential {
  manualSeed(7);
  return new Sequential(
    new Conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3, padding: 1 }),
    new BatchNorm2d({ numFeatures: 16 }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Conv2d({ inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1 }),
    new ReLU(),
    new ConvTranspose2d({ inChannels: 32, outChannels: 8, kernelSize: 2, stride: 2 }),
    new Flatten(),
    new Linear({ inFeatures: 8 * 32 * 32, outFeatures: 10 }),
  );
}

/** One training step's numbers: the logits, the loss and every parameter's gradient. */
function step(net: Sequential, images: Tensor, labels: Tensor): Float32Array[] {
  net.zeroGrad();
  const logits = net.forward(images);
  const loss = crossEntropy(logits, labels);
  loss.backward();
  return [logits.data, loss.data, ...net.parameters().map((p) => p.grad!)].map((t) => t.toFloat32Array());
}

function batch(): { images: Tensor; labels: Tensor } {
  const rng = createRng(1);
  return {
    images: rng.normalTensor([8, 3, 32, 32]),
    labels: tensor([0, 1, 2, 3, 4, 5, 6, 7], [8]),
  };
}

describe('cpuBackendOn', () => {
  it("routes a model's convolutions through the ops and matches cpuBackend bit for bit", () => {
    const { images, labels } = batch();
    const net = model();
    const plain = onBackend(cpuBackend, () => step(net, images, labels));
    const { ops, calls } = countingOps();
    const backend = cpuBackendOn(ops);
    expect(backend.name).toBe('cpu (convolutions on 1 thread)');
    const pooled = onBackend(backend, () => step(net, images, labels));
    expect(calls).toEqual({
      conv: [null, null],
      convTranspose: [null],
      convTransposeBackward: [null],
      // The first layer's input is plain data: no input gradient.
      convBackward: [undefined, { inputGradient: false }],
    });
    expect(pooled).toHaveLength(plain.length);
    expect(pooled).toEqual(plain);
  });

  it('routes deformable convolution and its four gradients through the ops', () => {
    const rng = createRng(2);
    const [xt, wt, ot, mt, bt] = [
      rng.normalTensor([2, 4, 7, 7]),
      rng.normalTensor([6, 4, 3, 3]),
      rng.normalTensor([2, 18, 7, 7]),
      rng.normalTensor([2, 9, 7, 7]),
      rng.normalTensor([6]),
    ];
    const run = () => {
      const inputs = [xt, wt, ot, mt, bt].map((t) => new Variable(t, true));
      const [x, w, o, m, b] = inputs as [Variable, Variable, Variable, Variable, Variable];
      const y = deformConv(x, w, o, m, b, { padding: 1 });
      sum(mul(y, y)).backward();
      return [y.data, ...inputs.map((v) => v.grad!)].map((t) => t.toFloat32Array());
    };
    const plain = onBackend(cpuBackend, run);
    const { ops, calls } = countingOps(2);
    const pooled = onBackend(cpuBackendOn(ops), run);
    expect(calls).toEqual({ deformConv: [null], deformConvBackward: [null] });
    expect(pooled).toEqual(plain);
  });

  it('keeps everything else cpuBackend’s, recycling included', () => {
    const backend = cpuBackendOn(countingOps(2).ops);
    expect(backend.name).toBe('cpu (convolutions on 2 threads)');
    expect(Object.isFrozen(backend)).toBe(true);
    for (const key of Object.keys(cpuBackend) as (keyof Backend)[]) {
      if (key === 'name' || key.startsWith('conv') || key.startsWith('deformConv')) continue;
      expect(backend[key], key).toBe(cpuBackend[key]);
    }
  });

  it('refuses what is not synchronous convolution ops', () => {
    const { ops } = countingOps();
    expect(() => cpuBackendOn(null as never)).toThrow(ArgumentError);
    expect(() => cpuBackendOn(42 as never)).toThrow(
      /ops must be synchronous convolution ops .* got number 42/,
    );
    expect(() => cpuBackendOn({ ...ops, convBackward: undefined } as never)).toThrow(
      /ops\.convBackward must be a function, got undefined/,
    );
    expect(() => cpuBackendOn({ ...ops, threads: 1.5 })).toThrow(
      /ops\.threads must be a non-negative integer .* got number 1\.5/,
    );
    expect(() => cpuBackendOn({ ...ops, threads: '2' } as never)).toThrow(ArgumentError);
    // The context itself: the same op names, but promises.
    const context = { ...ops, sync: ops, dispose: () => {} };
    expect(() => cpuBackendOn(context)).toThrow(
      /ops is a CpuContext, .* pass its synchronous ops, ctx\.sync/,
    );
  });
});

describe('cpuBackendOn on a 2-thread CpuContext', () => {
  let context: kernels.CpuContext;
  beforeAll(async () => {
    context = await kernels.createCpuContext({ threads: 2 });
    // Split from 4M multiply-adds (its test hook), not from 6 ms of work: the test's tensors are small.
    (context as unknown as { setSplitMinMacsForTest(macs: number): void }).setSplitMinMacsForTest(1 << 22);
  });
  afterAll(() => context.dispose());
  /**
   * The context's count of calls it split (its test hooks): into op-level pieces, or into parts
   * of its team (threads sharing its WebAssembly memory), which takes the dense convolutions.
   */
  const splitCalls = () => {
    const hooks = context as unknown as {
      splitCallsForTest(): number;
      teamForTest(): { workerParts: number; takenBack: number } | null;
    };
    const team = hooks.teamForTest();
    return hooks.splitCallsForTest() + (team ? team.workerParts + team.takenBack : 0);
  };

  it('trains the model within 1e-4 of one thread, with calls split across both', () => {
    expect(context.sync.threads).toBe(2);
    const { images, labels } = batch();
    const net = model();
    const plain = onBackend(cpuBackend, () => step(net, images, labels));
    const before = splitCalls();
    const pooled = onBackend(cpuBackendOn(context.sync), () => step(net, images, labels));
    expect(splitCalls() - before).toBeGreaterThan(0);
    expect(pooled).toHaveLength(plain.length);
    pooled.forEach((values, i) => {
      assertClose(values, plain[i]!, { atol: 1e-4, rtol: 1e-4, label: `value ${i}` });
    });
  });

  it('gives the same bits where the split adds nothing up differently (samples, one algorithm)', () => {
    // Split by samples, each piece runs the whole convolution of its samples: the output and
    // the input gradient are the same sums; the weight and bias gradients add the pieces.
    const rng = createRng(3);
    const [xt, wt, bt] = [
      rng.normalTensor([8, 16, 16, 16]),
      rng.normalTensor([32, 16, 3, 3]),
      rng.normalTensor([32]),
    ];
    const upstream = rng.normalTensor([8, 32, 16, 16]);
    const run = () => {
      const [x, w, b] = [xt, wt, bt].map((t) => new Variable(t, true)) as [Variable, Variable, Variable];
      const y = conv(x, w, b, { padding: 1, algorithm: 'im2col' });
      sum(mul(y, upstream)).backward();
      return { y: y.data, gx: x.grad!, gw: w.grad!, gb: b.grad! };
    };
    const plain = onBackend(cpuBackend, run);
    const before = splitCalls();
    const pooled = onBackend(cpuBackendOn(context.sync), run);
    expect(splitCalls() - before).toBe(2); // the forward and the backward call
    expect(pooled.y.toFloat32Array()).toEqual(plain.y.toFloat32Array());
    expect(pooled.gx.toFloat32Array()).toEqual(plain.gx.toFloat32Array());
    assertClose(pooled.gw, plain.gw, { atol: 1e-4, rtol: 1e-4 });
    assertClose(pooled.gb, plain.gb, { atol: 1e-4, rtol: 1e-4 });
  });

  it("writes conv outputs and input gradients through ctx.sync's into-forms: the same bits as its fresh results, buffers reused", () => {
    const { images, labels } = batch();
    const net = model();
    const sync = context.sync;
    expect(typeof sync.convInto).toBe('function');
    // The same ops without the into-forms: fresh results (no convInto, no inputGradientInto).
    const withoutInto: SyncConvOps = {
      threads: sync.threads,
      conv: sync.conv,
      convBackward: sync.convBackward,
      convTranspose: sync.convTranspose,
      convTransposeBackward: sync.convTransposeBackward,
      deformConv: sync.deformConv,
      deformConvBackward: sync.deformConvBackward,
    };
    const steps = (backend: Backend) =>
      onBackend(backend, () => [0, 1, 2].map(() => step(net, images, labels)));
    const fresh = steps(cpuBackendOn(withoutInto));
    const outputs: ArrayBufferLike[] = [];
    const recycled = cpuBackendOn(sync);
    const recording: Backend = {
      ...recycled,
      conv: (input, weight, options) => {
        const y = recycled.conv(input, weight, options);
        outputs.push(y.data.buffer);
        return y;
      },
    };
    expect(steps(recording)).toEqual(fresh);
    // Two convolutions a step: the later steps write into buffers the earlier ones gave back.
    expect(outputs).toHaveLength(6);
    expect(new Set(outputs).size).toBeLessThan(6);
  });

  it('refuses the context itself (its ops are asynchronous)', () => {
    expect(() => cpuBackendOn(context as never)).toThrow(/pass its synchronous ops, ctx\.sync/);
  });
});
