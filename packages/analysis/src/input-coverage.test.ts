import { readFileSync } from 'node:fs';
import { ArgumentError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { formatCoverage, inputCoverage } from './input-coverage';
import type { LayerSpec } from './layer-spec';

interface FieldEntry {
  path: string;
  unit: number[];
  runs: [number, number][];
  count: number;
}
interface FixtureCase {
  name: string;
  inputShape: number[];
  specs: LayerSpec[];
  receptiveField?: FieldEntry[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../tooling/goldens/analysis.json', import.meta.url), 'utf8'),
) as {
  cases: FixtureCase[];
};

function maskOf(runs: [number, number][], size: number): Uint8Array {
  const mask = new Uint8Array(size);
  for (const [start, length] of runs) mask.fill(1, start, start + length);
  return mask;
}

describe('inputCoverage against autograd (tooling/goldens/analysis.json)', () => {
  const cases = fixture.cases.filter((c) => c.receptiveField);

  it('covers every model with local footprints', () => {
    expect(cases.length).toBe(12);
    expect(cases.reduce((n, c) => n + c.receptiveField!.length, 0)).toBeGreaterThan(500);
  });

  for (const c of cases) {
    it(`${c.name}: every traced unit reads exactly the inputs with a non-zero gradient`, () => {
      const size = c.inputShape.slice(2).reduce((a, b) => a * b, 1);
      for (const entry of c.receptiveField!) {
        const coverage = inputCoverage(c.specs, c.inputShape, { path: entry.path, outputIndex: entry.unit });
        const where = `${entry.path} unit [${entry.unit}]`;
        expect(coverage.count, where).toBe(entry.count);
        expect(Array.from(coverage.mask), where).toEqual(Array.from(maskOf(entry.runs, size)));
      }
    });
  }

  it('shows the gridding of rates 2, 4, 8 and none for 1, 2, 5', () => {
    const byName = (name: string) => cases.find((c) => c.name === name)!;
    const last = (c: FixtureCase) => inputCoverage(c.specs, c.inputShape, { outputIndex: [20, 20] });
    const hdc = last(byName('dilated_1_2_5'));
    expect(hdc.bounds).toEqual([
      [12, 28],
      [12, 28],
    ]);
    expect(hdc.count).toBe(17 * 17);
    expect(hdc.holes).toBe(0);
    const gridded = last(byName('dilated_2_4_8'));
    expect(gridded.bounds).toEqual([
      [6, 34],
      [6, 34],
    ]);
    // Rates with the common factor 2 reach only even offsets: 15 of 29 per dim.
    expect(gridded.count).toBe(15 * 15);
    expect(gridded.holes).toBe(29 * 29 - 15 * 15);
  });
});

describe('inputCoverage', () => {
  it('traces the centre of the last top-level module by default', () => {
    const specs: LayerSpec[] = [
      { type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 3 },
      { type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 2 },
    ];
    const coverage = inputCoverage(specs, [1, 1, 9, 9]);
    expect(coverage.path).toBe('1');
    expect(coverage.type).toBe('Conv2d');
    expect(coverage.outputIndex).toEqual([1, 1]);
    expect(coverage.bounds).toEqual([
      [1, 7],
      [1, 7],
    ]);
    expect(coverage.count).toBe(49);
    expect(formatCoverage(inputCoverage([specs[0]!], [1, 1, 5, 5]))).toBe(
      ['.....', '.###.', '.###.', '.###.', '.....'].join('\n'),
    );
  });

  it('follows padding modes: zeros read nothing, reflect mirrors, replicate clamps, circular wraps', () => {
    const at = (paddingMode: 'zeros' | 'reflect' | 'replicate' | 'circular') =>
      formatCoverage(
        inputCoverage(
          [{ type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 5, padding: 3, paddingMode }],
          [1, 1, 8],
          {
            outputIndex: [0],
          },
        ),
      );
    // Output 0 reads padded positions -3..1.
    expect(at('zeros')).toBe('##......');
    expect(at('reflect')).toBe('####....');
    expect(at('replicate')).toBe('##......');
    expect(at('circular')).toBe('##...###');
  });

  it('reads only the phase a transposed convolution hits', () => {
    // k = 3, stride 2, padding 1: even outputs read one input, odd outputs two.
    const specs: LayerSpec[] = [
      { type: 'ConvTranspose1d', inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: 1 },
    ];
    const at = (u: number) => formatCoverage(inputCoverage(specs, [1, 1, 5], { outputIndex: [u] }));
    expect(at(4)).toBe('..#..');
    expect(at(5)).toBe('..##.');
    // Dilation 2 with stride 2: odd outputs read no input at all.
    const holes: LayerSpec[] = [
      { type: 'ConvTranspose1d', inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, dilation: 2 },
    ];
    expect(inputCoverage(holes, [1, 1, 4], { outputIndex: [3] }).count).toBe(0);
    expect(inputCoverage(holes, [1, 1, 4], { outputIndex: [3] }).bounds).toBeNull();
  });

  it('unions a residual body with its shortcut, and traces a unit inside the body', () => {
    const specs: LayerSpec[] = [
      {
        type: 'Residual',
        name: 'res',
        body: [
          { type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 3, padding: 3 },
          { type: 'ReLU' },
        ],
      },
    ];
    expect(formatCoverage(inputCoverage(specs, [1, 1, 9]))).toBe('.#..#..#.');
    expect(inputCoverage(specs, [1, 1, 9], { path: 'res.body.0' }).path).toBe('res.body.0');
    const withShortcut: LayerSpec[] = [
      {
        type: 'Residual',
        body: [{ type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 3, padding: 3 }],
        shortcut: [{ type: 'AvgPool1d', kernelSize: 3, stride: 1, padding: 1 }],
      },
    ];
    expect(formatCoverage(inputCoverage(withShortcut, [1, 1, 9]))).toBe('.#.###.#.');
  });

  it('renders 3-D masks slice by slice', () => {
    const specs: LayerSpec[] = [{ type: 'Conv3d', inChannels: 1, outChannels: 1, kernelSize: [2, 1, 2] }];
    const text = formatCoverage(inputCoverage(specs, [1, 1, 3, 2, 3], { outputIndex: [1, 0, 1] }));
    expect(text).toBe(['...', '...', '', '.##', '...', '', '.##', '...'].join('\n'));
  });

  it('refuses unknown paths, units outside the output and flattened modules', () => {
    const specs: LayerSpec[] = [
      { type: 'Conv2d', inChannels: 1, outChannels: 2, kernelSize: 3 },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 18, outFeatures: 2 },
    ];
    expect(() => inputCoverage(specs, [1, 1, 5, 5], { path: 'nope' })).toThrow(ArgumentError);
    expect(() => inputCoverage(specs, [1, 1, 5, 5], { path: 'nope' })).toThrow(
      "inputCoverage: no module at path 'nope'; the modules are '0', '1', '2'",
    );
    expect(() => inputCoverage(specs, [1, 1, 5, 5], { path: '0', outputIndex: [3, 0] })).toThrow(
      "inputCoverage: outputIndex must hold 2 integers within the output's spatial size [3, 3] of Conv2d '0', got [3, 0]",
    );
    expect(() => inputCoverage(specs, [1, 1, 5, 5], { path: '2' })).toThrow(
      "inputCoverage: Linear '2' gives [1,2], which does not lie on the input's spatial grid",
    );
    expect(() => inputCoverage(specs.slice(1), [1, 18])).toThrow(
      'inputCoverage: the input [1, 18] has no spatial dims',
    );
    // By default the last top-level module that keeps the spatial dims.
    expect(inputCoverage(specs, [1, 1, 5, 5]).path).toBe('0');
    expect(() => inputCoverage(specs.slice(1), [1, 2, 3, 3])).toThrow(
      'inputCoverage: no top-level module keeps the spatial dims',
    );
    // Flatten(startDim 2) merges H and W: later modules no longer lie on the grid.
    const merged: LayerSpec[] = [{ type: 'Flatten', startDim: 2 }, { type: 'Identity' }];
    expect(() => inputCoverage(merged, [1, 2, 3, 4], { path: '1' })).toThrow(
      "inputCoverage: Identity '1' gives [1,2,12], which does not lie on the input's spatial grid",
    );
  });
});
