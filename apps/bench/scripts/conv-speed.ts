/**
 * Convolution speed: GFLOP/s (2 x MACs / time, backward counted as its two GEMM-sized
 * products gradInput + gradWeight = 2 x the forward) of the 'reference' and 'im2col'
 * algorithms on the bench configs (apps/bench/src/bench-configs.ts) and a few small or
 * depthwise ones that decide `selectConvAlgorithm`. Medians of timed runs after a warm-up,
 * one process, one thread. Every im2col result is checked against the reference first. Not a
 * unit test: run it by hand,
 *
 *   cd apps/bench && npx tsx --conditions=convkit-source scripts/conv-speed.ts [--quick] [--filter=id,id]
 *
 * and copy the table into the README.
 */
import { performance } from 'node:perf_hooks';
import {
  conv,
  convBackward,
  convTranspose,
  convTransposeBackward,
  deformConv,
  deformConvBackward,
  selectConvAlgorithm,
  selectDeformConvAlgorithm,
} from '@convkit/kernels-cpu';
import { assertClose, type ConvGeometry, convGeometry, createRng, type Tensor } from '@convkit/tensor';

interface Config {
  id: string;
  op: 'conv' | 'convTranspose' | 'deformConv';
  batch: number;
  inChannels: number;
  outChannels: number;
  inputSpatial: number[];
  kernelSize: number;
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
}

const CONFIGS: Config[] = [
  {
    id: 'c3x3',
    op: 'conv',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'stem7x7',
    op: 'conv',
    batch: 1,
    inChannels: 3,
    outChannels: 64,
    inputSpatial: [224, 224],
    kernelSize: 7,
    stride: 2,
    padding: 3,
  },
  {
    id: 'pw1x1',
    op: 'conv',
    batch: 1,
    inChannels: 128,
    outChannels: 256,
    inputSpatial: [28, 28],
    kernelSize: 1,
  },
  {
    id: 'dw3x3',
    op: 'conv',
    batch: 1,
    inChannels: 256,
    outChannels: 256,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 256,
  },
  {
    id: 'dw3x3-m4',
    op: 'conv',
    batch: 1,
    inChannels: 64,
    outChannels: 256,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 64,
  },
  {
    id: 'dw5x5-112',
    op: 'conv',
    batch: 1,
    inChannels: 32,
    outChannels: 32,
    inputSpatial: [112, 112],
    kernelSize: 5,
    padding: 2,
    groups: 32,
  },
  {
    id: 'grp3x3',
    op: 'conv',
    batch: 1,
    inChannels: 128,
    outChannels: 128,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 8,
  },
  {
    id: 'grp3x3-g32',
    op: 'conv',
    batch: 1,
    inChannels: 128,
    outChannels: 128,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 32,
  },
  {
    id: 'dil3x3',
    op: 'conv',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 2,
    dilation: 2,
  },
  {
    id: 'conv1d',
    op: 'conv',
    batch: 8,
    inChannels: 256,
    outChannels: 256,
    inputSpatial: [1024],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'conv3d',
    op: 'conv',
    batch: 1,
    inChannels: 16,
    outChannels: 32,
    inputSpatial: [16, 56, 56],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'tiny-c1',
    op: 'conv',
    batch: 1,
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [8, 8],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'small-c4',
    op: 'conv',
    batch: 1,
    inChannels: 4,
    outChannels: 4,
    inputSpatial: [8, 8],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'tconv4x4',
    op: 'convTranspose',
    batch: 1,
    inChannels: 64,
    outChannels: 32,
    inputSpatial: [28, 28],
    kernelSize: 4,
    stride: 2,
    padding: 1,
  },
  {
    id: 'tconv-dw',
    op: 'convTranspose',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [28, 28],
    kernelSize: 4,
    stride: 2,
    padding: 1,
    groups: 64,
  },
  {
    id: 'deform3x3',
    op: 'deformConv',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [56, 56],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'deform-small',
    op: 'deformConv',
    batch: 1,
    inChannels: 4,
    outChannels: 4,
    inputSpatial: [8, 8],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'deform-c16-2',
    op: 'deformConv',
    batch: 1,
    inChannels: 16,
    outChannels: 2,
    inputSpatial: [16, 16],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'deform-c16-8',
    op: 'deformConv',
    batch: 1,
    inChannels: 16,
    outChannels: 8,
    inputSpatial: [16, 16],
    kernelSize: 3,
    padding: 1,
  },
  {
    id: 'deform-dw',
    op: 'deformConv',
    batch: 1,
    inChannels: 64,
    outChannels: 64,
    inputSpatial: [28, 28],
    kernelSize: 3,
    padding: 1,
    groups: 64,
  },
];

const quick = process.argv.includes('--quick');
const filterArg = process.argv.find((a) => a.startsWith('--filter='));
const filter = filterArg ? filterArg.slice('--filter='.length).split(',') : null;

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Median seconds per call: warm-up calls (up to 3, within about a second, so the JIT has
 * compiled the loops), then timed batches sized to about 0.3 s each.
 */
function time(run: () => void): number {
  const warmStart = performance.now();
  let last = 0;
  for (let calls = 0; calls < 3 && (calls === 0 || performance.now() - warmStart < 1000); calls++) {
    const start = performance.now();
    run();
    last = (performance.now() - start) / 1000;
  }
  const reps = Math.max(1, Math.round(0.3 / last));
  const runs = quick || last > 2 ? 3 : 7;
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) run();
    samples.push((performance.now() - start) / 1000 / reps);
  }
  return median(samples);
}

function geometryOf(c: Config): ConvGeometry {
  return convGeometry({ ...c, transposed: c.op === 'convTranspose' });
}

/** The forward and backward calls of a config for one algorithm, returning every result tensor. */
function calls(c: Config, algorithm: string): { forward: () => Tensor[]; backward: () => Tensor[] } {
  const rng = createRng(7);
  const g = geometryOf(c);
  const x = rng.normalTensor(g.inputShape);
  const w = rng.normalTensor(g.weightShape, 0, 0.1);
  const gy = rng.normalTensor(g.outputShape);
  const options = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, algorithm };
  if (c.op === 'conv') {
    return {
      forward: () => [conv(x, w, options)],
      backward: () => {
        const r = convBackward(gy, x, w, options);
        return [r.gradInput, r.gradWeight];
      },
    };
  }
  if (c.op === 'convTranspose') {
    return {
      forward: () => [convTranspose(x, w, options)],
      backward: () => {
        const r = convTransposeBackward(gy, x, w, options);
        return [r.gradInput, r.gradWeight];
      },
    };
  }
  const taps = c.kernelSize * c.kernelSize;
  const [, , outH, outW] = g.outputShape as [number, number, number, number];
  const offset = rng.normalTensor([c.batch, 2 * taps, outH, outW], 0, 2);
  const mask = rng.uniformTensor([c.batch, taps, outH, outW], 0, 1);
  const deformOptions = { ...options, mask };
  return {
    forward: () => [deformConv(x, w, offset, deformOptions)],
    backward: () => {
      const r = deformConvBackward(gy, x, w, offset, deformOptions);
      return [r.gradInput, r.gradWeight, r.gradOffset, r.gradMask!];
    },
  };
}

const rows: string[] = [];
for (const c of CONFIGS) {
  if (filter && !filter.includes(c.id)) continue;
  const g = geometryOf(c);
  const forwardFlops = 2 * g.macsPerSample * g.batch;
  const reference = calls(c, 'reference');
  const im2col = calls(c, 'im2col');
  for (const pass of ['forward', 'backward'] as const) {
    const want = reference[pass]();
    const got = im2col[pass]();
    want.forEach((t, i) => {
      assertClose(got[i]!, t, { label: `${c.id} ${pass} result ${i}` });
    });
    const flops = pass === 'forward' ? forwardFlops : 2 * forwardFlops;
    const tReference = time(reference[pass]);
    const tIm2col = time(im2col[pass]);
    const gflops = (t: number) => (flops / t / 1e9).toFixed(2).padStart(6);
    const auto = c.op === 'deformConv' ? selectDeformConvAlgorithm(g, pass) : selectConvAlgorithm(g, pass);
    const row = `| ${c.id.padEnd(12)} | ${pass.padEnd(8)} | ${gflops(tReference)} | ${gflops(tIm2col)} | ${(tReference / tIm2col).toFixed(1).padStart(5)} | ${auto.padEnd(9)} |`;
    rows.push(row);
    console.error(row);
  }
}
console.log(
  `node ${process.version}, single thread, median of ${quick ? 3 : 7} runs (3 when a call takes > 2 s) after warm-up`,
);
console.log('| config       | pass     |    ref | im2col | ratio | auto runs |   (GFLOP/s)');
console.log('|--------------|----------|-------:|-------:|------:|-----------|');
for (const row of rows) console.log(row);
