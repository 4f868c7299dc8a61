import { readFileSync } from 'node:fs';
import { ArgumentError, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { inputCoverage } from './input-coverage';
import type { LayerSpec } from './layer-spec';
import { receptiveField, receptiveFieldInterval } from './receptive-field';

interface FieldEntry {
  path: string;
  unit: number[];
  runs: [number, number][];
}
interface FixtureCase {
  name: string;
  inputShape: number[];
  specs: LayerSpec[];
  affine: 'exact' | 'bound' | 'none';
  receptiveField?: FieldEntry[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../tooling/goldens/analysis.json', import.meta.url), 'utf8'),
) as {
  cases: FixtureCase[];
};

/** Per dim [first, last] covered input position of a run-length mask. */
function boundsOf(runs: [number, number][], spatial: number[]): [number, number][] {
  const bounds = spatial.map(() => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] as [number, number]);
  for (const [start, length] of runs) {
    for (let flat = start; flat < start + length; flat++) {
      let rest = flat;
      for (let d = spatial.length - 1; d >= 0; d--) {
        const x = rest % spatial[d]!;
        rest = Math.floor(rest / spatial[d]!);
        bounds[d]![0] = Math.min(bounds[d]![0], x);
        bounds[d]![1] = Math.max(bounds[d]![1], x);
      }
    }
  }
  return bounds;
}

describe('receptiveField against autograd (tooling/goldens/analysis.json)', () => {
  for (const c of fixture.cases.filter((c) => c.affine !== 'none' && c.receptiveField)) {
    it(`${c.name}: every traced unit's inputs lie in its field${c.affine === 'exact' ? ', which they fill end to end' : ''}`, () => {
      const spatial = c.inputShape.slice(2);
      const rows = new Map(receptiveField(c.specs, c.inputShape).layers.map((r) => [r.path, r]));
      let exactChecks = 0;
      for (const entry of c.receptiveField!) {
        const row = rows.get(entry.path)!;
        const where = `${entry.path} unit [${entry.unit}]`;
        const bounds = boundsOf(entry.runs, spatial);
        const intervals = row.dims.map((field, d) => receptiveFieldInterval(field, entry.unit[d]!));
        intervals.forEach(([first, last], d) => {
          expect(bounds[d]![0], where).toBeGreaterThanOrEqual(first - 1e-9);
          expect(bounds[d]![1], where).toBeLessThanOrEqual(last + 1e-9);
        });
        // A field that does not hang over the border is what autograd sees, end to end.
        if (
          c.affine === 'exact' &&
          intervals.every(([first, last], d) => first >= 0 && last <= spatial[d]! - 1)
        ) {
          expect(bounds, where).toEqual(intervals);
          exactChecks++;
        }
      }
      if (c.affine === 'exact') expect(exactChecks).toBeGreaterThan(5);
    });
  }

  it('gives the ResNet stem the textbook numbers', () => {
    const c = fixture.cases.find((c) => c.name === 'resnet_basic')!;
    const rows = new Map(receptiveField(c.specs, c.inputShape).layers.map((r) => [r.path, r.dims[0]]));
    expect(rows.get('conv1')).toEqual({ size: 7, jump: 2, start: 0 });
    expect(rows.get('maxpool')).toEqual({ size: 11, jump: 4, start: 0 });
    // A residual with an identity shortcut covers its body's field.
    expect(rows.get('layer1.0')).toEqual({ size: 27, jump: 4, start: 0 });
    // The body's two 3x3 convs widen it to 51; the 1x1/2 shortcut keeps 27 inside that.
    expect(rows.get('layer2.0.conv2')).toEqual({ size: 51, jump: 8, start: 0 });
    expect(rows.get('layer2.0.downsample')).toEqual({ size: 27, jump: 8, start: 0 });
    expect(rows.get('layer2.0')).toEqual({ size: 51, jump: 8, start: 0 });
    // Global pooling over the 4x4 map, then Linear: every unit covers all 4 units' fields, jump 0.
    expect(rows.get('avgpool')).toEqual({ size: 51 + 3 * 8, jump: 32, start: 12 });
    expect(rows.get('fc')).toEqual({ size: 51 + 3 * 8, jump: 0, start: 12 });
  });
});

const conv = (inChannels: number, outChannels: number, extra: Partial<LayerSpec> = {}): LayerSpec =>
  ({ type: 'Conv2d', inChannels, outChannels, kernelSize: 3, padding: 1, ...extra }) as LayerSpec;
const pool: LayerSpec = { type: 'MaxPool2d', kernelSize: 2 };

const VGG16: LayerSpec[] = [
  conv(3, 64),
  conv(64, 64),
  pool,
  conv(64, 128),
  conv(128, 128),
  pool,
  conv(128, 256),
  conv(256, 256),
  conv(256, 256),
  pool,
  conv(256, 512),
  conv(512, 512),
  conv(512, 512),
  pool,
  conv(512, 512),
  conv(512, 512),
  conv(512, 512),
  pool,
];

describe('receptiveField', () => {
  it('reproduces the VGG-16 fields (conv5_3: 196, pool5: 212)', () => {
    const field = receptiveField(VGG16, [1, 3, 224, 224]);
    const sizes = field.layers.map((r) => r.dims[0]!.size);
    expect(sizes).toEqual([3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]);
    expect(field.layers.at(-1)!.dims).toEqual([
      { size: 212, jump: 32, start: 15.5 },
      { size: 212, jump: 32, start: 15.5 },
    ]);
    expect(field.inputSpatial).toEqual([224, 224]);
  });

  it('needs no input shape for conv and pooling stacks', () => {
    const nominal = receptiveField(VGG16);
    expect(nominal.inputSpatial).toBeNull();
    expect(nominal.layers).toEqual(receptiveField(VGG16, [1, 3, 224, 224]).layers);
  });

  it('follows the guide to receptive field arithmetic (two 3x3/2 convs with padding 1)', () => {
    const specs: LayerSpec[] = [conv(1, 1, { stride: 2 }), conv(1, 1, { stride: 2 })];
    const [first, second] = receptiveField(specs, [1, 1, 5, 5]).layers;
    // start counts from the first input position (0); the guide counts pixel centres from 0.5.
    expect(first!.dims[0]).toEqual({ size: 3, jump: 2, start: 0 });
    expect(second!.dims[0]).toEqual({ size: 7, jump: 4, start: 0 });
    expect(receptiveFieldInterval(second!.dims[0]!, 1)).toEqual([1, 7]);
  });

  it('widens by dilation, and centres even kernels between positions', () => {
    const specs: LayerSpec[] = [
      { type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 2 },
      { type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 4, padding: 'same' },
    ];
    const [dilated, even] = receptiveField(specs, [1, 1, 20]).layers;
    expect(dilated!.dims).toEqual([{ size: 5, jump: 1, start: 2 }]);
    // 'same' pads 1 before and 2 after a 4-wide kernel.
    expect(even!.dims).toEqual([{ size: 8, jump: 1, start: 2.5 }]);
  });

  it('treats transposed layers and integer upsampling as fractional strides', () => {
    const specs: LayerSpec[] = [
      { type: 'ConvTranspose1d', inChannels: 1, outChannels: 1, kernelSize: 4, stride: 2, padding: 1 },
      { type: 'Upsample', scaleFactor: 2 },
      { type: 'Upsample', scaleFactor: 3, mode: 'linear' },
    ];
    const [transposed, nearest, linear] = receptiveField(specs, [1, 1, 6]).layers;
    expect(transposed!.dims).toEqual([{ size: 2.5, jump: 0.5, start: -0.25 }]);
    // Nearest x2: a transposed conv with kernel 2, stride 2.
    expect(nearest!.dims).toEqual([{ size: 2.75, jump: 0.25, start: -0.375 }]);
    // Linear x3: a transposed conv with kernel 5, stride 3, padding 1.
    const l = linear!.dims[0]!;
    expect(l.jump).toBeCloseTo(1 / 12, 12);
    expect(l.size).toBeCloseTo(2.75 + 4 / 12, 12);
    expect(l.start).toBeCloseTo(-0.375 + (1 - 2) / 12, 12);
  });

  it('gives a transposed layer fractional numbers that bound, not count, the positions a unit reads', () => {
    const specs: LayerSpec[] = [
      { type: 'ConvTranspose2d', inChannels: 1, outChannels: 1, kernelSize: 4, stride: 2, padding: 1 },
    ];
    const field = receptiveField(specs, [1, 1, 8, 8]).layers[0]!.dims;
    expect(field).toEqual([
      { size: 2.5, jump: 0.5, start: -0.25 },
      { size: 2.5, jump: 0.5, start: -0.25 },
    ]);
    // Unit 5 lies within [1.5, 3] and reads positions 2 and 3: 2 per dim, not 2.5.
    expect(receptiveFieldInterval(field[0]!, 5)).toEqual([1.5, 3]);
    const interior = inputCoverage(specs, [1, 1, 8, 8], { outputIndex: [5, 6] });
    expect(interior.count).toBe(4);
    expect(interior.bounds).toEqual([
      [2, 3],
      [2, 3],
    ]);
    // Unit 0's interval [-1, 0.5] hangs over the border: it reads position 0 alone.
    expect(receptiveFieldInterval(field[0]!, 0)).toEqual([-1, 0.5]);
    expect(inputCoverage(specs, [1, 1, 8, 8], { outputIndex: [0, 0] }).count).toBe(1);
  });

  it('makes layers that read a whole dim global (jump 0)', () => {
    const specs: LayerSpec[] = [
      { type: 'Conv2d', inChannels: 1, outChannels: 2, kernelSize: 3 },
      { type: 'Linear', inFeatures: 3, outFeatures: 4 },
      { type: 'Softmax', dim: 2 },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 24, outFeatures: 2 },
    ];
    const [c, linear, softmax, flatten, head] = receptiveField(specs, [1, 1, 5, 5]).layers;
    expect(c!.dims).toEqual([
      { size: 3, jump: 1, start: 1 },
      { size: 3, jump: 1, start: 1 },
    ]);
    // Linear on [N, C, H, W] mixes W; Softmax over dim 2 mixes H.
    expect(linear!.dims).toEqual([
      { size: 3, jump: 1, start: 1 },
      { size: 5, jump: 0, start: 2 },
    ]);
    expect(softmax!.dims).toEqual([
      { size: 5, jump: 0, start: 2 },
      { size: 5, jump: 0, start: 2 },
    ]);
    expect(flatten!.dims).toEqual(softmax!.dims);
    expect(head!.dims).toEqual(softmax!.dims);
  });

  it('covers the union of a residual body and shortcut', () => {
    const specs: LayerSpec[] = [
      {
        type: 'Residual',
        body: [{ type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 3, padding: 1 }],
        shortcut: [{ type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 5, padding: [[4, 0]] }],
      },
    ];
    // Body [-1, 1] around each unit, shortcut [-4, 0]: the union [-4, 1].
    expect(receptiveField(specs, [1, 1, 8]).layers[0]!.dims).toEqual([{ size: 6, jump: 1, start: -1.5 }]);
  });

  it('says why a field cannot be described, naming the layer', () => {
    const uneven: LayerSpec[] = [{ type: 'AdaptiveAvgPool1d', name: 'pool', outputSize: 3 }];
    expect(() => receptiveField(uneven, [1, 1, 7])).toThrow(UnsupportedError);
    expect(() => receptiveField(uneven, [1, 1, 7])).toThrow(
      "AdaptiveAvgPool1d 'pool': adaptive pooling from 7 to 3 positions (spatial dim 0) has windows of unequal size",
    );
    expect(receptiveField(uneven, [1, 1, 9]).layers[0]!.dims).toEqual([{ size: 3, jump: 3, start: 1 }]);
    const bicubic: LayerSpec[] = [{ type: 'Upsample', scaleFactor: 2, mode: 'bicubic' }];
    expect(() => receptiveField(bicubic, [1, 1, 4, 4])).toThrow(
      "Upsample '0': bicubic upsampling from 4 to 8 positions",
    );
    const afterFlatten: LayerSpec[] = [
      { type: 'Flatten', startDim: 2 },
      { type: 'Conv1d', inChannels: 2, outChannels: 2, kernelSize: 1 },
    ];
    expect(() => receptiveField(afterFlatten, [1, 2, 3, 3])).toThrow(
      "receptiveField: Conv1d '1' comes after a Flatten",
    );
    const jumps: LayerSpec[] = [
      {
        type: 'Residual',
        name: 'r',
        body: [{ type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 3 }],
        shortcut: [{ type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 1, stride: 2 }],
      },
    ];
    expect(() => receptiveField(jumps, [1, 1, 4])).toThrow(
      "receptiveField: Residual 'r' adds branches whose units step by 1 and 2",
    );
  });

  it('asks for the input shape when a layer depends on it', () => {
    const specs: LayerSpec[] = [
      { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3 },
      { type: 'AdaptiveAvgPool2d', outputSize: 1 },
    ];
    expect(() => receptiveField(specs)).toThrow(ArgumentError);
    expect(() => receptiveField(specs)).toThrow(
      "receptiveField: AdaptiveAvgPool2d '1' depends on the input size; pass inputShape",
    );
    expect(() => receptiveField([{ type: 'ReLU' }])).toThrow(
      'receptiveField: cannot tell the number of spatial dims from the specs',
    );
    expect(() => receptiveField([{ type: 'ReLU' }], [4, 10])).toThrow(
      'receptiveField: the input [4, 10] has no spatial dims',
    );
  });
});
