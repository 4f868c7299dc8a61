/**
 * The page script of the browser test: bundled with the package's sources, it opens a GPU
 * context on navigator.gpu and exposes `runGolden(case, layout)`, which runs one golden case's
 * op and backward pass in the browser and returns every result as plain arrays.
 */
import { Tensor } from '@convkit/tensor';
import { createGpuContext, type GpuContext, type GpuTensor } from '../../src/index';

interface RawTensor {
  shape: number[];
  data: (number | string)[];
}

interface RawCase {
  name: string;
  op: string;
  options: Record<string, unknown>;
  tensors: Record<string, RawTensor>;
}

type Layout = 'channels-first' | 'channels-last';

function decode(raw: RawTensor): Tensor {
  return new Tensor(
    Float32Array.from(raw.data, (v) => Number(v)),
    raw.shape,
  );
}

/** [N, C, ...s] -> [N, ...s, C] (contiguous), and back as a view. */
function toLast(t: Tensor): Tensor {
  const r = t.shape.length;
  return t.permute([0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]).contiguous();
}
function fromLast(t: Tensor): Tensor {
  const r = t.shape.length;
  return t.permute([0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
}

let context: GpuContext | null = null;

async function gpu(): Promise<GpuContext> {
  context ??= await createGpuContext();
  return context;
}

async function read(
  t: GpuTensor | null,
  channelsLast = false,
): Promise<{ shape: number[]; data: number[] } | null> {
  if (!t) return null;
  let host = await t.toTensor();
  t.dispose();
  if (channelsLast) host = fromLast(host);
  return { shape: [...host.shape], data: Array.from(host.toFloat32Array()) };
}

async function runGolden(c: RawCase, layout: Layout) {
  const ctx = await gpu();
  const t = Object.fromEntries(Object.entries(c.tensors).map(([k, v]) => [k, decode(v)]));
  const results: Record<string, unknown> = {};
  if (c.op === 'deformConv') {
    const options = { ...c.options, bias: t.bias ?? null, mask: t.mask ?? null } as never;
    results.output = await read(ctx.deformConv(t.input!, t.weight!, t.offset!, options));
    if (t.gradOutput) {
      const g = ctx.deformConvBackward(t.gradOutput, t.input!, t.weight!, t.offset!, options);
      results.gradInput = await read(g.gradInput);
      results.gradWeight = await read(g.gradWeight);
      results.gradBias = await read(g.gradBias);
      results.gradOffset = await read(g.gradOffset);
      results.gradMask = await read(g.gradMask);
    }
  } else {
    const last = layout === 'channels-last';
    const x = last ? toLast(t.input!) : t.input!;
    const options = { ...c.options, bias: t.bias ?? null, layout } as never;
    const transposed = c.op === 'convTranspose';
    const y = transposed ? ctx.convTranspose(x, t.weight!, options) : ctx.conv(x, t.weight!, options);
    results.output = await read(y, last);
    if (t.gradOutput) {
      const gy = last ? toLast(t.gradOutput) : t.gradOutput;
      const g = transposed
        ? ctx.convTransposeBackward(gy, x, t.weight!, options)
        : ctx.convBackward(gy, x, t.weight!, options);
      results.gradInput = await read(g.gradInput, last);
      results.gradWeight = await read(g.gradWeight);
      results.gradBias = await read(g.gradBias);
    }
  }
  return { results, liveBuffers: ctx.liveBuffers, info: ctx.info };
}

(globalThis as unknown as { runGolden: typeof runGolden }).runGolden = runGolden;
