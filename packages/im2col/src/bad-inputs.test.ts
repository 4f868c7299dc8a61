/**
 * The bad-input table of @convkit/im2col: every public function fed hostile arguments. Each
 * row asserts the error class and the words of the message: op, argument, expected, got.
 */
import {
  ArgumentError,
  ConvkitError,
  convGeometry,
  DEFAULT_MEMORY_LIMIT,
  ResourceError,
  ShapeError,
  setMemoryLimit,
  Tensor,
  UnsupportedError,
  zeros,
} from '@convkit/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { col2im } from './col2im';
import { col2imAccumulate } from './col2im-accumulate';
import { columnTiles, planColumnTiles } from './column-tiles';
import { convMatrix } from './conv-matrix';
import { convTransposeMatrix } from './conv-transpose-matrix';
import { im2col } from './im2col';
import { im2colInto } from './im2col-into';
import { sourceIndexTables } from './padded-source-index';

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

const x = zeros([1, 2, 5, 5]);
const columns = zeros([1, 18, 9]);
const g = convGeometry({ inChannels: 2, outChannels: 1, inputSpatial: [5, 5], kernelSize: 3 });
const input = new Float32Array(50);
const tile = new Float32Array(162);
const weight = zeros([4, 2, 3, 3]);

const rows: Row[] = [
  [
    "im2col kernelSize '3'",
    () => im2col(x, { kernelSize: '3' as never }),
    ArgumentError,
    ['im2col:', 'kernelSize', 'positive integer', "'3'"],
  ],
  [
    'im2col kernelSize {}',
    () => im2col(x, { kernelSize: {} as never }),
    ArgumentError,
    ['im2col:', 'kernelSize', 'Object object'],
  ],
  [
    'im2col kernelSize [3, 3, 3]',
    () => im2col(x, { kernelSize: [3, 3, 3] }),
    ShapeError,
    ['im2col:', 'kernelSize [3, 3, 3]', '3 dims', '2 spatial dims'],
  ],
  [
    'im2col without options',
    () => im2col(x, undefined as never),
    ArgumentError,
    ['im2col:', 'options', 'kernelSize', 'required'],
  ],
  [
    'im2col options Map',
    () => im2col(x, new Map() as never),
    ArgumentError,
    ['im2col:', 'options', 'plain object', 'Map object'],
  ],
  [
    'im2col kernel_size',
    () => im2col(x, { kernel_size: 3 } as never),
    ArgumentError,
    ["im2col: unknown option 'kernel_size'", "did you mean 'kernelSize'"],
  ],
  [
    "im2col stride '2'",
    () => im2col(x, { kernelSize: 3, stride: '2' as never }),
    ArgumentError,
    ['im2col:', 'stride', "'2'"],
  ],
  [
    'im2col padding true',
    () => im2col(x, { kernelSize: 3, padding: true as never }),
    ArgumentError,
    ['im2col:', 'padding', 'boolean true'],
  ],
  [
    "im2col layout 'nhwc'",
    () => im2col(x, { kernelSize: 3, layout: 'nhwc' as never }),
    ArgumentError,
    ['im2col:', 'layout', "'nhwc'"],
  ],
  [
    "im2col paddingMode 'edge'",
    () => im2col(x, { kernelSize: 3, paddingMode: 'edge' as never }),
    ArgumentError,
    ['im2col:', 'paddingMode', "'edge'"],
  ],
  [
    'im2col input null',
    () => im2col(null as never, { kernelSize: 3 }),
    ArgumentError,
    ['im2col:', 'input', 'must be a Tensor', 'null'],
  ],
  [
    'im2col input rank 2',
    () => im2col(zeros([5, 5]), { kernelSize: 3 }),
    ShapeError,
    ['im2col:', 'input', 'rank 3, 4 or 5', 'unsqueeze(0)'],
  ],
  [
    'im2col columns over the limit',
    () => im2col(zeros([1, 2, 1, 1]), { kernelSize: 1, padding: 1e5 }),
    ResourceError,
    ['im2col:', 'columns', 'memory limit'],
  ],
  [
    'col2im outputSize [0, 3]',
    () => col2im(columns, { outputSize: [0, 3], kernelSize: 3 }),
    ArgumentError,
    ['col2im:', 'outputSize', 'positive integer', '[0, 3]'],
  ],
  [
    "col2im outputSize '5'",
    () => col2im(columns, { outputSize: '5' as never, kernelSize: 3 }),
    ArgumentError,
    ['col2im:', 'outputSize', "'5'"],
  ],
  [
    'col2im outputSize 4 dims',
    () => col2im(columns, { outputSize: [5, 5, 5, 5], kernelSize: 3 }),
    ShapeError,
    ['col2im:', 'outputSize', '1 to 3 spatial dims', '[5, 5, 5, 5]'],
  ],
  [
    'col2im without outputSize',
    () => col2im(columns, { kernelSize: 3 } as never),
    ArgumentError,
    ['col2im:', 'outputSize', 'required'],
  ],
  [
    'col2im output_size',
    () => col2im(columns, { output_size: [5, 5], kernelSize: 3 } as never),
    ArgumentError,
    ["col2im: unknown option 'output_size'", "did you mean 'outputSize'"],
  ],
  [
    'col2im columns rank 2',
    () => col2im(zeros([18, 9]), { outputSize: [5, 5], kernelSize: 3 }),
    ShapeError,
    ['col2im:', 'columns', 'rank 3', 'unsqueeze(0)'],
  ],
  [
    'col2im rows not a multiple',
    () => col2im(zeros([1, 20, 9]), { outputSize: [5, 5], kernelSize: 3 }),
    ShapeError,
    ['col2im:', 'columns dim 1', 'prod(kernelSize) = 9', 'got 20'],
  ],
  [
    'col2im wrong block count',
    () => col2im(columns, { outputSize: [5, 6], kernelSize: 3 }),
    ShapeError,
    ['col2im:', 'columns dim 2', '= 12', 'got 9'],
  ],
  [
    'col2im output over the limit',
    () => col2im(zeros([1, 1, 1]), { outputSize: [1e5, 1e5], kernelSize: 1, stride: 1e5 }),
    ResourceError,
    ['col2im:', 'output [1, 1, 100000, 100000]', 'memory limit'],
  ],
  [
    'im2colInto args null',
    () => im2colInto(null as never),
    ArgumentError,
    ['im2colInto:', 'args', 'plain object', 'null'],
  ],
  [
    'im2colInto geometry {}',
    () => im2colInto({ geometry: {} as never, input, columns: tile }),
    ArgumentError,
    ['im2colInto:', 'geometry', 'ConvGeometry', 'Object object'],
  ],
  [
    'im2colInto forged geometry',
    () => im2colInto({ geometry: { ...g, outputSpatial: [9, 9] }, input, columns: tile }),
    ArgumentError,
    ['im2colInto:', 'geometry', 'outputSpatial does not follow'],
  ],
  [
    'im2colInto input Array',
    () => im2colInto({ geometry: g, input: [1] as never, columns: tile }),
    ArgumentError,
    ['im2colInto:', 'input', 'Float32Array', 'array of length 1'],
  ],
  [
    "im2colInto columnStart '1'",
    () => im2colInto({ geometry: g, input, columns: tile, columnStart: '1' as never }),
    ArgumentError,
    ['im2colInto:', 'columnStart', 'integer in [0, 9]', "'1'"],
  ],
  [
    'im2colInto tapCount 10',
    () => im2colInto({ geometry: g, input, columns: tile, tapCount: 10 }),
    ArgumentError,
    ['im2colInto:', 'tapCount', 'integer in [0, 9]', '10'],
  ],
  [
    'im2colInto inputStrides [1]',
    () => im2colInto({ geometry: g, input, columns: tile, inputStrides: [1] }),
    ArgumentError,
    ['im2colInto:', 'inputStrides', '3 non-negative integers', '[1]'],
  ],
  [
    'im2colInto columns too short',
    () => im2colInto({ geometry: g, input, columns: new Float32Array(10) }),
    ArgumentError,
    ['im2colInto:', 'columns holds 10 elements', 'reaches index 161'],
  ],
  [
    'im2colInto aliased buffers',
    () => {
      const shared = new Float32Array(300);
      im2colInto({ geometry: g, input: shared.subarray(0, 50), columns: shared.subarray(40, 202) });
    },
    ArgumentError,
    ['im2colInto:', 'input and columns must not overlap'],
  ],
  [
    'im2colInto transposed geometry',
    () =>
      im2colInto({
        geometry: convGeometry({
          ...{ inChannels: 2, outChannels: 1, inputSpatial: [5, 5], kernelSize: 3 },
          transposed: true,
        }),
        input,
        columns: tile,
      }),
    ArgumentError,
    ['im2colInto:', "transposed convolution's"],
  ],
  [
    'im2colInto deformable geometry',
    () =>
      im2colInto({
        geometry: convGeometry({
          inChannels: 2,
          outChannels: 1,
          inputSpatial: [5, 5],
          kernelSize: 3,
          offsetGroups: 1,
        }),
        input,
        columns: tile,
      }),
    UnsupportedError,
    ['im2colInto:', 'deformable'],
  ],
  [
    'col2imAccumulate column_start',
    () => col2imAccumulate({ geometry: g, input, columns: tile, column_start: 1 } as never),
    ArgumentError,
    ["col2imAccumulate: unknown option 'column_start' in args", "did you mean 'columnStart'"],
  ],
  [
    'col2imAccumulate aliased buffers',
    () => col2imAccumulate({ geometry: g, input: tile.subarray(0, 50), columns: tile }),
    ArgumentError,
    ['col2imAccumulate:', 'must not overlap'],
  ],
  [
    'planColumnTiles maxBytes -1',
    () => planColumnTiles(g, { maxBytes: -1 }),
    ArgumentError,
    ['columnTiles:', 'maxBytes', 'positive number', '-1'],
  ],
  [
    "planColumnTiles maxBytes '1'",
    () => planColumnTiles(g, { maxBytes: '1' as never }),
    ArgumentError,
    ['columnTiles:', 'maxBytes', "'1'"],
  ],
  [
    'planColumnTiles channels 3',
    () => planColumnTiles(g, { channels: 3 }),
    ArgumentError,
    ['columnTiles:', 'channels', 'integer in [1, 2]', '3'],
  ],
  [
    'columnTiles max_bytes',
    () => columnTiles(g, { max_bytes: 1 } as never),
    ArgumentError,
    ["columnTiles: unknown option 'max_bytes'", "did you mean 'maxBytes'"],
  ],
  [
    'planColumnTiles one column over maxBytes',
    () => planColumnTiles(g, { maxBytes: 8 }),
    ResourceError,
    ['columnTiles:', 'one column', '18 floats', 'maxBytes = 8'],
  ],
  [
    'sourceIndexTables(null)',
    () => sourceIndexTables(null as never),
    ArgumentError,
    ['sourceIndexTables:', 'geometry', 'null'],
  ],
  [
    'convMatrix bias',
    () => convMatrix(weight, [5, 5], { bias: zeros([4]) }),
    ArgumentError,
    ['convMatrix:', 'bias is not part of the matrix'],
  ],
  [
    'convMatrix inputSpatial [5]',
    () => convMatrix(weight, [5]),
    ShapeError,
    ['convMatrix:', 'inputSpatial', '2 sizes', '[5]'],
  ],
  [
    "convMatrix maxElements 'big'",
    () => convMatrix(weight, [5, 5], { maxElements: 'big' as never }),
    ArgumentError,
    ['convMatrix:', 'maxElements', "'big'"],
  ],
  [
    'convMatrix over maxElements',
    () => convMatrix(weight, [5, 5], { maxElements: 10 }),
    ResourceError,
    ['convMatrix:', 'the matrix would be [36, 50]', 'maxElements = 10'],
  ],
  [
    'convMatrix weight foreign short data',
    () =>
      convMatrix(
        Object.assign(Object.create(Tensor.prototype), {
          data: new Float32Array(2),
          shape: [4, 2, 3, 3],
          strides: [18, 9, 3, 1],
          offset: 0,
        }),
        [5, 5],
      ),
    ShapeError,
    ['convMatrix:', 'weight', 'outside data of length 2'],
  ],
  [
    'convTransposeMatrix output_padding',
    () => convTransposeMatrix(weight, [5, 5], { output_padding: 1 } as never),
    ArgumentError,
    ["convTransposeMatrix: unknown option 'output_padding'", "did you mean 'outputPadding'"],
  ],
  [
    "convTransposeMatrix stride 'x'",
    () => convTransposeMatrix(weight, [5, 5], { stride: 'x' as never }),
    ArgumentError,
    ['convTransposeMatrix:', 'stride', "'x'"],
  ],
];

describe('@convkit/im2col bad-input table', () => {
  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });
  checkTable(rows);
  it('has at least 40 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });
});
