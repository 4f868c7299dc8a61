/**
 * The bad-input table of @convkit/analysis: every public function fed hostile arguments.
 * Each row asserts the error class and the words of the message: the function or layer, the
 * field, what was expected and what came.
 */
import { ArgumentError, ConvkitError, ShapeError, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { analyzeLayer } from './analyze-layer';
import { analyzeModel } from './analyze-model';
import { noPaddingUnitStrides, transposedZeroPaddingNonUnitStridesWithA } from './dumoulin-visin';
import { groupedCost } from './grouped-cost';
import { hybridDilationCheck } from './hybrid-dilation';
import { formatCoverage, inputCoverage } from './input-coverage';
import type { LayerSpec } from './layer-spec';
import { bottleneckCost, pointwiseCost } from './pointwise-cost';
import { receptiveField, receptiveFieldInterval } from './receptive-field';
import { separableCost } from './separable-cost';
import { formatCount, summary } from './summary';
import { validateLayerSpec } from './validate-layer-spec';

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

const conv = (fields: Record<string, unknown>) =>
  ({ type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, ...fields }) as LayerSpec;
const input = [1, 3, 16, 16];
const window = { inputSpatial: [16, 16], kernelSize: 3, inChannels: 8, outChannels: 8 };

const rows: Row[] = [
  [
    'analyzeLayer(null)',
    () => analyzeLayer(null as never, input),
    ArgumentError,
    ['layer', 'spec must be an object', 'null'],
  ],
  [
    'analyzeLayer(unknown type)',
    () => analyzeLayer({ type: 'Conv2D' } as never, input),
    ArgumentError,
    ["unknown type 'Conv2D'", "did you mean 'Conv2d'"],
  ],
  [
    'analyzeLayer(type 3)',
    () => analyzeLayer({ type: 3 } as never, input),
    ArgumentError,
    ["field 'type'", 'must name a layer', '3'],
  ],
  [
    'Conv2d kernel_size',
    () => analyzeLayer({ type: 'Conv2d', inChannels: 3, outChannels: 8, kernel_size: 3 } as never, input),
    ArgumentError,
    ["Conv2d: unknown field 'kernel_size'", "did you mean 'kernelSize'"],
  ],
  [
    'Conv2d without kernelSize',
    () => analyzeLayer({ type: 'Conv2d', inChannels: 3, outChannels: 8 } as never, input),
    ArgumentError,
    ["Conv2d: missing field 'kernelSize'"],
  ],
  [
    'Conv2d kernelSize null (absent)',
    () => analyzeLayer(conv({ kernelSize: null }), input),
    ArgumentError,
    ["Conv2d: missing field 'kernelSize'"],
  ],
  [
    "Conv2d stride '2'",
    () => analyzeLayer(conv({ stride: '2' }), input),
    ArgumentError,
    ["Conv2d: field 'stride'", '"2"'],
  ],
  [
    'Conv2d groups 0',
    () => analyzeLayer(conv({ groups: 0 }), input),
    ArgumentError,
    ["Conv2d: field 'groups'", '0'],
  ],
  [
    'Conv2d channel mismatch',
    () => analyzeLayer(conv({ inChannels: 4 }), input),
    ShapeError,
    ['Conv2d', '3 channels', '4'],
  ],
  [
    'Conv2d kernelSize [3, 3, 3]',
    () => analyzeLayer(conv({ kernelSize: [3, 3, 3] }), input),
    ArgumentError,
    ['Conv2d:', 'kernelSize', '2 of them', '[3, 3, 3]'],
  ],
  [
    'Conv2d empty output',
    () => analyzeLayer(conv({ kernelSize: 17 }), input),
    ShapeError,
    ['Conv2d', 'output would be empty'],
  ],
  [
    'Conv2d name with a dot',
    () => analyzeLayer(conv({ name: 'a.b' }), input),
    ArgumentError,
    ["field 'name'", "without '.'", '"a.b"'],
  ],
  [
    'Linear features mismatch',
    () => analyzeLayer({ type: 'Linear', inFeatures: 5, outFeatures: 2 }, [1, 4]),
    ShapeError,
    ['Linear', '5', '4'],
  ],
  [
    'Linear counts past 2^53',
    () => analyzeLayer({ type: 'Linear', inFeatures: 2 ** 40, outFeatures: 2 ** 40 }, [1, 2 ** 40]),
    ShapeError,
    ['Linear:', 'params count', '2^53'],
  ],
  [
    'analyzeModel(specs {})',
    () => analyzeModel({} as never, input),
    ArgumentError,
    ['analyzeModel:', 'specs', 'list of layer specs'],
  ],
  [
    "analyzeModel(inputShape '1,3')",
    () => analyzeModel([], '1,3' as never),
    ShapeError,
    ['analyzeModel:', 'inputShape', 'positive integers', "'1,3'"],
  ],
  [
    'analyzeModel(inputShape [1, 0])',
    () => analyzeModel([], [1, 0]),
    ShapeError,
    ['analyzeModel:', 'inputShape', '[1, 0]'],
  ],
  [
    'analyzeModel(duplicate names)',
    () =>
      analyzeModel(
        [
          { type: 'ReLU', name: 'a' },
          { type: 'ReLU', name: 'a' },
        ],
        input,
      ),
    ArgumentError,
    ["two modules are named 'a'"],
  ],
  [
    'analyzeModel(cycle)',
    () => {
      const s = { type: 'Sequential', layers: [] as unknown[] };
      s.layers.push(s);
      return analyzeModel([s as LayerSpec], input);
    },
    ArgumentError,
    ['the model contains itself', 'a cycle'],
  ],
  [
    'receptiveField(specs null)',
    () => receptiveField(null as never),
    ArgumentError,
    ['receptiveField:', 'specs', 'null'],
  ],
  [
    'receptiveField(no spatial dims)',
    () => receptiveField([{ type: 'ReLU' }]),
    ArgumentError,
    ['receptiveField:', 'spatial dims', 'pass inputShape'],
  ],
  [
    'receptiveField(adaptive without size)',
    () => receptiveField([{ type: 'AdaptiveAvgPool2d', outputSize: 1 }], undefined),
    ArgumentError,
    ['receptiveField:', 'pass inputShape'],
  ],
  [
    'receptiveField(after Flatten)',
    () =>
      receptiveField(
        [
          { type: 'Flatten', startDim: 2 },
          { type: 'Conv1d', inChannels: 3, outChannels: 2, kernelSize: 1 },
        ],
        [1, 3, 4, 4],
      ),
    UnsupportedError,
    ['receptiveField:', "Conv1d '1'", 'after a Flatten'],
  ],
  [
    'receptiveFieldInterval(null, 0)',
    () => receptiveFieldInterval(null as never, 0),
    ArgumentError,
    ['receptiveFieldInterval:', 'field', '{ size, jump, start }', 'null'],
  ],
  [
    'receptiveFieldInterval(field, -1)',
    () => receptiveFieldInterval({ size: 3, jump: 1, start: 1 }, -1),
    ArgumentError,
    ['receptiveFieldInterval:', 'unit', 'non-negative integer', '-1'],
  ],
  [
    "inputCoverage(path 'nope')",
    () => inputCoverage([conv({})], input, { path: 'nope' }),
    ArgumentError,
    ['inputCoverage:', "no module at path 'nope'", "'0'"],
  ],
  [
    'inputCoverage(path 3)',
    () => inputCoverage([conv({})], input, { path: 3 } as never),
    ArgumentError,
    ['inputCoverage:', 'path', 'a string', 'number 3'],
  ],
  [
    'inputCoverage(outputIndex [99, 0])',
    () => inputCoverage([conv({})], input, { outputIndex: [99, 0] }),
    ArgumentError,
    ['inputCoverage:', 'outputIndex', '2 integers', '[99, 0]'],
  ],
  [
    "inputCoverage(outputIndex '0,0')",
    () => inputCoverage([conv({})], input, { outputIndex: '0,0' } as never),
    ArgumentError,
    ['inputCoverage:', 'outputIndex', "'0,0'"],
  ],
  [
    'inputCoverage(options Map)',
    () => inputCoverage([conv({})], input, new Map() as never),
    ArgumentError,
    ['inputCoverage:', 'options', 'plain object', 'Map object'],
  ],
  [
    'formatCoverage(null)',
    () => formatCoverage(null as never),
    ArgumentError,
    ['formatCoverage:', 'coverage', 'inputCoverage', 'null'],
  ],
  [
    "summary(format 'html')",
    () => summary([conv({})], input, { format: 'html' } as never),
    ArgumentError,
    ['summary:', 'format', "'text'", "'html'"],
  ],
  [
    'summary(depth -1)',
    () => summary([conv({})], input, { depth: -1 }),
    ArgumentError,
    ['summary:', 'depth', 'non-negative integer', '-1'],
  ],
  [
    'summary(depht)',
    () => summary([conv({})], input, { depht: 1 } as never),
    ArgumentError,
    ["summary: unknown option 'depht'", "did you mean 'depth'"],
  ],
  [
    "formatCount('12')",
    () => formatCount('12' as never),
    ArgumentError,
    ['formatCount:', 'value', 'finite number', "'12'"],
  ],
  [
    'formatCount(Infinity)',
    () => formatCount(Number.POSITIVE_INFINITY),
    ArgumentError,
    ['formatCount:', 'Infinity'],
  ],
  [
    'separableCost(null)',
    () => separableCost(null as never),
    ArgumentError,
    ['separableCost:', 'argument', 'inputSpatial'],
  ],
  [
    'separableCost(height)',
    () => separableCost({ ...window, height: 3 } as never),
    ArgumentError,
    ["separableCost: unknown option 'height'"],
  ],
  [
    "separableCost(kernelSize 'x')",
    () => separableCost({ ...window, kernelSize: 'x' } as never),
    ArgumentError,
    ['separableCost:', 'kernelSize', '"x"'],
  ],
  [
    'groupedCost(groups null)',
    () => groupedCost({ ...window, groups: null } as never),
    ArgumentError,
    ['groupedCost:', 'groups', 'positive integer', 'null'],
  ],
  [
    'groupedCost(groups 3)',
    () => groupedCost({ ...window, groups: 3 }),
    ShapeError,
    ['groupedCost:', 'groups=3', 'divide'],
  ],
  [
    'pointwiseCost(inputSpatial [])',
    () => pointwiseCost({ inputSpatial: [], inChannels: 2, outChannels: 2 }),
    ArgumentError,
    ['pointwiseCost:', 'inputSpatial', '1 to 3 positive integers', '[]'],
  ],
  [
    'bottleneckCost(bottleneckChannels 0)',
    () => bottleneckCost({ ...window, bottleneckChannels: 0 }),
    ArgumentError,
    ['bottleneckCost:', 'bottleneckChannels', '0'],
  ],
  [
    'hybridDilationCheck([1])',
    () => hybridDilationCheck([1]),
    ArgumentError,
    ['hybridDilationCheck:', 'rates', '2 or more positive integers', '[1]'],
  ],
  [
    'hybridDilationCheck([1, 2], 1)',
    () => hybridDilationCheck([1, 2], 1),
    ArgumentError,
    ['hybridDilationCheck:', 'kernelSize', 'at least 2', '1'],
  ],
  [
    'hybridDilationCheck([1, 1e300])',
    () => hybridDilationCheck([1, 1e300]),
    ArgumentError,
    ['hybridDilationCheck:', 'rates', '1e+300'],
  ],
  [
    'noPaddingUnitStrides(null)',
    () => noPaddingUnitStrides(null as never),
    ArgumentError,
    ['noPaddingUnitStrides:', 'argument', 'inputSize, kernelSize', 'null'],
  ],
  [
    'noPaddingUnitStrides(input_size)',
    () => noPaddingUnitStrides({ input_size: 5, kernelSize: 3 } as never),
    ArgumentError,
    ["noPaddingUnitStrides: unknown option 'input_size' in arguments", "did you mean 'inputSize'"],
  ],
  [
    "noPaddingUnitStrides(kernelSize '3')",
    () => noPaddingUnitStrides({ inputSize: 5, kernelSize: '3' } as never),
    ArgumentError,
    ['relationship 1', 'kernelSize', "'3'"],
  ],
  [
    'transposedZeroPaddingNonUnitStridesWithA(a 5)',
    () =>
      transposedZeroPaddingNonUnitStridesWithA({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 5 }),
    ArgumentError,
    ['a must be an integer in {0, ..., s - 1}', '5'],
  ],
  [
    'validateLayerSpec([])',
    () => validateLayerSpec([], 'x'),
    ArgumentError,
    ["layer 'x'", 'spec must be an object', '[]'],
  ],
];

describe('@convkit/analysis bad-input table', () => {
  checkTable(rows);
  it('has at least 50 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50);
  });
});
