/**
 * The PyTorch golden fixtures (tooling/goldens/{conv,conv-transpose,deform-conv}.json) on the
 * GPU: every case's output and every gradient it holds, within 1e-4 (abs + rel), conv and
 * convTranspose in both layouts, deformConv channels-first (its only layout); every pass with
 * 'auto' and with every GPU algorithm that runs it. The whole set takes a few
 * seconds on lavapipe, so `pnpm test` runs all of it (no subset).
 */
import { assertClose, convGeometryFromShapes, type Tensor } from '@convkit/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { type GoldenCase, loadGoldens } from '../../../tooling/goldens/load';
import { GPU_CONV_ALGORITHMS, type GpuTensor, gpuAlgorithmSupports } from '../src/index';
import { openTestGpu } from './gpu-for-tests';

const { gpu, skipReason } = await openTestGpu('goldens');
afterAll(() => gpu?.dispose());

const LAYOUTS = ['channels-first', 'channels-last'] as const;
type LayoutName = (typeof LAYOUTS)[number];
const TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

const convCases = loadGoldens('conv').cases;
const convTransposeCases = loadGoldens('conv-transpose').cases;
const deformConvCases = loadGoldens('deform-conv').cases;

function toChannelsLast(t: Tensor): Tensor {
  const rank = t.shape.length;
  return t.permute([0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1]).contiguous();
}

function fromChannelsLast(t: Tensor): Tensor {
  const rank = t.shape.length;
  return t.permute([0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)]);
}

function required(c: GoldenCase, name: string): Tensor {
  const t = c.tensors[name];
  if (!t) throw new Error(`${c.name}: the fixture has no '${name}' tensor`);
  return t;
}

async function expectClose(
  actual: GpuTensor | null,
  expected: Tensor,
  label: string,
  from = (t: Tensor) => t,
) {
  expect(actual, `${label}: missing`).toBeTruthy();
  const host = from(await actual!.toTensor());
  actual!.dispose();
  expect([...host.shape], `${label}: shape`).toEqual([...expected.shape]);
  assertClose(host, expected, { ...TOLERANCE, label });
}

async function runConvLike(c: GoldenCase, layout: LayoutName): Promise<void> {
  const ctx = gpu!;
  const transposed = c.op === 'convTranspose';
  const label = `${c.name} [gpu, ${layout}]`;
  const channelsLast = layout === 'channels-last';
  const toLayout = (t: Tensor) => (channelsLast ? toChannelsLast(t) : t);
  const fromLayout = (t: Tensor) => (channelsLast ? fromChannelsLast(t) : t);
  const x = toLayout(required(c, 'input'));
  const weight = required(c, 'weight');
  const options = { ...c.options, bias: c.tensors.bias ?? null, layout };
  const geometry = convGeometryFromShapes({
    ...(c.options as object),
    transposed,
    inputShape: x.shape,
    weightShape: weight.shape,
    layout,
  });
  /** 'auto' and every GPU algorithm that runs this pass of the case. */
  const algorithms = (pass: 'forward' | 'backward') => [
    'auto',
    ...GPU_CONV_ALGORITHMS.filter((a) => gpuAlgorithmSupports(a, geometry, pass)),
  ];
  for (const algorithm of algorithms('forward')) {
    const opts = { ...options, algorithm } as never;
    const output = transposed ? ctx.convTranspose(x, weight, opts) : ctx.conv(x, weight, opts);
    await expectClose(output, required(c, 'output'), `${label} output [${algorithm}]`, fromLayout);
  }
  const gradOutput = c.tensors.gradOutput;
  if (!gradOutput) return;
  for (const algorithm of algorithms('backward')) {
    const opts = { ...options, algorithm } as never;
    const grads = transposed
      ? ctx.convTransposeBackward(toLayout(gradOutput), x, weight, opts)
      : ctx.convBackward(toLayout(gradOutput), x, weight, opts);
    const at = `[${algorithm}]`;
    await expectClose(grads.gradInput, required(c, 'gradInput'), `${label} gradInput ${at}`, fromLayout);
    await expectClose(grads.gradWeight, required(c, 'gradWeight'), `${label} gradWeight ${at}`);
    if (c.tensors.gradBias) await expectClose(grads.gradBias, c.tensors.gradBias, `${label} gradBias ${at}`);
    else grads.gradBias.dispose();
  }
}

async function runDeformConv(c: GoldenCase): Promise<void> {
  const ctx = gpu!;
  const label = `${c.name} [gpu]`;
  const input = required(c, 'input');
  const weight = required(c, 'weight');
  const offset = required(c, 'offset');
  const options = { ...c.options, bias: c.tensors.bias ?? null, mask: c.tensors.mask ?? null };
  await expectClose(
    ctx.deformConv(input, weight, offset, options as never),
    required(c, 'output'),
    `${label} output`,
  );
  const gradOutput = c.tensors.gradOutput;
  if (!gradOutput) return;
  for (const algorithm of ['auto', 'direct', 'implicit-gemm']) {
    const at = `${label} [${algorithm}]`;
    const grads = ctx.deformConvBackward(gradOutput, input, weight, offset, {
      ...options,
      algorithm,
    } as never);
    await expectClose(grads.gradInput, required(c, 'gradInput'), `${at} gradInput`);
    await expectClose(grads.gradWeight, required(c, 'gradWeight'), `${at} gradWeight`);
    await expectClose(grads.gradOffset, required(c, 'gradOffset'), `${at} gradOffset`);
    if (c.tensors.gradBias) await expectClose(grads.gradBias, c.tensors.gradBias, `${at} gradBias`);
    else grads.gradBias.dispose();
    if (c.tensors.gradMask) await expectClose(grads.gradMask, c.tensors.gradMask, `${at} gradMask`);
    else expect(grads.gradMask, `${at} gradMask without a mask`).toBeNull();
  }
}

describe.skipIf(!gpu)(`golden fixtures on the GPU${skipReason ? ` (${skipReason})` : ''}`, () => {
  for (const layout of LAYOUTS) {
    it.each(convCases.map((c) => [c.name, c] as const))(`conv %s [${layout}]`, async (_name, c) => {
      await runConvLike(c, layout);
    });
    it.each(convTransposeCases.map((c) => [c.name, c] as const))(
      `convTranspose %s [${layout}]`,
      async (_name, c) => {
        await runConvLike(c, layout);
      },
    );
  }
  it.each(deformConvCases.map((c) => [c.name, c] as const))('deformConv %s', async (_name, c) => {
    await runDeformConv(c);
  });
  it('leaves no buffer alive', () => {
    expect(gpu!.liveBuffers).toBe(0);
  });
});
