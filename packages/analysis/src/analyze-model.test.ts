import { readFileSync } from 'node:fs';
import { ArgumentError, ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from './analyze-model';
import type { LayerSpec } from './layer-spec';

interface FixtureModule {
  path: string;
  class: string;
  inputShape: number[];
  outputShape: number[];
  params: number;
  buffers: number;
  macs?: number;
}
interface FixtureCase {
  name: string;
  inputShape: number[];
  specs: LayerSpec[];
  outputShape: number[];
  totalParams: number;
  totalBuffers: number;
  modules: FixtureModule[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../tooling/goldens/analysis.json', import.meta.url), 'utf8'),
) as {
  cases: FixtureCase[];
};

// PyTorch class names of the modules convkit's specs stand for.
const CLASS_OF: Record<string, string> = { Residual: 'Residual', DeformConv2d: 'DeformBlock' };

describe('analyzeModel against PyTorch (tooling/goldens/analysis.json)', () => {
  it('has the models the issue asks for', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual([
      'mobilenet_v1',
      'mobilenet_v2_block',
      'resnet_basic',
      'grouped',
      'decoder',
      'upsample_sizes',
      'dilated_1_2_5',
      'dilated_2_4_8',
      'dilated_2_2_2',
      'conv1d_stack',
      'circular_1d',
      'conv3d_block',
      'deform',
      'misc',
    ]);
  });

  for (const c of fixture.cases) {
    describe(c.name, () => {
      const model = analyzeModel(c.specs, c.inputShape);
      const rows = new Map(model.layers.map((row) => [row.path, row]));
      // torchvision's DeformConv2d and its offset/mask convs are parts of one DeformConv2d spec.
      const deformPaths = model.layers.filter((r) => r.type === 'DeformConv2d').map((r) => r.path);
      const partOf = (path: string) => deformPaths.find((p) => path.startsWith(`${p}.`));
      const torchRows = c.modules.filter((m) => !partOf(m.path));

      it('lists the modules of the PyTorch model, in named_modules() order', () => {
        expect(model.layers.map((r) => r.path)).toEqual(torchRows.map((m) => m.path));
        for (const m of torchRows) {
          const type = rows.get(m.path)!.type;
          expect(CLASS_OF[type] ?? (type.startsWith('SeparableConv') ? 'Separable' : type), m.path).toBe(
            m.class,
          );
        }
      });

      it('gives every module the input and output shapes PyTorch ran', () => {
        for (const m of torchRows) {
          const row = rows.get(m.path)!;
          expect(row.inputShape, m.path).toEqual(m.inputShape);
          expect(row.outputShape, m.path).toEqual(m.outputShape);
        }
        expect(model.outputShape).toEqual(c.outputShape);
      });

      it('counts parameters and buffers as p.numel() does', () => {
        for (const m of torchRows) {
          expect(rows.get(m.path)!.params, m.path).toBe(m.params);
          expect(rows.get(m.path)!.buffers, m.path).toBe(m.buffers);
        }
        expect(model.totalParams).toBe(c.totalParams);
        expect(model.totalBuffers).toBe(c.totalBuffers);
      });

      const withMacs = torchRows.filter((m) => m.macs !== undefined);
      if (withMacs.length > 0) {
        it('counts convolution, transposed and Linear MACs as weight.numel() x positions', () => {
          for (const m of withMacs) expect(rows.get(m.path)!.macs, m.path).toBe(m.macs);
        });
      }

      if (deformPaths.length > 0) {
        it('splits DeformConv2d into the torchvision layer and its offset and mask convs', () => {
          for (const m of c.modules.filter((m) => partOf(m.path))) {
            const row = rows.get(partOf(m.path)!)!;
            const part = row.parts!.find((p) => p.name === m.path.slice(row.path.length + 1))!;
            expect(part, m.path).toBeDefined();
            expect(part.params, m.path).toBe(m.params);
            if (m.macs !== undefined) expect(part.macs, m.path).toBe(m.macs);
          }
        });
      }

      it('sums the leaves in its totals, and FLOPs are 2 x MACs', () => {
        const leaves = model.layers.filter((r) => r.leaf);
        expect(model.totalMacs).toBe(leaves.reduce((s, r) => s + r.macs, 0));
        expect(model.totalFlops).toBe(2 * model.totalMacs);
        expect(model.activationBytes).toBe(
          leaves.reduce((s, r) => s + 4 * r.outputShape.reduce((a, b) => a * b, 1), 0),
        );
        expect(model.inputBytes).toBe(4 * c.inputShape.reduce((a, b) => a * b, 1));
        expect(model.paramBytes).toBe(4 * c.totalParams);
      });
    });
  }
});

describe('analyzeModel rows and errors', () => {
  const block: LayerSpec[] = [
    { type: 'Conv2d', name: 'stem', inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 },
    {
      type: 'Sequential',
      name: 'features',
      layers: [
        { type: 'BatchNorm2d', numFeatures: 8 },
        { type: 'ReLU' },
        {
          type: 'Residual',
          body: [{ type: 'Conv2d', inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1 }],
        },
      ],
    },
  ];

  it('spreads each spec into its row with path, depth and leaf', () => {
    const model = analyzeModel(block, [2, 3, 8, 8]);
    expect(model.layers.map((r) => [r.path, r.depth, r.leaf])).toEqual([
      ['stem', 0, true],
      ['features', 0, false],
      ['features.0', 1, true],
      ['features.1', 1, true],
      ['features.2', 1, false],
      ['features.2.body', 2, false],
      ['features.2.body.0', 3, true],
    ]);
    const stem = model.layers[0]!;
    expect(stem.type).toBe('Conv2d');
    expect((stem as { kernelSize?: unknown }).kernelSize).toBe(3);
    expect(stem.params).toBe(3 * 8 * 9 + 8);
    expect(stem.macs).toBe(8 * 64 * 3 * 9);
    expect(stem.activationBytes).toBe(2 * 8 * 64 * 4);
    expect(model.totalParams).toBe(224 + 16 + 584);
    expect(model.totalBuffers).toBe(17);
    expect(model.bufferBytes).toBe(16 * 4 + 8);
  });

  it('refuses a residual whose branches disagree, naming the block', () => {
    const bad: LayerSpec[] = [
      {
        type: 'Residual',
        name: 'block',
        body: [{ type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 1 }],
      },
    ];
    expect(() => analyzeModel(bad, [1, 3, 5, 5])).toThrow(ShapeError);
    expect(() => analyzeModel(bad, [1, 3, 5, 5])).toThrow(
      "Residual 'block': the body gives [1, 4, 5, 5] but the identity shortcut keeps the input [1, 3, 5, 5]; they must match to be added",
    );
    const withShortcut: LayerSpec[] = [
      {
        type: 'Residual',
        name: 'b',
        body: [{ type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2 }],
        shortcut: [{ type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 1, stride: 2 }],
      },
    ];
    expect(() => analyzeModel(withShortcut, [1, 3, 6, 6])).toThrow(
      "Residual 'b': the body gives [1, 4, 2, 2] but the shortcut gives [1, 4, 3, 3]; they must match to be added",
    );
  });

  it('names the layer and the field of a bad spec nested in containers', () => {
    const bad = [
      {
        type: 'Sequential',
        name: 'features',
        layers: [{ type: 'ReLU' }, { type: 'Conv2d', inChannels: 3, outChannels: 8, kernel_size: 3 }],
      },
    ] as unknown as LayerSpec[];
    expect(() => analyzeModel(bad, [1, 3, 8, 8])).toThrow(ArgumentError);
    expect(() => analyzeModel(bad, [1, 3, 8, 8])).toThrow(
      "Conv2d 'features.1': unknown field 'kernel_size'; did you mean 'kernelSize'?",
    );
    const channels: LayerSpec[] = [{ type: 'Conv2d', inChannels: 4, outChannels: 8, kernelSize: 3 }];
    expect(() => analyzeModel(channels, [1, 3, 8, 8])).toThrow(
      "Conv2d '0': input has 3 channels but inChannels is 4",
    );
    const groups: LayerSpec[] = [{ type: 'Conv2d', inChannels: 4, outChannels: 6, kernelSize: 3, groups: 4 }];
    expect(() => analyzeModel(groups, [1, 4, 8, 8])).toThrow(
      "Conv2d '0': groups=4 must divide the 6 output channels",
    );
  });

  it('refuses duplicate names, bad input shapes and non-lists', () => {
    const dup: LayerSpec[] = [
      { type: 'ReLU', name: 'a' },
      { type: 'ReLU', name: 'a' },
    ];
    expect(() => analyzeModel(dup, [1, 2])).toThrow("analyzeModel: two modules are named 'a'");
    expect(() => analyzeModel([{ type: 'ReLU' }], [1, 0, 3])).toThrow(ShapeError);
    expect(() => analyzeModel([{ type: 'ReLU' }], [])).toThrow(
      'analyzeModel: inputShape must be a non-empty list of positive integers',
    );
    expect(() => analyzeModel({ type: 'ReLU' } as unknown as LayerSpec[], [1, 2])).toThrow(
      'analyzeModel: specs must be a list of layer specs or a model with toLayerSpecs() (an @convkit/layers Module), got an object without toLayerSpecs()',
    );
    const clash: LayerSpec[] = [
      {
        type: 'Residual',
        name: 'r',
        bodyName: '',
        body: [{ type: 'ReLU', name: 'shortcut' }],
        shortcut: [{ type: 'Identity' }],
      },
    ];
    expect(() => analyzeModel(clash, [1, 2, 3])).toThrow(
      "Residual 'r': the body module 'shortcut' has the shortcut's name",
    );
  });
});
