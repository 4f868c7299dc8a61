import { convGeometry } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { printProgram } from './program';
import { convForwardProgram } from './programs/correlate-program';
import { deformForwardProgram } from './programs/deform-forward-program';
import { depthwiseConvProgram } from './programs/depthwise-program';
import { implicitGemmConvProgram } from './programs/implicit-gemm-program';
import {
  weightGradientGemmProgram,
  weightGradientGemmShape,
  weightGradientGemmSplits,
} from './programs/weight-gradient-gemm-program';
import { weightGradientProgram, weightGradientSplits } from './programs/weight-gradient-program';

const small = convGeometry({
  inChannels: 3,
  outChannels: 8,
  inputSpatial: [9, 9],
  kernelSize: 3,
  padding: 1,
});
const large = convGeometry({
  batch: 4,
  inChannels: 64,
  outChannels: 32,
  inputSpatial: [56, 56],
  kernelSize: 3,
  stride: 2,
});

describe('programs as data', () => {
  it('keep sizes in uniforms: two problems of one kind share a cache key and a source', () => {
    const a = convForwardProgram(small, true);
    const b = convForwardProgram(large, true);
    expect(a.cacheKey).toBe(b.cacheKey);
    expect(a.source).toBe(b.source);
    expect(a.uniforms).not.toEqual(b.uniforms);
    expect(Object.fromEntries(b.uniforms)).toMatchObject({
      total: 4 * 32 * 27 * 27,
      outChannels: 32,
      sH: 2,
      kW: 3,
    });
  });

  it('name in the cache key every compile-time choice the source depends on', () => {
    const reflect = convGeometry({
      inChannels: 3,
      outChannels: 8,
      inputSpatial: [9, 9],
      kernelSize: 3,
      padding: 1,
      paddingMode: 'reflect',
    });
    const keys = new Set([
      convForwardProgram(small, true).cacheKey,
      convForwardProgram(small, false).cacheKey,
      convForwardProgram(reflect, true).cacheKey,
      implicitGemmConvProgram(small, true).cacheKey,
      depthwiseConvProgram(small, true).cacheKey,
    ]);
    expect(keys.size).toBe(5);
    expect(convForwardProgram(small, false).source).not.toContain('bias');
    expect(convForwardProgram(reflect, false).source).toContain('2 * (size - 1) - position');
  });

  it('declare one binding per buffer, the uniforms after them', () => {
    const p = deformForwardProgram(
      convGeometry({ inChannels: 2, outChannels: 2, inputSpatial: [5, 5], kernelSize: 3, offsetGroups: 1 }),
      true,
      false,
    );
    expect(p.bindings.map((b) => b.name)).toEqual(['x', 'w', 'offset', 'mask', 'y']);
    expect(p.source).toContain('@group(0) @binding(5) var<uniform> P: Params;');
    expect(p.workgroups).toBe(Math.ceil(p.uniforms[0]![1] / p.workgroupSize));
  });

  it('size the implicit-GEMM tiles and their workgroup memory', () => {
    const p = implicitGemmConvProgram(large, false);
    expect(p.workgroupSize).toBe(256);
    expect(p.workgroupStorageBytes).toBe(4 * 8 * 128);
    expect(p.workgroups).toBe(Math.ceil((4 * 27 * 27) / 64) * Math.ceil(32 / 64));
  });

  it('print readably for debugging', () => {
    const text = printProgram(convForwardProgram(small, true));
    expect(text).toContain('// program correlate-direct');
    expect(text).toContain('//   outChannels = 8');
    expect(text).toContain('fn main(');
  });
});

describe('weightGradientSplits', () => {
  it('cuts long sums for few weights, and never below 256 terms a split', () => {
    expect(weightGradientSplits(64, 100)).toBe(1);
    expect(weightGradientSplits(64, 256 * 4)).toBe(4);
    expect(weightGradientSplits(36864, 3136)).toBe(2);
    expect(weightGradientSplits(16, 10_000_000)).toBe(1024);
    expect(weightGradientSplits(10, 0)).toBe(1);
  });

  it('sizes the program to weights x splits threads', () => {
    const splits = weightGradientSplits(32 * 64 * 9, 4 * 27 * 27);
    const p = weightGradientProgram(large, splits);
    expect(p.uniforms[0]).toEqual(['total', 32 * 64 * 9 * splits]);
  });
});

describe('weightGradientGemmShape', () => {
  it('is a GEMM per group: rows C_out/groups, columns C_in/groups * prod(k), depth N * prod(out)', () => {
    const shape = weightGradientGemmShape(large);
    expect(shape).toMatchObject({ rows: 32, columns: 64 * 9, depth: 4 * 27 * 27 });
    // 1 row tile x 9 column tiles: split the 2916-deep reduction to fill about 256 workgroups.
    expect(shape.splits).toBe(Math.min(Math.ceil(256 / 9), Math.floor(2916 / 64)));
    expect(weightGradientGemmSplits(300, 10_000)).toBe(1);
    expect(weightGradientGemmSplits(1, 100)).toBe(1);
  });

  it('swaps the roles for transposed convolution', () => {
    const t = convGeometry({
      transposed: true,
      batch: 2,
      inChannels: 16,
      outChannels: 8,
      inputSpatial: [5, 5],
      kernelSize: 4,
      stride: 2,
    });
    expect(weightGradientGemmShape(t)).toMatchObject({ rows: 16, columns: 8 * 16, depth: 2 * 25 });
    const p = weightGradientGemmProgram(t, 1);
    expect(p.workgroups).toBe(1 * 2 * 1);
  });
});
