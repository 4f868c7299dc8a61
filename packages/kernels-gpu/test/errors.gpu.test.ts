/**
 * Bad inputs: the GPU ops refuse exactly what the CPU ops refuse, with the same typed error
 * and the same message (both check with @convkit/tensor's resolve*Call functions), whether the
 * tensors are CPU Tensors or GpuTensors; and the GPU's own refusals (disposed tensors, a
 * tensor of another context, unknown GPU algorithms).
 */
import * as cpu from '@convkit/kernels-cpu';
import { ArgumentError, createRng, type Tensor } from '@convkit/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createGpuContext, type GpuContext, GpuTensor } from '../src/index';
import { openTestGpu } from './gpu-for-tests';

const { gpu, skipReason } = await openTestGpu('errors');
afterAll(() => gpu?.dispose());

const rng = createRng(3);
const x = rng.normalTensor([2, 4, 6, 6]);
const w = rng.normalTensor([8, 4, 3, 3]);
const wt = rng.normalTensor([4, 2, 3, 3]);
const offset = rng.normalTensor([2, 18, 4, 4]);

/** A bad call, made the same way on the CPU package and on a GPU context. */
interface BadCall {
  name: string;
  cpu: () => unknown;
  gpu: (ctx: GpuContext) => unknown;
}

const any = (v: unknown) => v as never;

const BAD_CALLS: BadCall[] = [
  { name: 'input is not a tensor', cpu: () => cpu.conv(any(3), w), gpu: (g) => g.conv(any(3), w) },
  {
    name: 'weight rank 2',
    cpu: () => cpu.conv(x, rng.normalTensor([8, 4])),
    gpu: (g) => g.conv(x, rng.normalTensor([8, 4])),
  },
  {
    name: 'channel mismatch',
    cpu: () => cpu.conv(x, rng.normalTensor([8, 3, 3, 3])),
    gpu: (g) => g.conv(x, rng.normalTensor([8, 3, 3, 3])),
  },
  { name: 'stride 0', cpu: () => cpu.conv(x, w, { stride: 0 }), gpu: (g) => g.conv(x, w, { stride: 0 }) },
  {
    name: 'misspelt option',
    cpu: () => cpu.conv(x, w, any({ padding_mode: 'reflect' })),
    gpu: (g) => g.conv(x, w, any({ padding_mode: 'reflect' })),
  },
  {
    name: 'bias shape',
    cpu: () => cpu.conv(x, w, { bias: rng.normalTensor([3]) }),
    gpu: (g) => g.conv(x, w, { bias: rng.normalTensor([3]) }),
  },
  {
    name: 'groups do not divide',
    cpu: () => cpu.conv(x, w, { groups: 3 }),
    gpu: (g) => g.conv(x, w, { groups: 3 }),
  },
  {
    name: 'reflect padding too wide',
    cpu: () => cpu.conv(x, w, { padding: 6, paddingMode: 'reflect' }),
    gpu: (g) => g.conv(x, w, { padding: 6, paddingMode: 'reflect' }),
  },
  {
    name: 'empty output',
    cpu: () => cpu.conv(x, rng.normalTensor([8, 4, 7, 7])),
    gpu: (g) => g.conv(x, rng.normalTensor([8, 4, 7, 7])),
  },
  { name: 'conv1d with a 2-D weight', cpu: () => cpu.conv1d(x, w), gpu: (g) => g.conv1d(x, w) },
  { name: 'conv3d with a 2-D weight', cpu: () => cpu.conv3d(x, w), gpu: (g) => g.conv3d(x, w) },
  {
    name: "transposed 'same'",
    cpu: () => cpu.convTranspose(x, wt, any({ padding: 'same' })),
    gpu: (g) => g.convTranspose(x, wt, any({ padding: 'same' })),
  },
  {
    name: 'outputPadding too large',
    cpu: () => cpu.convTranspose(x, wt, { outputPadding: 1 }),
    gpu: (g) => g.convTranspose(x, wt, { outputPadding: 1 }),
  },
  {
    name: 'transposed reflect',
    cpu: () => cpu.convTranspose2d(x, wt, any({ paddingMode: 'reflect' })),
    gpu: (g) => g.convTranspose2d(x, wt, any({ paddingMode: 'reflect' })),
  },
  {
    name: 'convTranspose1d with a 2-D weight',
    cpu: () => cpu.convTranspose1d(x, wt),
    gpu: (g) => g.convTranspose1d(x, wt),
  },
  {
    name: 'gradOutput shape',
    cpu: () => cpu.convBackward(rng.normalTensor([2, 8, 5, 5]), x, w),
    gpu: (g) => g.convBackward(rng.normalTensor([2, 8, 5, 5]), x, w),
  },
  {
    name: 'transposed gradOutput shape',
    cpu: () => cpu.convTransposeBackward(x, x, wt),
    gpu: (g) => g.convTransposeBackward(x, x, wt),
  },
  {
    name: 'layout name',
    cpu: () => cpu.conv(x, w, any({ layout: 'nhwc' })),
    gpu: (g) => g.conv(x, w, any({ layout: 'nhwc' })),
  },
  {
    name: 'deform offset channels',
    cpu: () => cpu.deformConv(x, w, rng.normalTensor([2, 17, 4, 4])),
    gpu: (g) => g.deformConv(x, w, rng.normalTensor([2, 17, 4, 4])),
  },
  {
    name: 'deform mask shape',
    cpu: () => cpu.deformConv(x, w, offset, { mask: rng.normalTensor([2, 9, 5, 5]) }),
    gpu: (g) => g.deformConv(x, w, offset, { mask: rng.normalTensor([2, 9, 5, 5]) }),
  },
  {
    name: 'deform channels-last',
    cpu: () => cpu.deformConv(x, w, offset, any({ layout: 'channels-last' })),
    gpu: (g) => g.deformConv(x, w, offset, any({ layout: 'channels-last' })),
  },
  {
    name: 'deform offsetGroups option',
    cpu: () => cpu.deformConv(x, w, offset, any({ offsetGroups: 2 })),
    gpu: (g) => g.deformConv(x, w, offset, any({ offsetGroups: 2 })),
  },
  {
    name: 'deform gradOutput shape',
    cpu: () => cpu.deformConvBackward(x, x, w, offset),
    gpu: (g) => g.deformConvBackward(x, x, w, offset),
  },
  {
    name: 'options not an object',
    cpu: () => cpu.conv(x, w, any('same')),
    gpu: (g) => g.conv(x, w, any('same')),
  },
];

function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe.skipIf(!gpu)(
  `GPU ops refuse bad input as the CPU ops do${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    it.each(BAD_CALLS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const expected = thrown(c.cpu);
      const actual = thrown(() => c.gpu(gpu!));
      expect(actual.name).toBe(expected.name);
      expect(actual.message).toBe(expected.message);
    });

    it('give GpuTensor arguments the same messages as Tensors', () => {
      const ctx = gpu!;
      const gx = ctx.upload(x);
      const badWeight = ctx.upload(rng.normalTensor([8, 3, 3, 3]));
      const expected = thrown(() => cpu.conv(x, rng.normalTensor([8, 3, 3, 3])));
      const actual = thrown(() => ctx.conv(gx, badWeight));
      expect(actual.message).toBe(expected.message);
      const badBias = ctx.upload(rng.normalTensor([3]));
      expect(thrown(() => ctx.conv(gx, w, { bias: badBias })).message).toBe(
        thrown(() => cpu.conv(x, w, { bias: rng.normalTensor([3]) })).message,
      );
      for (const t of [gx, badWeight, badBias]) t.dispose();
      expect(ctx.liveBuffers).toBe(0);
    });

    it('refuse an unknown GPU algorithm, naming the GPU ones', () => {
      expect(() => gpu!.conv(x, w, any({ algorithm: 'im2col' }))).toThrow(ArgumentError);
      expect(() => gpu!.conv(x, w, any({ algorithm: 'im2col' }))).toThrow(
        /'direct', 'implicit-gemm', 'depthwise'/,
      );
    });

    it('refuse a disposed GpuTensor, and dispose twice without harm', async () => {
      const ctx = gpu!;
      const gx = ctx.upload(x);
      gx.dispose();
      gx.dispose();
      expect(gx.disposed).toBe(true);
      expect(() => ctx.conv(gx, w)).toThrow(/was disposed/);
      await expect(gx.toTensor()).rejects.toThrow(/was disposed/);
      expect(ctx.liveBuffers).toBe(0);
    });

    it('refuse a GpuTensor of another context, leaving no buffer behind', async () => {
      const other = await createGpuContext();
      const foreign = other.upload(x);
      expect(() => gpu!.conv(foreign, w)).toThrow(ArgumentError);
      expect(() => gpu!.conv(foreign, w)).toThrow(/another GPU context/);
      expect(gpu!.liveBuffers).toBe(0);
      foreign.dispose();
      other.dispose();
    });

    it('upload and read back any strided view', async () => {
      const view: Tensor = x.permute([0, 2, 3, 1]);
      const t = gpu!.upload(view, 'channels-last');
      expect(t).toBeInstanceOf(GpuTensor);
      expect(t.layout).toBe('channels-last');
      expect([...t.shape]).toEqual([2, 6, 6, 4]);
      expect((await t.toTensor()).toFloat32Array()).toEqual(view.toFloat32Array());
      t.dispose();
    });
  },
);
