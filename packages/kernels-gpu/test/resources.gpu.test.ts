/**
 * Resources: no leaks (1000 ops, then every buffer freed), the device limits (dispatches
 * split over x and y past maxComputeWorkgroupsPerDimension, ResourceError past the binding
 * size or the workgroup grid, 'auto' avoiding a kernel whose workgroup does not fit), and
 * GPU errors surfacing as typed errors on the pending call (validation, device loss), never
 * a hang. Limits are lowered through `createGpuContext({ limits })`, so the paths run on any
 * device.
 */
import * as cpu from '@convkit/kernels-cpu';
import { assertClose, createRng, ResourceError, type Tensor } from '@convkit/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createGpuContext, GpuDeviceError, type GpuTensor } from '../src/index';
import { runOp } from '../src/op-run';
import { openTestGpu } from './gpu-for-tests';

const { gpu, skipReason } = await openTestGpu('resources');
afterAll(() => gpu?.dispose());

const rng = createRng(7);
const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

async function read(t: GpuTensor): Promise<Tensor> {
  const host = await t.toTensor();
  t.dispose();
  return host;
}

describe.skipIf(!gpu)(`GPU resources and errors${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('runs 1000 ops and, once their results are disposed, holds zero buffers', async () => {
    const ctx = gpu!;
    const x = rng.normalTensor([1, 4, 8, 8]);
    const w = rng.normalTensor([4, 4, 3, 3]);
    const wt = rng.normalTensor([4, 2, 2, 2]);
    const weight = ctx.upload(w);
    let chained = ctx.upload(x);
    let ops = 0;
    const results: GpuTensor[] = [];
    while (ops < 1000) {
      // A chain that never leaves the GPU, CPU tensors uploaded per call, and backward passes.
      const next = ctx.conv(chained, weight, { padding: 1 });
      chained.dispose();
      chained = next;
      results.push(ctx.conv(x, w, { padding: 1, algorithm: 'direct' }));
      results.push(ctx.convTranspose(x, wt, { stride: 2 }));
      const grads = ctx.convBackward(rng.normalTensor([1, 4, 8, 8]), x, w, {
        padding: 1,
        paddingMode: 'circular',
      });
      results.push(grads.gradInput, grads.gradWeight, grads.gradBias);
      ops += 4;
      if (results.length > 100) {
        for (const t of results.splice(0)) t.dispose();
      }
    }
    await ctx.synchronize();
    const last = await chained.toTensor();
    expect(last.shape).toEqual([1, 4, 8, 8]);
    for (const t of results) t.dispose();
    chained.dispose();
    weight.dispose();
    expect(ctx.liveBuffers).toBe(0);
  });

  it('keeps a chain of layers on the GPU: conv -> conv -> convTranspose equals the CPU chain', async () => {
    const ctx = gpu!;
    const x = rng.normalTensor([2, 3, 10, 10]);
    const w1 = rng.normalTensor([16, 3, 3, 3]);
    const w2 = rng.normalTensor([16, 1, 3, 3]);
    const w3 = rng.normalTensor([16, 4, 4, 4]);
    const b1 = rng.normalTensor([16]);
    const y1 = ctx.conv(x, w1, { padding: 1, bias: ctx.upload(b1) });
    const y2 = ctx.conv(y1, w2, { padding: 1, groups: 16, stride: 2 });
    const y3 = ctx.convTranspose(y2, w3, { stride: 2, padding: 1 });
    const expected = cpu.convTranspose(
      cpu.conv(cpu.conv(x, w1, { padding: 1, bias: b1 }), w2, { padding: 1, groups: 16, stride: 2 }),
      w3,
      { stride: 2, padding: 1 },
    );
    assertClose(await read(y3), expected, TOLERANCE);
    y1.dispose();
    y2.dispose();
  });

  it('lays a dispatch over x and y, and cuts it into chunks, past maxComputeWorkgroupsPerDimension', async () => {
    const ctx = await createGpuContext({ limits: { maxComputeWorkgroupsPerDimension: 3 } });
    expect(ctx.limits.maxComputeWorkgroupsPerDimension).toBe(3);
    const x = rng.normalTensor([2, 8, 12, 12]);
    const w = rng.normalTensor([8, 8, 3, 3]);
    const gy = rng.normalTensor([2, 8, 12, 12]);
    const options = { padding: 1 } as const;
    // 2 * 8 * 144 / 64 = 36 workgroups for the direct kernel: 4 dispatches of 3 x 3.
    const direct = ctx.conv(x, w, { ...options, algorithm: 'direct' });
    assertClose(await read(direct), cpu.conv(x, w, options), TOLERANCE);
    // 288 rows / 64 = 5 row tiles of the implicit GEMM (and 1 column tile): 3 x 2, then 3 x 1... chunks.
    const wide = rng.normalTensor([24, 8, 3, 3]);
    const gemm = ctx.conv(x, wide, { ...options, algorithm: 'implicit-gemm' });
    assertClose(await read(gemm), cpu.conv(x, wide, options), TOLERANCE);
    const depthwiseWeight = rng.normalTensor([16, 1, 3, 3]);
    const depthwise = ctx.conv(x, depthwiseWeight, { ...options, groups: 8, algorithm: 'depthwise' });
    assertClose(await read(depthwise), cpu.conv(x, depthwiseWeight, { ...options, groups: 8 }), TOLERANCE);
    const grads = ctx.convBackward(gy, x, w, options);
    const expected = cpu.convBackward(gy, x, w, options);
    assertClose(await read(grads.gradInput), expected.gradInput, TOLERANCE);
    assertClose(await read(grads.gradWeight), expected.gradWeight, TOLERANCE);
    assertClose(await read(grads.gradBias), expected.gradBias, TOLERANCE);
    expect(ctx.liveBuffers).toBe(0);
    ctx.dispose();
  });

  it('runs forward ops in chunks of samples past the binding size, each chunk bound at an aligned offset', async () => {
    const ctx = await createGpuContext({ limits: { maxStorageBufferBindingSize: 8192 } });
    expect(ctx.limits.maxStorageBufferBindingSize).toBe(8192);
    // 5 samples of 2048 bytes in, 4096 out: chunks of 2, 2 and 1.
    const x = rng.normalTensor([5, 8, 8, 8]);
    const w = rng.normalTensor([16, 8, 3, 3]);
    const bias = rng.normalTensor([16]);
    for (const algorithm of ['direct', 'implicit-gemm'] as const) {
      const y = ctx.conv(x, w, { padding: 1, bias, algorithm });
      assertClose(await read(y), cpu.conv(x, w, { padding: 1, bias }), { ...TOLERANCE, label: algorithm });
    }
    const dw = rng.normalTensor([16, 1, 3, 3]);
    const depthwise = ctx.conv(x, dw, { padding: 1, groups: 8, algorithm: 'depthwise' });
    assertClose(await read(depthwise), cpu.conv(x, dw, { padding: 1, groups: 8 }), TOLERANCE);
    const wt = rng.normalTensor([8, 4, 2, 2]);
    const up = ctx.convTranspose(x, wt, { stride: 2 });
    assertClose(await read(up), cpu.convTranspose(x, wt, { stride: 2 }), TOLERANCE);
    // Deformable: offsets of 1152 bytes a sample, 576 of mask: aligned chunks of 4 samples.
    const dx = rng.normalTensor([5, 2, 4, 4]);
    const dwt = rng.normalTensor([4, 2, 3, 3]);
    const offset = rng.normalTensor([5, 18, 4, 4]);
    const mask = rng.normalTensor([5, 9, 4, 4]);
    for (const algorithm of ['direct', 'implicit-gemm'] as const) {
      const y = ctx.deformConv(dx, dwt, offset, { padding: 1, mask, algorithm });
      assertClose(await read(y), cpu.deformConv(dx, dwt, offset, { padding: 1, mask }), TOLERANCE);
    }
    expect(ctx.liveBuffers).toBe(0);
    ctx.dispose();
  });

  it('refuses with a ResourceError what cannot be bound, leaving no buffer behind', async () => {
    const ctx = await createGpuContext({ limits: { maxStorageBufferBindingSize: 8192 } });
    const x = rng.normalTensor([5, 8, 8, 8]);
    const w = rng.normalTensor([16, 8, 3, 3]);
    // Backward passes reduce over the batch and are not chunked.
    expect(() => ctx.convBackward(rng.normalTensor([5, 16, 8, 8]), x, w, { padding: 1 })).toThrow(
      ResourceError,
    );
    expect(() => ctx.convBackward(rng.normalTensor([5, 16, 8, 8]), x, w, { padding: 1 })).toThrow(
      /convBackward: the \w+ buffer of kernel [\w-]+ needs \d+ bytes in one binding, above this GPU's storage binding limit of 8192 bytes/,
    );
    // One sample larger than a binding.
    expect(() => ctx.conv(rng.normalTensor([1, 64, 8, 8]), rng.normalTensor([4, 64, 1, 1]))).toThrow(
      "conv2d: one sample of the input takes 16384 bytes, above this GPU's storage binding limit of 8192 bytes; use smaller inputs or the CPU kernels",
    );
    expect(ctx.liveBuffers).toBe(0);
    ctx.dispose();

    const small = await createGpuContext({ limits: { maxBufferSize: 4096 } });
    expect(() => small.conv(x, w, { padding: 1 })).toThrow(ResourceError);
    expect(() => small.conv(x, w, { padding: 1 })).toThrow(
      /conv2d: .* above this GPU's maximum buffer size of 4096 bytes/,
    );
    expect(small.liveBuffers).toBe(0);
    small.dispose();
  });

  it("lets 'auto' avoid the tiled kernel where its workgroup memory does not fit; refuses it by name", async () => {
    const ctx = await createGpuContext({ limits: { maxComputeWorkgroupStorageSize: 1024 } });
    const x = rng.normalTensor([1, 16, 8, 8]);
    const w = rng.normalTensor([32, 16, 3, 3]);
    assertClose(await read(ctx.conv(x, w, { padding: 1 })), cpu.conv(x, w, { padding: 1 }), TOLERANCE);
    expect(() => ctx.conv(x, w, { padding: 1, algorithm: 'implicit-gemm' })).toThrow(ResourceError);
    expect(() => ctx.conv(x, w, { padding: 1, algorithm: 'implicit-gemm' })).toThrow(/workgroup memory/);
    expect(ctx.liveBuffers).toBe(0);
    ctx.dispose();
  });

  it('reports a GPU validation error as a GpuDeviceError on the pending result', async () => {
    const ctx = gpu!;
    const broken = {
      name: 'broken',
      cacheKey: 'broken-test-program',
      source: '@compute @workgroup_size(64) fn main() { let a: f32 = undefinedThing; }',
      workgroupSize: 64,
      bindings: [{ name: 'y', access: 'read_write' as const }],
      uniforms: [['total', 1] as const],
      workgroups: 1,
      workgroupStorageBytes: 0,
    };
    const out = runOp(ctx, 'brokenOp', (run, ready) => {
      const y = run.output('output', 4);
      run.dispatch(broken, [y]);
      return run.finish(ready, [[y, [4], null]])[0]!;
    });
    const error = await out.toTensor().catch((e: unknown) => e);
    expect(GpuDeviceError.isInstance(error)).toBe(true);
    expect((error as GpuDeviceError).reason).toBe('validation');
    expect((error as Error).message).toMatch(/^brokenOp: the GPU reported a validation error/);
    out.dispose();
  });

  it('turns device loss into GpuDeviceErrors on pending and later calls, never a hang', async () => {
    const ctx = await createGpuContext();
    const x = rng.normalTensor([1, 2, 5, 5]);
    const w = rng.normalTensor([2, 2, 3, 3]);
    const pending = ctx.conv(x, w);
    ctx.device.destroy();
    await ctx.device.lost;
    const error = await pending.toTensor().catch((e: unknown) => e);
    expect(GpuDeviceError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/lost|destroyed|failed/);
    expect(() => ctx.conv(x, w)).toThrow(GpuDeviceError);
    expect(() => ctx.conv(x, w)).toThrow(/conv2d: the GPU device was lost/);
    ctx.dispose();
  });

  it('describes its adapter', () => {
    const { info } = gpu!;
    expect(typeof info.description).toBe('string');
    expect(typeof info.software).toBe('boolean');
    expect(info.source).toBe('webgpu (Node, Dawn)');
    expect(gpu!.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
  });
});
