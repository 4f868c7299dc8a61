import { ArgumentError, type ConvGeometry, convGeometry, paddedIndex, ResourceError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { naiveSource } from '../test/naive';
import { sourceIndexTables } from './padded-source-index';

/** The padded row F.pad would give for [0, 1, ..., size-1] padded by (before, after). */
function padRow(
  mode: 'zeros' | 'reflect' | 'replicate' | 'circular',
  size: number,
  before: number,
  after: number,
): number[] {
  const row: number[] = [];
  for (let p = -before; p < size + after; p++) row.push(paddedIndex(p, size, mode));
  return row;
}

describe('paddedIndex (from @convkit/tensor) against F.pad', () => {
  it('reads what F.pad writes (values 0..3 padded by 3 on each side)', () => {
    // torch: F.pad(torch.arange(4.).view(1, 1, 4), (3, 3), mode=...) ; -1 stands for a zero.
    expect(padRow('zeros', 4, 3, 3)).toEqual([-1, -1, -1, 0, 1, 2, 3, -1, -1, -1]);
    expect(padRow('reflect', 4, 3, 3)).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(padRow('replicate', 4, 3, 3)).toEqual([0, 0, 0, 0, 1, 2, 3, 3, 3, 3]);
    expect(padRow('circular', 4, 3, 3)).toEqual([1, 2, 3, 0, 1, 2, 3, 0, 1, 2]);
  });

  it('agrees with the periodic definitions wherever convGeometry allows the padding', () => {
    for (let size = 1; size <= 6; size++) {
      for (const mode of ['zeros', 'reflect', 'replicate', 'circular'] as const) {
        const widest = mode === 'reflect' ? size - 1 : mode === 'circular' ? size : 8;
        for (let p = 0 - widest; p < size + widest; p++)
          expect(paddedIndex(p, size, mode)).toBe(naiveSource(mode, p, size));
      }
    }
  });
});

describe('sourceIndexTables', () => {
  it('tabulates tap * dilation + out * stride - padBefore per dim, and caches per geometry', () => {
    const geometry = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [5, 3],
      kernelSize: [2, 3],
      stride: [2, 1],
      dilation: [2, 1],
      padding: [
        [1, 0],
        [1, 1],
      ],
      paddingMode: 'replicate',
    });
    const [rows, cols] = sourceIndexTables(geometry);
    // dim 0: out = floor((5 + 1 - 3) / 2) + 1 = 2; positions tap0: -1, 1; tap1: 1, 3.
    expect(Array.from(rows!)).toEqual([0, 1, 1, 3]);
    // dim 1: out = 3; tap t reads out + t - 1, clamped.
    expect(Array.from(cols!)).toEqual([0, 0, 1, 0, 1, 2, 1, 2, 2]);
    expect(sourceIndexTables(geometry)).toBe(sourceIndexTables(geometry));
  });

  it('refuses a non-geometry with an ArgumentError, and tables above 2^30 entries with a ResourceError', () => {
    expect(() => sourceIndexTables(undefined as unknown as ConvGeometry)).toThrow(ArgumentError);
    expect(() => sourceIndexTables({} as ConvGeometry)).toThrow(
      /^sourceIndexTables: geometry must be a ConvGeometry/,
    );
    const padded = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [1],
      kernelSize: 1,
      padding: 3e9,
    });
    expect(() => sourceIndexTables(padded)).toThrow(ResourceError);
    expect(() => sourceIndexTables(padded)).toThrow(
      /^sourceIndexTables: the source index table of spatial dim 0/,
    );
  });
});
