import { describe, expect, it } from 'vitest';
import { BENCH_CONFIGS, type BenchConfig, pytorchModule } from './bench-configs';
import { createProblem } from './problem';

const config = (id: string): BenchConfig => BENCH_CONFIGS.find((c) => c.id === id)!;

describe('the bench suite', () => {
  // Notation, output shape and MACs of every config, worked out by hand from the list.
  const expected: [string, string, number[], number][] = [
    ['c3x3', 'N1 C64 56x56 -> 64 k3 p1', [1, 64, 56, 56], 64 * 56 * 56 * 64 * 9],
    ['stem7x7', 'N1 C3 224x224 -> 64 k7 s2 p3', [1, 64, 112, 112], 64 * 112 * 112 * 3 * 49],
    ['pw1x1', 'N1 C128 28x28 -> 256 k1', [1, 256, 28, 28], 256 * 28 * 28 * 128],
    ['dw3x3', 'N1 C256 28x28 -> 256 k3 p1 g256', [1, 256, 28, 28], 256 * 28 * 28 * 9],
    ['grp3x3', 'N1 C128 28x28 -> 128 k3 p1 g8', [1, 128, 28, 28], 128 * 28 * 28 * 16 * 9],
    ['dil3x3', 'N1 C64 56x56 -> 64 k3 p2 d2', [1, 64, 56, 56], 64 * 56 * 56 * 64 * 9],
    ['tconv4x4', 'N1 C64 28x28 -> 32 k4 s2 p1 (transposed)', [1, 32, 56, 56], 64 * 28 * 28 * 32 * 16],
    ['conv1d', 'N8 C256 L1024 -> 256 k3 p1', [8, 256, 1024], 8 * 256 * 1024 * 256 * 3],
    ['conv3d', 'N1 C16 16x56x56 -> 32 k3 p1', [1, 32, 16, 56, 56], 32 * 16 * 56 * 56 * 16 * 27],
    ['deform3x3', 'N1 C64 56x56 -> 64 k3 p1 (deformable)', [1, 64, 56, 56], 64 * 56 * 56 * 64 * 9],
    ['c3x3-bwd', 'N1 C64 56x56 -> 64 k3 p1 (backward)', [1, 64, 56, 56], 2 * 64 * 56 * 56 * 64 * 9],
  ];

  it('holds the configs the issue asks for, in order', () => {
    expect(BENCH_CONFIGS.map((c) => c.id)).toEqual(expected.map((e) => e[0]));
  });

  it.each(expected)('%s: %s, output %j, %i MACs', (id, notation, outputShape, macs) => {
    const problem = createProblem(config(id));
    expect(problem.notation).toBe(notation);
    expect(problem.geometry.outputShape).toEqual(outputShape);
    expect(problem.macs).toBe(macs);
    expect(problem.flops).toBe(2 * macs);
  });

  it('gives the deformable config offsets and a mask, and the backward config a gradOutput', () => {
    const deform = createProblem(config('deform3x3'));
    expect(deform.offset!.shape).toEqual([1, 18, 56, 56]);
    expect(deform.mask!.shape).toEqual([1, 9, 56, 56]);
    expect(deform.gradOutput).toBeNull();
    const backward = createProblem(config('c3x3-bwd'));
    expect(backward.gradOutput!.shape).toEqual([1, 64, 56, 56]);
    expect(backward.outputShapes).toEqual([
      [1, 64, 56, 56],
      [64, 64, 3, 3],
    ]);
    expect(createProblem(config('c3x3')).offset).toBeNull();
  });

  it('writes the PyTorch module of each config', () => {
    const c = (id: string) => createProblem(config(id)).pytorch;
    expect(c('stem7x7')).toBe('Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)');
    expect(c('dw3x3')).toBe('Conv2d(256, 256, kernel_size=3, padding=1, groups=256, bias=False)');
    expect(c('tconv4x4')).toBe('ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1, bias=False)');
    expect(c('conv3d')).toBe('Conv3d(16, 32, kernel_size=3, padding=1, bias=False)');
    expect(c('deform3x3')).toBe('torchvision.ops.DeformConv2d(64, 64, kernel_size=3, padding=1, bias=False)');
    expect(c('c3x3-bwd')).toBe(
      'Conv2d(64, 64, kernel_size=3, padding=1, bias=False), backward (grad_input, grad_weight)',
    );
    expect(
      pytorchModule('convTranspose', {
        batch: 1,
        inChannels: 2,
        outChannels: 2,
        inputSpatial: [4],
        kernelSize: 3,
        stride: 2,
        outputPadding: 1,
      }),
    ).toBe('ConvTranspose1d(2, 2, kernel_size=3, stride=2, output_padding=1, bias=False)');
  });

  it('has smoke sizes of the same kind that are tiny', () => {
    for (const c of BENCH_CONFIGS) {
      const full = createProblem(c);
      const smoke = createProblem(c, { smoke: true });
      expect(smoke.key).toBe(`${c.id}: ${smoke.notation}, seed 0`);
      expect(smoke.key).not.toBe(full.key);
      expect(smoke.op).toBe(full.op);
      expect(smoke.geometry.dims).toBe(full.geometry.dims);
      expect(smoke.geometry.kernelSize).toEqual(full.geometry.kernelSize);
      expect(smoke.geometry.stride).toEqual(full.geometry.stride);
      expect(smoke.geometry.dilation).toEqual(full.geometry.dilation);
      expect(smoke.geometry.groups > 1).toBe(full.geometry.groups > 1);
      expect(smoke.flops).toBeLessThan(100_000);
    }
  });

  it('draws the same numbers for the same seed and config, different ones otherwise', () => {
    const a = createProblem(config('c3x3'), { smoke: true, seed: 3 });
    const b = createProblem(config('c3x3'), { smoke: true, seed: 3 });
    const c = createProblem(config('c3x3'), { smoke: true, seed: 4 });
    expect([...a.input.data]).toEqual([...b.input.data]);
    expect([...a.weight.data]).toEqual([...b.weight.data]);
    expect([...a.input.data]).not.toEqual([...c.input.data]);
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
    // Weights are bounded by PyTorch's default 1/sqrt(fan_in) (fan_in = 4 * 3 * 3 here).
    expect(Math.max(...a.weight.data.map(Math.abs))).toBeLessThanOrEqual(1 / 6);
  });
});
