/**
 * The bad-input table of @convkit/kernels-cpu: every public op fed hostile arguments and
 * options. Each row asserts the error class and the words of the message: op, argument,
 * what was expected and what came.
 */
import {
  ArgumentError,
  ConvkitError,
  DEFAULT_MEMORY_LIMIT,
  ResourceError,
  ShapeError,
  setMemoryLimit,
  Tensor,
  UnsupportedError,
  zeros,
} from '@convkit/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { conv, conv1d, conv2d, conv3d } from './conv';
import { convBackward } from './conv-backward';
import { convTranspose, convTranspose1d, convTranspose2d, convTranspose3d } from './conv-transpose';
import { convTransposeBackward } from './conv-transpose-backward';
import { deformConv } from './deform-conv';
import { deformConvBackward } from './deform-conv-backward';
import { gemm } from './gemm';

type ErrorClass = { isInstance(value: unknown): boolean };
type Row = [label: string, call: () => unknown, error: ErrorClass, words: readonly string[]];

function checkTable(rows: readonly Row[]): void {
  it.each(rows)('%s', (_label, call, error, words) => {
    let e: unknown;
    try {
      call();
    } catch (thrown) {
      e = thrown;
    }
    expect(e, 'expected a throw').toBeDefined();
    expect(ConvkitError.isInstance(e), String(e)).toBe(true);
    expect(error.isInstance(e), `${(e as Error).name}: ${(e as Error).message}`).toBe(true);
    for (const word of words) expect((e as Error).message).toContain(word);
  });
}

/** What another copy of @convkit/tensor would hand over, with parts overridden. */
function foreign(t: Tensor, overrides: Record<string, unknown> = {}): Tensor {
  return Object.assign(
    Object.create({ permute: t.permute, contiguous: t.contiguous, toFloat32Array: t.toFloat32Array }),
    { data: t.data, shape: [...t.shape], strides: [...t.strides], offset: t.offset, ...overrides },
  ) as Tensor;
}

/** A tensor of any size over one float (stride 0 everywhere): no memory, but a huge copy. */
function broadcast(shape: number[]): Tensor {
  return new Tensor(
    new Float32Array(1),
    shape,
    shape.map(() => 0),
  );
}

const x = zeros([1, 2, 5, 5]);
const w = zeros([3, 2, 3, 3]);
const wt = zeros([2, 3, 3, 3]);
const y = zeros([1, 3, 3, 3]);
const yt = zeros([1, 3, 7, 7]);
const offset = zeros([1, 18, 3, 3]);

/** Each op with valid tensors and a way to pass options. */
const OPS: [name: string, run: (options: unknown) => unknown][] = [
  ['conv2d', (o) => conv2d(x, w, o as never)],
  ['convTranspose2d', (o) => convTranspose2d(x, wt, o as never)],
  ['convBackward', (o) => convBackward(y, x, w, o as never)],
  ['convTransposeBackward', (o) => convTransposeBackward(yt, x, wt, o as never)],
  ['deformConv2d', (o) => deformConv(x, w, offset, o as never)],
  ['deformConv2dBackward', (o) => deformConvBackward(y, x, w, offset, o as never)],
];

const BAD_OPTIONS: [label: string, options: unknown, error: ErrorClass, words: readonly string[]][] = [
  ["stride '22'", { stride: '22' }, ArgumentError, ['stride', 'positive integer or 2 of them', "'22'"]],
  ['stride {}', { stride: {} }, ArgumentError, ['stride', 'Object object']],
  ['stride true', { stride: true }, ArgumentError, ['stride', 'boolean true']],
  ['stride 2n', { stride: 2n }, ArgumentError, ['stride', 'bigint 2n']],
  ['stride [1, 2, 3]', { stride: [1, 2, 3] }, ArgumentError, ['stride', '[1, 2, 3]']],
  ["dilation 'same'", { dilation: 'same' }, ArgumentError, ['dilation', "'same'"]],
  ['dilation 0', { dilation: 0 }, ArgumentError, ['dilation', 'positive integer', '0']],
  ['padding true', { padding: true }, ArgumentError, ['padding', "'same' or 'valid'", 'boolean true']],
  ['padding {}', { padding: {} }, ArgumentError, ['padding', 'Object object']],
  ['padding -2', { padding: -2 }, ArgumentError, ['padding', 'non-negative integer', '-2']],
  ["groups '2'", { groups: '2' }, ArgumentError, ['groups', 'positive integer', "'2'"]],
  ['groups 0', { groups: 0 }, ArgumentError, ['groups', 'positive integer', '0']],
  ['algorithm 3', { algorithm: 3 }, ArgumentError, ['algorithm', 'a string', 'number 3']],
  ["algorithm 'fft'", { algorithm: 'fft' }, ArgumentError, ['algorithm', "'auto' or one of", "'fft'"]],
  ['bias [7]', { bias: zeros([7]) }, ShapeError, ['bias', 'shape [3]', 'got [7]']],
  ["bias 'b'", { bias: 'b' }, ArgumentError, ['bias', 'Tensor or null', "string 'b'"]],
  ['unknown key padding_mode', { padding_mode: 'zeros' }, ArgumentError, ["unknown option 'padding_mode'"]],
  ['options Map', new Map([['stride', 2]]), ArgumentError, ['options', 'plain object', 'Map object']],
  ['options array', [1], ArgumentError, ['options', 'plain object', 'array of length 1']],
  ["options 'same'", 'same', ArgumentError, ['options', 'plain object', "string 'same'"]],
];

const optionRows: Row[] = OPS.flatMap(([name, run]) =>
  BAD_OPTIONS.map(
    ([label, options, error, words]) =>
      [`${name} ${label}`, () => run(options), error, [`${name}:`, ...words]] as Row,
  ),
);

const BAD_TENSORS: [label: string, value: unknown, error: ErrorClass, words: readonly string[]][] = [
  ['null', null, ArgumentError, ['must be a Tensor', 'null']],
  ['undefined', undefined, ArgumentError, ['must be a Tensor', 'undefined']],
  ['a plain object', { shape: [1], data: [1] }, ArgumentError, ['must be a Tensor', 'Object object']],
  ['a number', 3, ArgumentError, ['must be a Tensor', 'number 3']],
  ['an array', [1, 2], ArgumentError, ['must be a Tensor', 'array of length 2']],
  ['a Float32Array', new Float32Array(4), ArgumentError, ['must be a Tensor', 'Float32Array of length 4']],
  [
    'a foreign tensor with short data',
    foreign(x, { data: new Float32Array(3) }),
    ShapeError,
    ['outside data of length 3'],
  ],
  [
    'a foreign tensor with a string dim',
    foreign(x, { shape: [1, 2, 5, '5'] }),
    ShapeError,
    ["[1, 2, 5, '5']", 'non-negative integers'],
  ],
  [
    'a foreign tensor with fractional strides',
    foreign(x, { strides: [50, 25, 5, 0.5] }),
    ArgumentError,
    ['strides', 'integers', '0.5'],
  ],
];

const tensorRows: Row[] = [];
for (const [label, value, error, words] of BAD_TENSORS) {
  tensorRows.push([
    `conv2d input ${label}`,
    () => conv2d(value as never, w),
    error,
    ['conv2d:', 'input', ...words],
  ]);
  tensorRows.push([
    `conv2d weight ${label}`,
    () => conv2d(x, value as never),
    error,
    ['conv', 'weight', ...words],
  ]);
  tensorRows.push([
    `convTranspose2d input ${label}`,
    () => convTranspose2d(value as never, wt),
    error,
    ['convTranspose2d:', 'input', ...words],
  ]);
  tensorRows.push([
    `convBackward gradOutput ${label}`,
    () => convBackward(value as never, x, w),
    error,
    ['convBackward:', 'gradOutput', ...words],
  ]);
  tensorRows.push([
    `deformConv2d offset ${label}`,
    () => deformConv(x, w, value as never),
    error,
    ['deformConv2d:', 'offset', ...words],
  ]);
}

const shapeRows: Row[] = [
  [
    'conv1d with a 4-D weight',
    () => conv1d(x, w),
    ShapeError,
    ['conv1d:', 'weight', 'rank 3', '[3, 2, 3, 3]'],
  ],
  ['conv3d with a 4-D weight', () => conv3d(x, w), ShapeError, ['conv3d:', 'weight', 'rank 5']],
  [
    'conv2d input of rank 3',
    () => conv2d(zeros([2, 5, 5]), w),
    ShapeError,
    ['conv2d:', 'input', 'rank 4', 'unsqueeze(0)'],
  ],
  [
    'conv2d channel mismatch',
    () => conv2d(zeros([1, 4, 5, 5]), w),
    ShapeError,
    ['conv2d:', 'input has 4 channels', 'expects 2'],
  ],
  ['conv weight rank 2', () => conv(x, zeros([3, 2])), ShapeError, ['conv:', 'weight', 'rank 3, 4 or 5']],
  [
    'conv2d empty output',
    () => conv2d(zeros([1, 2, 2, 2]), w),
    ShapeError,
    ['conv2d:', 'output would be empty'],
  ],
  [
    'conv2d same at stride 2 reflect too wide',
    () => conv2d(zeros([1, 2, 2, 2]), w, { padding: 2, paddingMode: 'reflect' }),
    ArgumentError,
    ['conv2d:', "'reflect'", 'padding 2'],
  ],
  [
    'convTranspose1d with a 4-D weight',
    () => convTranspose1d(x, wt),
    ShapeError,
    ['convTranspose1d:', 'weight', 'rank 3'],
  ],
  [
    'convTranspose3d with a 4-D weight',
    () => convTranspose3d(x, wt),
    ShapeError,
    ['convTranspose3d:', 'weight', 'rank 5'],
  ],
  [
    'convTranspose2d same',
    () => convTranspose2d(x, wt, { padding: 'same' as never }),
    UnsupportedError,
    ['convTranspose2d:', "padding 'same'"],
  ],
  [
    "convTranspose2d paddingMode 'reflect'",
    () => convTranspose2d(x, wt, { paddingMode: 'reflect' as never }),
    UnsupportedError,
    ['convTranspose2d:', "paddingMode 'reflect'"],
  ],
  [
    'convTranspose outputPadding too large',
    () => convTranspose(x, wt, { stride: 2, outputPadding: 2 }),
    ArgumentError,
    ['convTranspose2d:', 'outputPadding 2', 'max(stride, dilation) = 2'],
  ],
  [
    'convTranspose2d outputPadding true',
    () => convTranspose2d(x, wt, { outputPadding: true as never }),
    ArgumentError,
    ['convTranspose2d:', 'outputPadding', 'boolean true'],
  ],
  [
    'convBackward gradOutput of the wrong shape',
    () => convBackward(zeros([1, 3, 4, 4]), x, w),
    ShapeError,
    ['convBackward:', 'gradOutput', 'shape [1, 3, 3, 3]', 'conv2d', 'got [1, 3, 4, 4]'],
  ],
  [
    'convTransposeBackward gradOutput of the wrong shape',
    () => convTransposeBackward(y, x, wt),
    ShapeError,
    ['convTransposeBackward:', 'gradOutput', '[1, 3, 7, 7]', 'got [1, 3, 3, 3]'],
  ],
  [
    'deformConv2d offset channels',
    () => deformConv(x, w, zeros([1, 17, 3, 3])),
    ShapeError,
    ['deformConv2d:', 'offset', '2 * offsetGroups * 9', '[1, 17, 3, 3]'],
  ],
  [
    'deformConv2d mask shape',
    () => deformConv(x, w, offset, { mask: zeros([1, 9, 2, 2]) }),
    ShapeError,
    ['deformConv2d:', 'mask', '[1, 9, 3, 3]', 'got [1, 9, 2, 2]'],
  ],
  [
    "deformConv2d mask 'm'",
    () => deformConv(x, w, offset, { mask: 'm' as never }),
    ArgumentError,
    ['deformConv2d:', 'mask', 'must be a Tensor', "string 'm'"],
  ],
  [
    'deformConv2d offsetGroups 2',
    () => deformConv(x, w, offset, { offsetGroups: 2 } as never),
    ArgumentError,
    ['deformConv2d:', 'offset groups', 'options.offsetGroups is 2'],
  ],
  [
    "deformConv2d layout 'channels-last'",
    () => deformConv(x, w, offset, { layout: 'channels-last' } as never),
    UnsupportedError,
    ['deformConv2d:', 'layout', "'channels-last'"],
  ],
  [
    "deformConv2d paddingMode 'reflect'",
    () => deformConv(x, w, offset, { paddingMode: 'reflect' } as never),
    UnsupportedError,
    ['deformConv2d:', 'paddingMode', "'reflect'"],
  ],
  [
    'deformConv2dBackward gradOutput shape',
    () => deformConvBackward(zeros([1, 3, 2, 2]), x, w, offset),
    ShapeError,
    ['deformConv2dBackward:', 'gradOutput', '[1, 3, 3, 3]'],
  ],
];

const a = new Float32Array(6);
const b = new Float32Array(6);
const c = new Float32Array(4);
const gemmRows: Row[] = [
  [
    'gemm m -1',
    () => gemm(-1, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2),
    ArgumentError,
    ['gemm:', 'm', 'non-negative integer', '-1'],
  ],
  [
    "gemm n '2'",
    () => gemm(2, '2' as never, 3, a, 0, 3, b, 0, 2, c, 0, 2),
    ArgumentError,
    ['gemm:', 'n', "'2'"],
  ],
  [
    'gemm k NaN',
    () => gemm(2, 2, Number.NaN, a, 0, 3, b, 0, 2, c, 0, 2),
    ArgumentError,
    ['gemm:', 'k', 'NaN'],
  ],
  [
    'gemm a not Float32Array',
    () => gemm(2, 2, 3, [1] as never, 0, 3, b, 0, 2, c, 0, 2),
    ArgumentError,
    ['gemm:', 'a', 'Float32Array', 'array of length 1'],
  ],
  [
    'gemm lda too small',
    () => gemm(2, 2, 3, a, 0, 2, b, 0, 2, c, 0, 2),
    ArgumentError,
    ['gemm:', 'lda', '>= max(1, 3)', '2'],
  ],
  [
    'gemm a too short',
    () => gemm(2, 2, 3, a, 1, 3, b, 0, 2, c, 0, 2),
    ArgumentError,
    ['gemm:', 'a holds 6 elements', 'reaches index 6'],
  ],
  [
    'gemm c aliases a',
    () => gemm(2, 2, 3, a, 0, 3, b, 0, 2, a.subarray(0, 4), 0, 2),
    ArgumentError,
    ['gemm:', 'c overlaps a'],
  ],
  [
    'gemm { transa: true }',
    () => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, { transa: true } as never),
    ArgumentError,
    ["gemm: unknown option 'transa'", "did you mean 'transA'"],
  ],
  [
    "gemm { transA: 'no' }",
    () => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, { transA: 'no' } as never),
    ArgumentError,
    ['gemm:', 'transA', 'true or false', "string 'no'"],
  ],
  [
    'gemm { alpha: NaN }',
    () => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, { alpha: Number.NaN }),
    ArgumentError,
    ['gemm:', 'alpha', 'finite number', 'NaN'],
  ],
  [
    "gemm { beta: '1' }",
    () => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, { beta: '1' } as never),
    ArgumentError,
    ['gemm:', 'beta', "'1'"],
  ],
  [
    'gemm options Map',
    () => gemm(2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, new Map() as never),
    ArgumentError,
    ['gemm:', 'options', 'plain object', 'Map object'],
  ],
];

const memoryRows: Row[] = [
  [
    'conv2d padding 15000 on a 5x5 input',
    () => conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 1, 1]), { padding: 15000 }),
    ResourceError,
    ['conv2d:', 'output [1, 1, 30005, 30005]', 'needs 3.4 GiB', 'memory limit of 2.0 GiB', 'setMemoryLimit'],
  ],
  [
    'conv2d on a huge stride-0 view (its contiguous copy)',
    () => conv2d(broadcast([1, 1, 30000, 30000]), broadcast([1, 1, 30000, 30000])),
    ResourceError,
    ['conv2d:', 'input [1, 1, 30000, 30000]', 'needs 3.4 GiB', 'memory limit'],
  ],
  [
    'convTranspose2d output over the limit',
    () =>
      convTranspose2d(zeros([1, 1, 1, 1]), zeros([1, 1, 1, 1]), { stride: 1, dilation: 1 }) &&
      convTranspose2d(zeros([1, 1, 20000, 20000 / 2]), zeros([1, 1, 1, 1]), { stride: 2 }),
    ResourceError,
    ['convTranspose2d:', 'output', 'memory limit'],
  ],
  [
    'deformConv2d output over the limit',
    () =>
      deformConv(zeros([1, 1, 1, 1]), zeros([1, 1, 1, 1]), broadcast([1, 2, 30001, 30001]), {
        padding: 15000,
      }),
    ResourceError,
    ['deformConv2d:', 'output [1, 1, 30001, 30001]', 'memory limit'],
  ],
];

describe('@convkit/kernels-cpu bad-input table', () => {
  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });
  describe('options of every op', () => checkTable(optionRows));
  describe('tensor arguments', () => checkTable(tensorRows));
  describe('shapes and op-specific options', () => checkTable(shapeRows));
  describe('gemm', () => checkTable(gemmRows));
  describe('memory limit', () => checkTable(memoryRows));
  it('has at least 200 rows', () => {
    expect(
      optionRows.length + tensorRows.length + shapeRows.length + gemmRows.length + memoryRows.length,
    ).toBeGreaterThanOrEqual(200);
  });
});
