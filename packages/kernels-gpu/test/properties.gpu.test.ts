/**
 * Property tests: the GPU kernels against the CPU reference kernels (@convkit/kernels-cpu,
 * algorithm 'reference', float64 sums) on random geometries drawn by the CPU package's own
 * test arbitraries (1-3 dims, batch, groups with multipliers, stride, every padding form,
 * dilation, padding modes, output padding, both layouts, bias; deformable with offset groups
 * and masks). Every GPU algorithm that runs a case is checked, forward and backward.
 */
import {
  conv,
  convBackward,
  convTranspose,
  convTransposeBackward,
  deformConv,
  deformConvBackward,
} from '@convkit/kernels-cpu';
import { assertClose, type Tensor } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { convCaseTensors, randomConvCase } from '../../kernels-cpu/src/reference/random-conv-case';
import { randomDeformCase } from '../../kernels-cpu/src/reference/random-deform-case';
import { GPU_CONV_ALGORITHMS, type GpuTensor, gpuAlgorithmSupports } from '../src/index';
import { FULL_GPU_SUITE, openTestGpu } from './gpu-for-tests';

const { gpu, skipReason } = await openTestGpu('properties');
afterAll(() => gpu?.dispose());

const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };
const RUNS = FULL_GPU_SUITE ? 200 : 40;
/** The full runs take minutes on a software driver on a shared machine. */
const TIMEOUT = { timeout: FULL_GPU_SUITE ? 900_000 : 120_000 };

async function read(t: GpuTensor): Promise<Tensor> {
  const host = await t.toTensor();
  t.dispose();
  return host;
}

async function close(actual: GpuTensor, expected: Tensor, label: string): Promise<void> {
  const host = await read(actual);
  expect([...host.shape], label).toEqual([...expected.shape]);
  assertClose(host, expected, { ...TOLERANCE, label });
}

describe.skipIf(!gpu)(`GPU kernels against the CPU reference${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('conv forward, every algorithm that runs the case, and backward', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(randomConvCase(false), async (c) => {
        const ctx = gpu!;
        const t = convCaseTensors(c);
        const options = { ...c.options, bias: t.bias };
        const expected = conv(t.input, t.weight, { ...options, algorithm: 'reference' });
        for (const algorithm of GPU_CONV_ALGORITHMS) {
          if (!gpuAlgorithmSupports(algorithm, c.geometry, 'forward')) continue;
          await close(ctx.conv(t.input, t.weight, { ...options, algorithm }), expected, `conv ${algorithm}`);
        }
        const grads = convBackward(t.gradOutput, t.input, t.weight, { ...options, algorithm: 'reference' });
        for (const algorithm of GPU_CONV_ALGORITHMS) {
          if (!gpuAlgorithmSupports(algorithm, c.geometry, 'backward')) continue;
          const gpuGrads = ctx.convBackward(t.gradOutput, t.input, t.weight, { ...options, algorithm });
          await close(gpuGrads.gradInput, grads.gradInput, `gradInput ${algorithm}`);
          await close(gpuGrads.gradWeight, grads.gradWeight, `gradWeight ${algorithm}`);
          await close(gpuGrads.gradBias, grads.gradBias, `gradBias ${algorithm}`);
        }
      }),
      { numRuns: RUNS, seed: 10 },
    );
  });

  it('convTranspose forward and backward', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(randomConvCase(true), async (c) => {
        const ctx = gpu!;
        const t = convCaseTensors(c);
        const options = { ...c.options, bias: t.bias };
        const expected = convTranspose(t.input, t.weight, { ...options, algorithm: 'reference' });
        await close(ctx.convTranspose(t.input, t.weight, options), expected, 'convTranspose');
        const grads = convTransposeBackward(t.gradOutput, t.input, t.weight, {
          ...options,
          algorithm: 'reference',
        });
        const gpuGrads = ctx.convTransposeBackward(t.gradOutput, t.input, t.weight, options);
        await close(gpuGrads.gradInput, grads.gradInput, 'gradInput');
        await close(gpuGrads.gradWeight, grads.gradWeight, 'gradWeight');
        await close(gpuGrads.gradBias, grads.gradBias, 'gradBias');
      }),
      { numRuns: RUNS, seed: 11 },
    );
  });

  it('deformConv forward and backward', TIMEOUT, async () => {
    await fc.assert(
      fc.asyncProperty(randomDeformCase(), async (c) => {
        const ctx = gpu!;
        const { algorithm: _cpuOnly, ...shared } = c.options;
        const options = { ...shared, bias: c.bias };
        const expected = deformConv(c.input, c.weight, c.offset, { ...options, algorithm: 'reference' });
        for (const algorithm of ['direct', 'implicit-gemm'] as const) {
          await close(
            ctx.deformConv(c.input, c.weight, c.offset, { ...options, algorithm }),
            expected,
            `deformConv ${algorithm}`,
          );
        }
        const grads = deformConvBackward(c.gradOutput, c.input, c.weight, c.offset, {
          ...options,
          algorithm: 'reference',
        });
        for (const algorithm of ['direct', 'implicit-gemm'] as const) {
          const gpuGrads = ctx.deformConvBackward(c.gradOutput, c.input, c.weight, c.offset, {
            ...options,
            algorithm,
          });
          await close(gpuGrads.gradInput, grads.gradInput, `gradInput ${algorithm}`);
          await close(gpuGrads.gradWeight, grads.gradWeight, `gradWeight ${algorithm}`);
          await close(gpuGrads.gradBias, grads.gradBias, `gradBias ${algorithm}`);
          await close(gpuGrads.gradOffset, grads.gradOffset, `gradOffset ${algorithm}`);
          if (grads.gradMask) await close(gpuGrads.gradMask!, grads.gradMask, `gradMask ${algorithm}`);
          else expect(gpuGrads.gradMask).toBeNull();
        }
      }),
      { numRuns: RUNS, seed: 12 },
    );
  });

  it('leaves no buffer alive', () => {
    expect(gpu!.liveBuffers).toBe(0);
  });
});
