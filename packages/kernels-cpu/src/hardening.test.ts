/**
 * Two properties every public function of tensor, im2col and kernels-cpu must have:
 * - a polluted Object.prototype (padding, stride, algorithm... set on every object) changes
 *   nothing: options are read through their own keys only;
 * - every allocation site is checked against the memory limit (setMemoryLimit) before it
 *   allocates, with a ResourceError naming the op and the buffer.
 */
import {
  col2im,
  columnTiles,
  convMatrix,
  convTransposeMatrix,
  im2col,
  planColumnTiles,
  sourceIndexTables,
} from '@convkit/im2col';
import {
  allclose,
  arange,
  checkAllocationBytes,
  convGeometry,
  createRng,
  DEFAULT_MEMORY_LIMIT,
  full,
  ones,
  ResourceError,
  setMemoryLimit,
  Tensor,
  tensor,
  zeros,
} from '@convkit/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { conv, conv2d } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose } from './conv-transpose';
import { deformConv } from './deform-conv';
import { deformConvBackward } from './deform-conv-backward';
import { gemm } from './gemm';
import { planTapTiles } from './im2col/tap-tile-plan';

const POLLUTION: Record<string, unknown> = {
  padding: 2,
  stride: 2,
  dilation: 2,
  groups: 2,
  layout: 'channels-last',
  paddingMode: 'reflect',
  algorithm: 'nope',
  bias: 'x',
  outputPadding: 1,
  kernelSize: 5,
  mask: 1,
  maxBytes: 1,
  maxElements: 1,
  channels: 7,
  transA: true,
  beta: 5,
  atol: 100,
  equalNan: false,
  offsetGroups: 3,
};

function polluted<T>(run: () => T): T {
  const proto = Object.prototype as Record<string, unknown>;
  for (const [key, value] of Object.entries(POLLUTION)) proto[key] = value;
  try {
    return run();
  } finally {
    for (const key of Object.keys(POLLUTION)) delete proto[key];
  }
}

describe('a polluted Object.prototype changes nothing', () => {
  const rng = createRng(3);
  const x = rng.normalTensor([1, 2, 6, 6]);
  const w = rng.normalTensor([4, 2, 3, 3]);
  const wt = rng.normalTensor([2, 4, 3, 3]);
  const offset = rng.normalTensor([1, 18, 4, 4]);
  const gy = rng.normalTensor([1, 4, 4, 4]);
  const cases: [string, () => unknown][] = [
    ['conv (no options)', () => conv(x, w).toArray()],
    ['conv2d ({} options)', () => conv2d(x, w, {}).toArray()],
    ['convTranspose', () => convTranspose(x, wt, {}).toArray()],
    ['convBackward', () => convBackward(gy, x, w, {}).gradWeight.toArray()],
    ['deformConv', () => deformConv(x, w, offset, {}).toArray()],
    ['deformConvBackward', () => deformConvBackward(zeros([1, 4, 4, 4]), x, w, offset).gradOffset.toArray()],
    ['im2col', () => im2col(x, { kernelSize: 3 }).toArray()],
    ['col2im', () => col2im(zeros([1, 18, 16]), { outputSize: [6, 6], kernelSize: 3 }).toArray()],
    ['convMatrix', () => convMatrix(w, [6, 6], {}).shape],
    ['convTransposeMatrix', () => convTransposeMatrix(wt, [6, 6]).shape],
    [
      'planColumnTiles',
      () =>
        planColumnTiles(
          convGeometry({ inChannels: 2, outChannels: 1, inputSpatial: [6, 6], kernelSize: 3 }),
          {},
        ),
    ],
    [
      'convGeometry',
      () => convGeometry({ inChannels: 2, outChannels: 4, inputSpatial: [6, 6], kernelSize: 3 }).outputShape,
    ],
    ['allclose', () => allclose(tensor([1, 2], [2]), tensor([1, 3], [2]), {})],
    [
      'gemm',
      () => {
        const c = new Float32Array(4);
        gemm(2, 2, 1, new Float32Array([1, 2]), 0, 1, new Float32Array([3, 4]), 0, 2, c, 0, 2, {});
        return Array.from(c);
      },
    ],
  ];
  it.each(cases)('%s', (_name, run) => {
    const clean = run();
    expect(polluted(run)).toEqual(clean);
  });
});

describe('every allocation site checks the memory limit first', () => {
  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });
  const g = convGeometry({ inChannels: 2, outChannels: 1, inputSpatial: [40, 40], kernelSize: 3 });
  const sites: [string, () => unknown, RegExp][] = [
    ['zeros', () => zeros([40, 40]), /^zeros: the tensor \[40, 40\] needs 6\.3 KiB/],
    ['ones', () => ones([40, 40]), /^ones: the tensor/],
    ['full', () => full([40, 40], 1), /^full: the tensor/],
    ['tensor', () => tensor(new Float32Array(1600), [40, 40]), /^tensor: the tensor/],
    ['arange', () => arange(0, 1600), /^arange: the tensor \[1600\]/],
    ['Rng.uniformTensor', () => createRng(0).uniformTensor([40, 40]), /^Rng\.uniformTensor: the tensor/],
    ['Rng.normalTensor', () => createRng(0).normalTensor([40, 40]), /^Rng\.normalTensor: the tensor/],
    [
      'contiguous copy of a view',
      () => new Tensor(new Float32Array(1), [40, 40], [0, 0]).contiguous(),
      /^toFloat32Array: a row-major copy \[40, 40\]/,
    ],
    ['clone', () => new Tensor(new Float32Array(1), [40, 40], [0, 0]).clone(), /^toFloat32Array:/],
    [
      'conv output',
      () =>
        conv2d(
          new Tensor(new Float32Array(1), [1, 1, 1, 1], [0, 0, 0, 0]),
          new Tensor(new Float32Array(1), [1, 1, 1, 1], [0, 0, 0, 0]),
          { padding: 20 },
        ),
      /^conv2d: output \[1, 1, 41, 41\]/,
    ],
    [
      'conv input copy (a strided view)',
      () =>
        conv2d(
          new Tensor(new Float32Array(1), [1, 1, 40, 40], [0, 0, 0, 0]),
          new Tensor(new Float32Array(1), [1, 1, 40, 40], [0, 0, 0, 0]),
        ),
      /^conv2d: input \[1, 1, 40, 40\]/,
    ],
    [
      'convTranspose output',
      () =>
        convTranspose(
          new Tensor(new Float32Array(1), [1, 1, 1, 1], [0, 0, 0, 0]),
          new Tensor(new Float32Array(1), [1, 1, 41, 41], [0, 0, 0, 0]),
        ),
      /^convTranspose2d: (output|weight)/,
    ],
    [
      'deformConv output',
      () =>
        deformConv(
          new Tensor(new Float32Array(1), [1, 1, 41, 41], [0, 0, 0, 0]),
          new Tensor(new Float32Array(1), [1, 1, 1, 1], [0, 0, 0, 0]),
          new Tensor(new Float32Array(1), [1, 2, 41, 41], [0, 0, 0, 0]),
        ),
      /^deformConv2d: output \[1, 1, 41, 41\]/,
    ],
    [
      'im2col columns',
      () =>
        im2col(new Tensor(new Float32Array(1), [1, 1, 1, 1], [0, 0, 0, 0]), { kernelSize: 1, padding: 20 }),
      /^im2col: columns \[1, 1, 1681\]/,
    ],
    [
      'col2im output',
      () =>
        col2im(new Tensor(new Float32Array(1), [1, 1, 1], [0, 0, 0]), {
          outputSize: [41, 41],
          kernelSize: 1,
          stride: 41,
        }),
      /^col2im: output \[1, 1, 41, 41\]/,
    ],
    [
      'convMatrix',
      () => convMatrix(zeros([1, 1, 1, 1]), [40, 40], { maxElements: Number.POSITIVE_INFINITY }),
      /^convMatrix: the matrix \[1600, 1600\]/,
    ],
    [
      'column tile',
      () => [...columnTiles(g, { maxBytes: Number.POSITIVE_INFINITY })],
      /^columnTiles: a column tile \[18, 1444\]/,
    ],
    [
      'tap tile',
      () => planTapTiles('conv2d', 100_000, 100_000, 10_000_000),
      /^conv2d: a column tile \[1581, 1581\]/,
    ],
    [
      'source index tables',
      () =>
        sourceIndexTables(
          convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [1], kernelSize: 1, padding: 1000 }),
        ),
      /^sourceIndexTables: the source index table of spatial dim 0 \[1, 2001\]/,
    ],
    [
      'WebAssembly memory (checkAllocationBytes)',
      () => checkAllocationBytes('wasm', 'the WebAssembly memory', 65536, 1),
      /^wasm: the WebAssembly memory needs 64\.0 KiB/,
    ],
  ];
  it.each(sites)('%s', (_name, run, message) => {
    setMemoryLimit(4096);
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    expect(ResourceError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('above the memory limit of 4.0 KiB per buffer');
    expect((error as Error).message).toContain('setMemoryLimit(bytes)');
  });
});
