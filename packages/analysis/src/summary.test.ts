import { ArgumentError, ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import type { LayerSpec } from './layer-spec';
import { formatCount, summary } from './summary';

const NET: LayerSpec[] = [
  { type: 'Conv2d', name: 'conv', inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, bias: false },
  { type: 'BatchNorm2d', name: 'bn', numFeatures: 4 },
  {
    type: 'Residual',
    name: 'res',
    body: [{ type: 'Conv2d', inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1 }],
  },
  { type: 'AdaptiveAvgPool2d', outputSize: 1 },
  { type: 'Flatten' },
  { type: 'Linear', name: 'fc', inFeatures: 4, outFeatures: 2 },
];

describe('summary', () => {
  it('prints a torchinfo-style table with totals and memory', () => {
    expect(summary(NET, [2, 1, 8, 8])).toBe(
      [
        '==================================================================',
        'Layer (type)             Input shape   Output shape  Params   MACs',
        '==================================================================',
        'conv (Conv2d)            [2, 1, 8, 8]  [2, 4, 8, 8]      36  2,304',
        'bn (BatchNorm2d)         [2, 4, 8, 8]  [2, 4, 8, 8]       8    256',
        'res (Residual)           [2, 4, 8, 8]  [2, 4, 8, 8]     148  9,216',
        '  res.body (Sequential)  [2, 4, 8, 8]  [2, 4, 8, 8]     148  9,216',
        '    res.body.0 (Conv2d)  [2, 4, 8, 8]  [2, 4, 8, 8]     148  9,216',
        '3 (AdaptiveAvgPool2d)    [2, 4, 8, 8]  [2, 4, 1, 1]       0    256',
        '4 (Flatten)              [2, 4, 1, 1]  [2, 4]             0      0',
        'fc (Linear)              [2, 4]        [2, 2]            10      8',
        '==================================================================',
        'Total params: 202',
        'Trainable params: 202',
        'Non-trainable params: 0',
        'Buffers (BatchNorm running statistics): 9',
        'MACs per sample: 12,040 (12.04 K)',
        'FLOPs per sample (2 x MACs): 24,080 (24.08 K)',
        '==================================================================',
        'Input size (MB): 0.00',
        'Forward pass size (MB): 0.01',
        'Params size (MB): 0.00',
        'Buffers size (MB): 0.00',
        'Estimated total size (MB): 0.01',
        '==================================================================',
        'MACs and FLOPs per sample; memory in float32 for the whole batch; MB = 10^6 bytes.',
      ].join('\n'),
    );
  });

  it('adds the receptive field column, and limits the depth shown', () => {
    const lines = summary(NET, [2, 1, 8, 8], { receptiveField: true, depth: 0 }).split('\n');
    expect(lines[1]).toContain('RF size / jump');
    expect(lines.find((l) => l.startsWith('res (Residual)'))).toMatch(/5x5 \/ 1x1$/);
    expect(lines.find((l) => l.startsWith('3 (AdaptiveAvgPool2d)'))).toMatch(/12x12 \/ 8x8$/);
    expect(lines.find((l) => l.startsWith('fc (Linear)'))).toMatch(/12x12 \/ 0x0$/);
    expect(lines.some((l) => l.includes('res.body'))).toBe(false);
    // Totals still count every layer.
    expect(lines).toContain('Total params: 202');
  });

  it('says why a receptive field cannot be shown instead of failing', () => {
    const text = summary([{ type: 'AdaptiveAvgPool1d', outputSize: 3 }], [1, 1, 7], { receptiveField: true });
    expect(text).toContain(
      "Receptive field not shown: AdaptiveAvgPool1d '0': adaptive pooling from 7 to 3 positions",
    );
    expect(text.split('\n')[1]).not.toContain('RF');
  });

  it("notes that 'same' at stride > 1 is TensorFlow's SAME_UPPER, which PyTorch refuses", () => {
    const specs: LayerSpec[] = [
      {
        type: 'Conv2d',
        name: 'stem',
        inChannels: 3,
        outChannels: 8,
        kernelSize: 3,
        stride: 2,
        padding: 'same',
      },
      // Stride 1: PyTorch's own 'same', no note.
      { type: 'Conv2d', name: 'flat', inChannels: 8, outChannels: 8, kernelSize: 3, padding: 'same' },
      {
        type: 'SeparableConv2d',
        name: 'sep',
        inChannels: 8,
        outChannels: 8,
        kernelSize: 3,
        stride: [1, 2],
        padding: 'same',
      },
    ];
    const note =
      "padding 'same' at stride > 1 ('stem', 'sep.depthwise') follows TensorFlow/ONNX SAME_UPPER: out = ceil(in / stride), the odd padding element after; PyTorch refuses padding='same' with stride > 1";
    const text = summary(specs, [1, 3, 9, 9]).split('\n');
    expect(text.find((l) => l.startsWith('stem (Conv2d)'))).toContain('[1, 8, 5, 5]');
    expect(text.find((l) => l.startsWith('sep (SeparableConv2d)'))).toContain('[1, 8, 5, 3]');
    expect(text).toContain(`Note: ${note}.`);
    expect(summary(specs, [1, 3, 9, 9], { format: 'markdown' }).split('\n')).toContain(`Note: ${note}.`);
    expect(JSON.parse(summary(specs, [1, 3, 9, 9], { format: 'json' })).paddingNote).toBe(note);
    const plain = summary([specs[1]!], [1, 8, 9, 9]);
    expect(plain).not.toContain('Note:');
    expect(JSON.parse(summary([specs[1]!], [1, 8, 9, 9], { format: 'json' }))).not.toHaveProperty(
      'paddingNote',
    );
  });

  it('writes Markdown tables', () => {
    const md = summary(NET, [2, 1, 8, 8], { format: 'markdown', receptiveField: true }).split('\n');
    expect(md[0]).toBe('| Layer | Type | Input shape | Output shape | Params | MACs | RF size / jump |');
    expect(md[1]).toBe('| --- | --- | --- | --- | ---: | ---: | --- |');
    expect(md[2]).toBe('| `conv` | Conv2d | [2, 1, 8, 8] | [2, 4, 8, 8] | 36 | 2,304 | 3x3 / 1x1 |');
    expect(md).toContain('| Total params | 202 |');
    expect(md).toContain('| MACs per sample | 12,040 (12.04 K) |');
  });

  it('writes JSON with every row and the totals', () => {
    const report = JSON.parse(summary(NET, [2, 1, 8, 8], { format: 'json', receptiveField: true }));
    expect(report.inputShape).toEqual([2, 1, 8, 8]);
    expect(report.outputShape).toEqual([2, 2]);
    expect(report.layers.map((l: { path: string }) => l.path)).toEqual([
      'conv',
      'bn',
      'res',
      'res.body',
      'res.body.0',
      '3',
      '4',
      'fc',
    ]);
    expect(report.layers[0]).toEqual({
      path: 'conv',
      type: 'Conv2d',
      depth: 0,
      leaf: true,
      inputShape: [2, 1, 8, 8],
      outputShape: [2, 4, 8, 8],
      params: 36,
      buffers: 0,
      macs: 2304,
      flops: 4608,
      activationBytes: 2 * 4 * 64 * 4,
      paramBytes: 144,
      bufferBytes: 0,
      receptiveField: [
        { size: 3, jump: 1, start: 0 },
        { size: 3, jump: 1, start: 0 },
      ],
    });
    expect(report.totals).toEqual({
      params: 202,
      trainableParams: 202,
      buffers: 9,
      macs: 12040,
      flops: 24080,
      inputBytes: 512,
      // Every leaf's output: three [2, 4, 8, 8], then [2, 4, 1, 1], [2, 4] and [2, 2].
      activationBytes: 4 * (3 * 512 + 8 + 8 + 4),
      paramBytes: 808,
      bufferBytes: 40,
    });
  });

  it('refuses bad options and bad models with typed errors', () => {
    expect(() => summary(NET, [2, 1, 8, 8], { format: 'html' as 'text' })).toThrow(ArgumentError);
    expect(() => summary(NET, [2, 1, 8, 8], { format: 'html' as 'text' })).toThrow(
      "summary: format must be one of 'text', 'markdown', 'json', got 'html'",
    );
    expect(() => summary(NET, [2, 1, 8, 8], { depth: -1 })).toThrow(
      'summary: depth must be a non-negative integer, got -1',
    );
    expect(() => summary(NET, [2, 3, 8, 8])).toThrow(ShapeError);
  });

  it('groups digits by thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1234567890)).toBe('1,234,567,890');
  });
});
