/**
 * The bad-input table of @convkit/tensor: every public function, fed what a hostile or careless
 * caller would pass. Each row asserts the error class and the words of the message: the op,
 * the argument, what was expected and what came.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allclose, assertClose, compareClose, maxAbsDiff } from './allclose';
import { checkAllocation } from './check-allocation';
import { readTensor } from './check-arguments';
import { resolveConvCall, resolveConvTransposeCall, resolveDeformConvCall } from './conv-call';
import { adjointConvGeometry, convGeometry, convGeometryFromShapes } from './conv-geometry';
import { ArgumentError, ConvkitError, ResourceError, ShapeError, UnsupportedError } from './errors';
import { DEFAULT_MEMORY_LIMIT, setMemoryLimit } from './memory-limit';
import { paddedIndex } from './padded-index';
import { optionEnum, optionIntList, optionNumber, readOptions } from './read-options';
import { createRng, Rng } from './rng';
import { arange, full, ones, Tensor, tensor, zeros } from './tensor';

type ErrorClass = { isInstance(value: unknown): boolean; name: string };
type Row = [label: string, call: () => unknown, error: ErrorClass, words: readonly string[]];

function caught(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Runs a table: each call must throw `error` whose message holds every word. */
export function checkTable(rows: readonly Row[]): void {
  it.each(rows)('%s', (_label, call, error, words) => {
    const e = caught(call);
    expect(e, 'expected a throw').toBeDefined();
    expect(ConvkitError.isInstance(e), String(e)).toBe(true);
    expect(error.isInstance(e), `${(e as Error).name}: ${(e as Error).message}`).toBe(true);
    for (const word of words) expect((e as Error).message).toContain(word);
  });
}

const t = () => tensor([1, 2, 3, 4, 5, 6], [2, 3]);
const geo = { inChannels: 2, outChannels: 4, inputSpatial: [6, 6], kernelSize: 3 };
const x = zeros([1, 2, 5, 5]);
const w = zeros([3, 2, 3, 3]);

const BAD_SHAPES: [unknown, string, ErrorClass][] = [
  [null, 'null', ArgumentError],
  [4, '4', ArgumentError],
  ['2,3', "'2,3'", ArgumentError],
  [{ length: 2 }, 'Object object', ArgumentError],
  [[2, -1], '[2, -1]', ShapeError],
  [[2, 1.5], '[2, 1.5]', ShapeError],
  [[2, Number.NaN], '[2, NaN]', ShapeError],
  [[2, '3'], "[2, '3']", ShapeError],
  [[2 ** 60], '[1152921504606847000]', ShapeError],
];

const factoryRows: Row[] = [];
for (const [name, make] of [
  ['zeros', (s: unknown) => zeros(s as number[])],
  ['ones', (s: unknown) => ones(s as number[])],
  ['full', (s: unknown) => full(s as number[], 1)],
  ['Rng.uniformTensor', (s: unknown) => createRng(0).uniformTensor(s as number[])],
  ['Rng.normalTensor', (s: unknown) => createRng(0).normalTensor(s as number[])],
] as const) {
  for (const [shape, got, error] of BAD_SHAPES) {
    factoryRows.push([`${name}(${got})`, () => make(shape), error, [`${name}:`, 'shape', got]]);
  }
  factoryRows.push([
    `${name} over the memory limit`,
    () => make([1e6, 1e6]),
    ResourceError,
    [`${name}:`, 'the tensor [1000000, 1000000]', 'needs 3.6 TiB', 'memory limit', 'setMemoryLimit'],
  ]);
}

const tensorRows: Row[] = [
  [
    'tensor(null, [2])',
    () => tensor(null as never, [2]),
    ArgumentError,
    ['tensor:', 'values', 'array of numbers', 'null'],
  ],
  [
    "tensor('abcd', [4])",
    () => tensor('abcd' as never, [4]),
    ArgumentError,
    ['tensor:', 'values', "string 'abcd'"],
  ],
  [
    "tensor([1, 'x'], [2])",
    () => tensor([1, 'x'] as never, [2]),
    ArgumentError,
    ['tensor:', 'values must be numbers', "string 'x'", 'index 1'],
  ],
  [
    'tensor([1, null], [2])',
    () => tensor([1, null] as never, [2]),
    ArgumentError,
    ['tensor:', 'values must be numbers', 'null'],
  ],
  [
    'tensor(v, 4)',
    () => tensor([1, 2, 3, 4], 4 as never),
    ArgumentError,
    ['tensor:', 'shape', 'array of sizes', '4'],
  ],
  [
    'tensor(too few values)',
    () => tensor([1, 2, 3], [2, 2]),
    ShapeError,
    ['tensor:', '3 values', 'shape [2, 2]', '4 elements'],
  ],
  [
    'tensor(BigInt64Array)',
    () => tensor(new BigInt64Array(2) as never, [2]),
    ArgumentError,
    ['tensor:', 'values', 'BigInt64Array'],
  ],
  ['tensor(Map)', () => tensor(new Map() as never, [0]), ArgumentError, ['tensor:', 'values', 'Map object']],
  [
    'new Tensor(Float64Array)',
    () => new Tensor(new Float64Array(4) as never, [4]),
    ArgumentError,
    ['Tensor:', 'data', 'Float32Array', 'Float64Array object'],
  ],
  [
    'new Tensor(data, null)',
    () => new Tensor(new Float32Array(4), null as never),
    ArgumentError,
    ['Tensor:', 'shape', 'array of sizes', 'null'],
  ],
  [
    'new Tensor(data, [5])',
    () => new Tensor(new Float32Array(4), [5]),
    ShapeError,
    ['Tensor:', 'shape [5]', 'reaches index 4', 'length 4'],
  ],
  [
    'new Tensor(strides 2.5)',
    () => new Tensor(new Float32Array(4), [2, 2], [2.5, 1]),
    ArgumentError,
    ['Tensor:', 'strides', 'integers', '[2.5, 1]'],
  ],
  [
    'new Tensor(strides wrong rank)',
    () => new Tensor(new Float32Array(4), [2, 2], [1]),
    ShapeError,
    ['Tensor:', 'strides [1]', 'one entry per dimension', '[2, 2]'],
  ],
  [
    'new Tensor(offset -1)',
    () => new Tensor(new Float32Array(4), [2], [1], -1),
    ArgumentError,
    ['Tensor:', 'offset', 'non-negative integer', '-1'],
  ],
  [
    "new Tensor(offset '1')",
    () => new Tensor(new Float32Array(4), [2], [1], '1' as never),
    ArgumentError,
    ['Tensor:', 'offset', "'1'"],
  ],
  [
    'new Tensor(negative reach)',
    () => new Tensor(new Float32Array(4), [2], [-1], 0),
    ShapeError,
    ['Tensor:', 'reaches index -1'],
  ],
  [
    'reshape(null)',
    () => t().reshape(null as never),
    ArgumentError,
    ['reshape:', 'shape', 'array of sizes', 'null'],
  ],
  ["reshape(['3', 2])", () => t().reshape(['3', 2] as never), ArgumentError, ['reshape:', "['3', 2]"]],
  ['reshape([4, 2])', () => t().reshape([4, 2]), ShapeError, ['reshape:', '[2, 3]', '[4, 2]', '8 elements']],
  [
    'reshape([-1, -1])',
    () => t().reshape([-1, -1]),
    ArgumentError,
    ['reshape:', 'only one dimension may be -1'],
  ],
  ['reshape([4, -1])', () => t().reshape([4, -1]), ShapeError, ['reshape:', 'cannot infer -1', '6 elements']],
  [
    'permute(null)',
    () => t().permute(null as never),
    ArgumentError,
    ['permute:', 'order', 'each of the 2 dimensions', 'null'],
  ],
  ['permute([0, 0])', () => t().permute([0, 0]), ArgumentError, ['permute:', 'order [0, 0]', 'once']],
  ["permute(['1', 0])", () => t().permute(['1', 0] as never), ArgumentError, ['permute:', "['1', 0]"]],
  [
    'transpose(0, 5)',
    () => t().transpose(0, 5),
    ArgumentError,
    ['transpose:', 'dimension 5', 'shape [2, 3]'],
  ],
  ["transpose('0', 1)", () => t().transpose('0' as never, 1), ArgumentError, ['transpose:', "dimension '0'"]],
  ['slice(5, 0)', () => t().slice(5, 0), ArgumentError, ['slice:', 'dimension 5', 'does not exist']],
  ['slice(0, 1.5)', () => t().slice(0, 1.5), ArgumentError, ['slice:', 'start and end', 'integers', '1.5']],
  [
    'slice(0, 0, 2, 0)',
    () => t().slice(0, 0, 2, 0),
    ArgumentError,
    ['slice:', 'step', 'positive integer', '0'],
  ],
  ["slice('0', 0)", () => t().slice('0' as never, 0), ArgumentError, ['slice:', "dimension '0'"]],
  ['squeeze(7)', () => t().squeeze(7), ArgumentError, ['squeeze:', 'dimension 7']],
  [
    'unsqueeze(-1)',
    () => t().unsqueeze(-1),
    ArgumentError,
    ['unsqueeze:', 'dimension -1', 'must lie in [0, 2]'],
  ],
  ['get(5, 0)', () => t().get(5, 0), ArgumentError, ['Tensor.get:', 'index 5', 'dimension 0']],
  ['get(0)', () => t().get(0), ShapeError, ['Tensor.get:', 'expected 2 indices', 'got 1']],
  [
    'arange(0, Infinity)',
    () => arange(0, Number.POSITIVE_INFINITY),
    ArgumentError,
    ['arange:', 'end', 'finite number', 'Infinity'],
  ],
  ["arange('a')", () => arange('a' as never), ArgumentError, ['arange:', 'end', 'finite number', "'a'"]],
  ['arange(0, 1, 0)', () => arange(0, 1, 0), ArgumentError, ['arange:', 'step', 'non-zero', '0']],
  [
    'arange(0, 1e12)',
    () => arange(0, 1e12),
    ResourceError,
    ['arange:', 'the tensor [1000000000000]', 'memory limit'],
  ],
  [
    'full(shape, "1")',
    () => full([2], '1' as never),
    ArgumentError,
    ['full:', 'value', 'number', "string '1'"],
  ],
  [
    'toFloat32Array of a huge stride-0 view',
    () => new Tensor(new Float32Array(1), [1e5, 1e5], [0, 0]).toFloat32Array(),
    ResourceError,
    ['toFloat32Array:', 'row-major copy', '[100000, 100000]', 'memory limit'],
  ],
  [
    'contiguous() of a huge stride-0 view',
    () => new Tensor(new Float32Array(1), [1e5, 1e5], [0, 0]).contiguous(),
    ResourceError,
    ['toFloat32Array:', 'memory limit'],
  ],
];

const geometryRows: Row[] = [
  [
    'convGeometry(null)',
    () => convGeometry(null as never),
    ArgumentError,
    ['convGeometry:', 'arguments', 'plain object', 'null'],
  ],
  [
    'convGeometry(Map)',
    () => convGeometry(new Map() as never),
    ArgumentError,
    ['convGeometry:', 'arguments', 'Map object'],
  ],
  [
    'convGeometry(unknown key)',
    () => convGeometry({ ...geo, inChanels: 2 } as never),
    ArgumentError,
    ["unknown option 'inChanels'", "did you mean 'inChannels'"],
  ],
  [
    'stride null means default, stride {} refused',
    () => convGeometry({ ...geo, stride: {} } as never),
    ArgumentError,
    ['conv2d:', 'stride', 'positive integer', 'Object object'],
  ],
  [
    'stride true',
    () => convGeometry({ ...geo, stride: true } as never),
    ArgumentError,
    ['conv2d:', 'stride', 'boolean true'],
  ],
  [
    'stride 2n',
    () => convGeometry({ ...geo, stride: 2n } as never),
    ArgumentError,
    ['conv2d:', 'stride', 'bigint 2n'],
  ],
  [
    "stride '22'",
    () => convGeometry({ ...geo, stride: '22' } as never),
    ArgumentError,
    ['conv2d:', 'stride', 'positive integer or 2 of them', "'22'"],
  ],
  [
    'stride [1, 2, 3]',
    () => convGeometry({ ...geo, stride: [1, 2, 3] }),
    ArgumentError,
    ['conv2d:', 'stride', '2 of them', '[1, 2, 3]'],
  ],
  [
    'stride [0, 1]',
    () => convGeometry({ ...geo, stride: [0, 1] }),
    ArgumentError,
    ['conv2d:', 'stride', '[0, 1]'],
  ],
  [
    'stride Infinity',
    () => convGeometry({ ...geo, stride: Number.POSITIVE_INFINITY }),
    ArgumentError,
    ['conv2d:', 'stride', 'Infinity'],
  ],
  [
    "dilation 'same'",
    () => convGeometry({ ...geo, dilation: 'same' } as never),
    ArgumentError,
    ['conv2d:', 'dilation', "'same'"],
  ],
  [
    'dilation {}',
    () => convGeometry({ ...geo, dilation: {} } as never),
    ArgumentError,
    ['conv2d:', 'dilation', 'Object object'],
  ],
  ['dilation -1', () => convGeometry({ ...geo, dilation: -1 }), ArgumentError, ['conv2d:', 'dilation', '-1']],
  [
    'padding {}',
    () => convGeometry({ ...geo, padding: {} } as never),
    ArgumentError,
    ['conv2d:', 'padding', "'same' or 'valid'", 'Object object'],
  ],
  [
    'padding true',
    () => convGeometry({ ...geo, padding: true } as never),
    ArgumentError,
    ['conv2d:', 'padding', 'boolean true'],
  ],
  [
    'padding 2n',
    () => convGeometry({ ...geo, padding: 2n } as never),
    ArgumentError,
    ['conv2d:', 'padding', 'bigint 2n'],
  ],
  [
    "padding 'full'",
    () => convGeometry({ ...geo, padding: 'full' } as never),
    ArgumentError,
    ['conv2d:', 'padding', "'full'"],
  ],
  [
    'padding [[1]]',
    () => convGeometry({ ...geo, padding: [[1], [1]] } as never),
    ArgumentError,
    ['conv2d:', 'padding', '[before, after] pairs', '[[1], [1]]'],
  ],
  [
    'padding [1, 1, 1]',
    () => convGeometry({ ...geo, padding: [1, 1, 1] }),
    ArgumentError,
    ['conv2d:', 'padding', '[1, 1, 1]'],
  ],
  [
    'padding -1',
    () => convGeometry({ ...geo, padding: -1 }),
    ArgumentError,
    ['conv2d:', 'padding', 'non-negative integer', '-1'],
  ],
  [
    'kernelSize {}',
    () => convGeometry({ ...geo, kernelSize: {} } as never),
    ArgumentError,
    ['conv2d:', 'kernelSize', 'Object object'],
  ],
  [
    "kernelSize '3'",
    () => convGeometry({ ...geo, kernelSize: '3' } as never),
    ArgumentError,
    ['conv2d:', 'kernelSize', "'3'"],
  ],
  [
    'kernelSize 0',
    () => convGeometry({ ...geo, kernelSize: 0 }),
    ArgumentError,
    ['conv2d:', 'kernelSize', 'positive integer', '0'],
  ],
  [
    'outputPadding true',
    () => convGeometry({ ...geo, transposed: true, outputPadding: true } as never),
    ArgumentError,
    ['convTranspose2d:', 'outputPadding', 'boolean true'],
  ],
  [
    "outputPadding '1'",
    () => convGeometry({ ...geo, transposed: true, stride: 2, outputPadding: '1' } as never),
    ArgumentError,
    ['convTranspose2d:', 'outputPadding', "'1'"],
  ],
  [
    'outputPadding >= stride',
    () => convGeometry({ ...geo, transposed: true, stride: 2, outputPadding: 2 }),
    ArgumentError,
    ['convTranspose2d:', 'outputPadding 2', 'max(stride, dilation) = 2'],
  ],
  [
    'outputPadding on conv',
    () => convGeometry({ ...geo, outputPadding: 1 }),
    ArgumentError,
    ['conv2d:', 'outputPadding applies to transposed convolution only'],
  ],
  [
    'groups 1.5',
    () => convGeometry({ ...geo, groups: 1.5 }),
    ArgumentError,
    ['conv2d:', 'groups', 'positive integer', '1.5'],
  ],
  [
    "groups '2'",
    () => convGeometry({ ...geo, groups: '2' } as never),
    ArgumentError,
    ['conv2d:', 'groups', "'2'"],
  ],
  [
    'groups not dividing',
    () => convGeometry({ ...geo, groups: 3 }),
    ShapeError,
    ['conv2d:', 'groups=3', 'divide the 2 input channels'],
  ],
  [
    'layout NHWC',
    () => convGeometry({ ...geo, layout: 'NHWC' } as never),
    ArgumentError,
    ['conv2d:', 'layout', "'channels-first' or 'channels-last'", "'NHWC'"],
  ],
  [
    'paddingMode mirror',
    () => convGeometry({ ...geo, paddingMode: 'mirror' } as never),
    ArgumentError,
    ['conv2d:', 'paddingMode', "one of 'zeros'", "'mirror'"],
  ],
  [
    'paddingMode reflection (hint)',
    () => convGeometry({ ...geo, paddingMode: 'reflection' } as never),
    ArgumentError,
    ['conv2d:', 'paddingMode', "did you mean 'reflect'"],
  ],
  [
    'ceilMode 1',
    () => convGeometry({ ...geo, ceilMode: 1 } as never),
    ArgumentError,
    ['conv2d:', 'ceilMode', 'true or false', 'number 1'],
  ],
  [
    'transposed "yes"',
    () => convGeometry({ ...geo, transposed: 'yes' } as never),
    ArgumentError,
    ['convGeometry:', 'transposed', 'true or false', "string 'yes'"],
  ],
  [
    'op 3',
    () => convGeometry({ ...geo, op: 3 } as never),
    ArgumentError,
    ['convGeometry:', 'op', 'a string', 'number 3'],
  ],
  [
    'inputSpatial "6,6"',
    () => convGeometry({ ...geo, inputSpatial: '6,6' } as never),
    ArgumentError,
    ['inputSpatial', 'array of spatial sizes', "'6,6'"],
  ],
  [
    'inputSpatial [0, 6]',
    () => convGeometry({ ...geo, inputSpatial: [0, 6] }),
    ShapeError,
    ['conv2d:', 'input spatial sizes', 'positive integers', '[0, 6]'],
  ],
  [
    'inputSpatial 4 dims',
    () => convGeometry({ ...geo, inputSpatial: [2, 2, 2, 2] }),
    ShapeError,
    ['conv4d:', '1 to 3 spatial dims', '[2, 2, 2, 2]'],
  ],
  [
    'inChannels "2"',
    () => convGeometry({ ...geo, inChannels: '2' } as never),
    ShapeError,
    ['conv2d:', 'inChannels', 'positive integer', "'2'"],
  ],
  [
    'outChannels 0',
    () => convGeometry({ ...geo, outChannels: 0 }),
    ShapeError,
    ['conv2d:', 'outChannels', 'positive integer', '0'],
  ],
  [
    'batch -1',
    () => convGeometry({ ...geo, batch: -1 }),
    ShapeError,
    ['conv2d:', 'batch', 'non-negative integer', '-1'],
  ],
  [
    'offsetGroups 0',
    () => convGeometry({ ...geo, offsetGroups: 0 }),
    ArgumentError,
    ['conv2d:', 'offset groups', 'positive integer', '0'],
  ],
  [
    'empty output',
    () => convGeometry({ ...geo, kernelSize: 7 }),
    ShapeError,
    ['conv2d:', 'output would be empty', 'kernel extent 7'],
  ],
  [
    'reflect padding too wide',
    () => convGeometry({ ...geo, padding: 6, paddingMode: 'reflect' }),
    ArgumentError,
    ['conv2d:', "paddingMode 'reflect'", 'padding 6'],
  ],
  [
    'same on transposed',
    () => convGeometry({ ...geo, transposed: true, padding: 'same' }),
    UnsupportedError,
    ['convTranspose2d:', "padding 'same'", 'transposed'],
  ],
  [
    'reflect on transposed',
    () => convGeometry({ ...geo, transposed: true, paddingMode: 'reflect' }),
    UnsupportedError,
    ['convTranspose2d:', "paddingMode 'reflect'", "only 'zeros'"],
  ],
  [
    'sizes past 2^53',
    () =>
      convGeometry({ ...geo, inChannels: 2 ** 30, outChannels: 2 ** 30, inputSpatial: [2 ** 20, 2 ** 20] }),
    ShapeError,
    ['conv2d:', 'element count', 'safe integer', 'too large'],
  ],
  [
    'fromShapes(null)',
    () => convGeometryFromShapes(null as never),
    ArgumentError,
    ['convGeometryFromShapes:', 'arguments', 'null'],
  ],
  [
    'fromShapes(inputShape "x")',
    () => convGeometryFromShapes({ inputShape: 'x' as never, weightShape: [1, 1, 1, 1] }),
    ArgumentError,
    ['conv2d:', 'input shape', 'array of sizes', "'x'"],
  ],
  [
    'fromShapes(weightShape [1, NaN])',
    () => convGeometryFromShapes({ inputShape: [1, 1, 2, 2], weightShape: [1, Number.NaN, 1, 1] }),
    ShapeError,
    ['conv2d:', 'weight shape', 'non-negative integers', 'NaN'],
  ],
  [
    'fromShapes(weight rank 2)',
    () => convGeometryFromShapes({ inputShape: [1, 1], weightShape: [1, 1] }),
    ShapeError,
    ['conv:', 'weight', 'rank 3, 4 or 5', '[1, 1]'],
  ],
  [
    'fromShapes(channel mismatch)',
    () => convGeometryFromShapes({ inputShape: [1, 4, 8, 8], weightShape: [64, 3, 7, 7] }),
    ShapeError,
    ['conv2d:', 'input has 4 channels', 'weight [64, 3, 7, 7]', 'expects 3'],
  ],
  [
    'fromShapes(unknown key)',
    () =>
      convGeometryFromShapes({
        inputShape: [1, 1, 4, 4],
        weightShape: [1, 1, 3, 3],
        bias: null,
        algorithm: 'auto',
      } as never),
    ArgumentError,
    ["unknown option 'algorithm'"],
  ],
  [
    'adjointConvGeometry(plain)',
    () => adjointConvGeometry(convGeometry(geo)),
    ArgumentError,
    ['adjointConvGeometry:', "transposed convolution's geometry", 'not transposed'],
  ],
];

const otherRows: Row[] = [
  [
    'allclose(null, t)',
    () => allclose(null as never, t()),
    ArgumentError,
    ['allclose:', 'actual', 'Tensor, a typed array or an array of numbers', 'null'],
  ],
  [
    'allclose(t, "x")',
    () => allclose(t(), 'x' as never),
    ArgumentError,
    ['allclose:', 'expected', "string 'x'"],
  ],
  [
    'allclose(t, t, { atol: NaN })',
    () => allclose(t(), t(), { atol: Number.NaN }),
    ArgumentError,
    ['allclose:', 'atol', 'finite number >= 0', 'NaN'],
  ],
  [
    'allclose(t, t, { rtol: -1 })',
    () => allclose(t(), t(), { rtol: -1 }),
    ArgumentError,
    ['allclose:', 'rtol', '>= 0', '-1'],
  ],
  [
    "allclose(t, t, { equalNan: 'no' })",
    () => allclose(t(), t(), { equalNan: 'no' } as never),
    ArgumentError,
    ['allclose:', 'equalNan', 'true or false', "string 'no'"],
  ],
  [
    'allclose(t, t, { tol: 1 })',
    () => allclose(t(), t(), { tol: 1 } as never),
    ArgumentError,
    ['allclose:', "unknown option 'tol'"],
  ],
  [
    'allclose([1, "2"], [1, 2])',
    () => allclose([1, '2'] as never, [1, 2]),
    ArgumentError,
    ['allclose:', 'actual', 'numbers', "string '2'", 'index 1'],
  ],
  [
    'allclose(shape mismatch)',
    () => allclose(t(), zeros([3, 2])),
    ShapeError,
    ['allclose:', 'shapes [2, 3] and [3, 2] differ'],
  ],
  [
    'compareClose(t, t, { atol: Infinity })',
    () => compareClose(t(), t(), { atol: Number.POSITIVE_INFINITY }),
    ArgumentError,
    ['compareClose:', 'atol', 'Infinity'],
  ],
  [
    'assertClose(t, t, { label: 3 })',
    () => assertClose(t(), t(), { label: 3 } as never),
    ArgumentError,
    ['assertClose:', 'label', 'a string', 'number 3'],
  ],
  [
    'maxAbsDiff(undefined, t)',
    () => maxAbsDiff(undefined as never, t()),
    ArgumentError,
    ['maxAbsDiff:', 'actual', 'undefined'],
  ],
  [
    "paddedIndex(-3, 2, 'mirror')",
    () => paddedIndex(-3, 2, 'mirror' as never),
    ArgumentError,
    ['paddedIndex:', 'mode', "'mirror'"],
  ],
  [
    'paddedIndex(0, 0, zeros)',
    () => paddedIndex(0, 0, 'zeros'),
    ArgumentError,
    ['paddedIndex:', 'size', 'positive integer', '0'],
  ],
  [
    'paddedIndex(1.5, 3, zeros)',
    () => paddedIndex(1.5, 3, 'zeros'),
    ArgumentError,
    ['paddedIndex:', 'position', 'integer', '1.5'],
  ],
  [
    'uniformTensor([4], 5, 1)',
    () => createRng(0).uniformTensor([4], 5, 1),
    ArgumentError,
    ['Rng.uniformTensor:', 'low must be <= high', 'low 5', 'high 1'],
  ],
  [
    'uniformTensor([4], NaN)',
    () => createRng(0).uniformTensor([4], Number.NaN),
    ArgumentError,
    ['Rng.uniformTensor:', 'low', 'finite number', 'NaN'],
  ],
  [
    'normalTensor([4], 0, -1)',
    () => createRng(0).normalTensor([4], 0, -1),
    ArgumentError,
    ['Rng.normalTensor:', 'std must be >= 0', '-1'],
  ],
  [
    'Rng.uniform(1, 0)',
    () => createRng(0).uniform(1, 0),
    ArgumentError,
    ['Rng.uniform:', 'low must be <= high'],
  ],
  [
    'Rng.normal(0, Infinity)',
    () => createRng(0).normal(0, Number.POSITIVE_INFINITY),
    ArgumentError,
    ['Rng.normal:', 'std', 'finite number', 'Infinity'],
  ],
  [
    'Rng.int(0, 1.5)',
    () => createRng(0).int(0, 1.5),
    ArgumentError,
    ['Rng.int:', 'low and high', 'integers', '1.5'],
  ],
  ["new Rng('x')", () => new Rng('x' as never), ArgumentError, ['Rng:', 'seed', 'finite number', "'x'"]],
  ['Rng.pick([])', () => createRng(0).pick([]), ArgumentError, ['Rng.pick:', 'empty list']],
  [
    'Rng.pick("ab")',
    () => createRng(0).pick('ab' as never),
    ArgumentError,
    ['Rng.pick:', 'items', 'array', "'ab'"],
  ],
  [
    'setMemoryLimit(0)',
    () => setMemoryLimit(0),
    ArgumentError,
    ['setMemoryLimit:', 'bytes', 'positive safe integer', '0'],
  ],
  [
    "setMemoryLimit('1GB')",
    () => setMemoryLimit('1GB' as never),
    ArgumentError,
    ['setMemoryLimit:', 'bytes', "string '1GB'"],
  ],
  [
    'checkAllocation over the limit',
    () => checkAllocation('op', 'buffer', [2 ** 20, 2 ** 20]),
    ResourceError,
    ['op:', 'buffer [1048576, 1048576]', 'needs 4.0 TiB', 'memory limit of 2.0 GiB', 'setMemoryLimit'],
  ],
  [
    'readOptions(Map)',
    () => readOptions('op', new Map(), ['a']),
    ArgumentError,
    ['op:', 'options', 'plain object', 'Map object'],
  ],
  [
    'readOptions(class instance)',
    () => readOptions('op', new (class Opts {})(), ['a']),
    ArgumentError,
    ['op:', 'options', 'Opts object'],
  ],
  [
    'readOptions(unknown key)',
    () => readOptions('op', { paddingMode: 1, padding_mode: 2 }, ['paddingMode']),
    ArgumentError,
    ["op: unknown option 'padding_mode'", "did you mean 'paddingMode'"],
  ],
  [
    'optionNumber(Infinity)',
    () => optionNumber('op', 'x', Number.POSITIVE_INFINITY, 0),
    ArgumentError,
    ['op:', 'x', 'finite number', 'Infinity'],
  ],
  [
    'optionEnum(number)',
    () => optionEnum('op', 'mode', 3, ['a', 'b', 'c'], 'a'),
    ArgumentError,
    ['op:', 'mode', "one of 'a', 'b', 'c'", 'number 3'],
  ],
  [
    'optionIntList(nested)',
    () => optionIntList('op', 'size', [[1]], { length: 1, min: 1, fallback: [1] }),
    ArgumentError,
    ['op:', 'size', '[[1]]'],
  ],
  [
    'readTensor(short foreign data)',
    () =>
      readTensor('op', 'input', {
        data: new Float32Array(2),
        shape: [4],
        strides: [1],
        offset: 0,
        permute() {},
        contiguous() {},
        toFloat32Array() {},
      }),
    ShapeError,
    ['op:', 'input', 'shape [4]', 'outside data of length 2'],
  ],
  [
    'readTensor(foreign negative offset)',
    () =>
      readTensor('op', 'input', {
        data: new Float32Array(2),
        shape: [1],
        strides: [1],
        offset: -1,
        permute() {},
        contiguous() {},
        toFloat32Array() {},
      }),
    ArgumentError,
    ['op:', 'input offset', 'non-negative integer', '-1'],
  ],
  [
    'resolveConvCall(x, "w")',
    () => resolveConvCall('conv2d', x, 'w', undefined),
    ArgumentError,
    ['conv2d:', 'weight', 'must be a Tensor', "string 'w'"],
  ],
  [
    'resolveConvCall(bias [2])',
    () => resolveConvCall('conv2d', x, w, { bias: zeros([2]) }),
    ShapeError,
    ['conv2d:', 'bias', 'shape [3]', 'got [2]'],
  ],
  [
    'resolveConvCall(bias 1)',
    () => resolveConvCall('conv2d', x, w, { bias: 1 }),
    ArgumentError,
    ['conv2d:', 'bias', 'Tensor or null', 'number 1'],
  ],
  [
    'resolveConvCall(dims 1)',
    () => resolveConvCall('conv1d', x, w, undefined, 1),
    ShapeError,
    ['conv1d:', 'weight', 'rank 3', '[3, 2, 3, 3]'],
  ],
  [
    'resolveConvTransposeCall(outputPadding [1, 1, 1])',
    () =>
      resolveConvTransposeCall('convTranspose2d', zeros([1, 3, 4, 4]), w, {
        stride: 2,
        outputPadding: [1, 1, 1],
      }),
    ArgumentError,
    ['convTranspose2d:', 'outputPadding', '[1, 1, 1]'],
  ],
  [
    'resolveDeformConvCall(offset rank 3)',
    () => resolveDeformConvCall('deformConv2d', x, w, zeros([1, 18, 3]), undefined),
    ShapeError,
    ['deformConv2d:', 'offset', 'rank 4', '[1, 18, 3]'],
  ],
  [
    "resolveDeformConvCall(layout 'channels-last')",
    () => resolveDeformConvCall('deformConv2d', x, w, zeros([1, 18, 3, 3]), { layout: 'channels-last' }),
    UnsupportedError,
    ['deformConv2d:', 'layout', "'channels-last'"],
  ],
];

describe('@convkit/tensor bad-input table', () => {
  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });
  describe('factories and samplers', () => checkTable(factoryRows));
  describe('Tensor and views', () => checkTable(tensorRows));
  describe('convGeometry and convGeometryFromShapes', () => checkTable(geometryRows));
  describe('allclose, paddedIndex, Rng, budget, option readers, op checks', () => checkTable(otherRows));
  it('has at least 150 rows', () => {
    expect(
      factoryRows.length + tensorRows.length + geometryRows.length + otherRows.length,
    ).toBeGreaterThanOrEqual(150);
  });
});
