import { ArgumentError, type ConvGeometry, convGeometry, ResourceError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { type ColumnTileOptions, columnTiles, DEFAULT_TILE_BYTES, planColumnTiles } from './column-tiles';

describe('columnTiles', () => {
  const geometry = convGeometry({
    batch: 3,
    inChannels: 4,
    outChannels: 8,
    groups: 2,
    inputSpatial: [9, 11],
    kernelSize: 3,
    padding: 1,
  });
  // rows = 4 * 9 = 36 floats = 144 bytes a column; L = 99.

  it('covers every column of every sample once, each tile within the byte budget', () => {
    for (const maxBytes of [144, 145, 1000, 144 * 50, 144 * 99, 1e9]) {
      const plan = planColumnTiles(geometry, { maxBytes });
      const tiles = [...columnTiles(geometry, { maxBytes })];
      expect(tiles.length).toBe(plan.tileCount);
      expect(plan.bytesPerTile).toBeLessThanOrEqual(maxBytes);
      const seen = new Array(3 * 99).fill(0);
      for (const tile of tiles) {
        expect(tile.columnCount).toBeGreaterThan(0);
        expect(tile.columnCount).toBeLessThanOrEqual(plan.columnsPerTile);
        expect(plan.rows * tile.columnCount * 4).toBeLessThanOrEqual(maxBytes);
        for (let j = 0; j < tile.columnCount; j++) seen[tile.sample * 99 + tile.columnStart + j]++;
      }
      expect(seen.every((v) => v === 1)).toBe(true);
      // Balanced: widths differ by at most one.
      const widths = tiles.map((t) => t.columnCount);
      expect(Math.max(...widths) - Math.min(...widths)).toBeLessThanOrEqual(1);
    }
  });

  it('plans the tile sizes', () => {
    expect(planColumnTiles(geometry, { maxBytes: 1000 })).toEqual({
      rows: 36,
      columnsPerTile: 6, // 6 columns of 144 bytes fit in 1000; ceil(99 / 6) = 17 tiles, of 5 or 6 columns
      tilesPerSample: 17,
      tileCount: 51,
      bytesPerTile: 36 * 6 * 4,
    });
  });

  it('lowers one group at a time with channels, and whole samples under the default budget', () => {
    const plan = planColumnTiles(geometry, { channels: geometry.inChannelsPerGroup });
    expect(plan.rows).toBe(18);
    expect(plan.tilesPerSample).toBe(1);
    expect(plan.columnsPerTile).toBe(99);
    expect(DEFAULT_TILE_BYTES).toBe(32 * 1024 * 1024);
  });

  it('splits a large convolution under the default budget', () => {
    // 256 channels, 3x3, 112x112: the whole matrix is 2304 x 12544 floats, 110 MiB.
    const big = convGeometry({
      inChannels: 256,
      outChannels: 256,
      inputSpatial: [112, 112],
      kernelSize: 3,
      padding: 1,
    });
    const plan = planColumnTiles(big);
    expect(plan.tilesPerSample).toBe(4);
    expect(plan.bytesPerTile).toBeLessThanOrEqual(DEFAULT_TILE_BYTES);
    expect(plan.columnsPerTile).toBe(3136);
  });

  it('refuses a budget below one column with a ResourceError, at the call', () => {
    expect(() => columnTiles(geometry, { maxBytes: 143 })).toThrow(ResourceError);
    expect(() => columnTiles(geometry, { maxBytes: 143 })).toThrow(
      /columnTiles: one column of conv2d's lowering holds 4 channels \* 9 taps = 36 floats \(144 bytes\), more than maxBytes = 143/,
    );
  });

  it('refuses a plan whose tile would exceed the memory limit, even under a larger budget', () => {
    // 1024 channels * 9 taps = 9216 rows by 512 * 512 columns: 9.7 GB in one tile.
    const huge = convGeometry({
      inChannels: 1024,
      outChannels: 1,
      inputSpatial: [512, 512],
      kernelSize: 3,
      padding: 1,
    });
    const unlimited = { maxBytes: Number.POSITIVE_INFINITY };
    expect(() => planColumnTiles(huge, unlimited)).toThrow(ResourceError);
    expect(() => planColumnTiles(huge, unlimited)).toThrow(
      /^columnTiles: a column tile \[9216, 262144\] needs .* above the memory limit of 2\.0 GiB per buffer/,
    );
    expect(() => columnTiles(huge, unlimited)).toThrow(ResourceError);
    expect(planColumnTiles(huge).bytesPerTile).toBeLessThanOrEqual(DEFAULT_TILE_BYTES);
  });

  it('counts a one-float column in words', () => {
    const tiny = convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [4], kernelSize: 1 });
    expect(() => planColumnTiles(tiny, { maxBytes: 3 })).toThrow(
      /^columnTiles: one column of conv1d's lowering holds 1 channel \* 1 tap = 1 float \(4 bytes\), more than maxBytes = 3;/,
    );
  });

  it('refuses an unknown option key and a non-geometry with ArgumentErrors', () => {
    const misspelt = { max_bytes: 1000 } as ColumnTileOptions;
    expect(() => planColumnTiles(geometry, misspelt)).toThrow(ArgumentError);
    expect(() => planColumnTiles(geometry, misspelt)).toThrow(/^columnTiles: unknown option 'max_bytes'/);
    expect(() => columnTiles(geometry, misspelt)).toThrow(/^columnTiles: unknown option 'max_bytes'/);
    for (const notGeometry of [undefined, null, 3, {}]) {
      expect(() => planColumnTiles(notGeometry as unknown as ConvGeometry)).toThrow(ArgumentError);
      expect(() => columnTiles(notGeometry as unknown as ConvGeometry)).toThrow(
        /^columnTiles: geometry must be a ConvGeometry/,
      );
    }
  });

  it('refuses bad options with ArgumentErrors', () => {
    expect(() => planColumnTiles(geometry, { maxBytes: 0 })).toThrow(ArgumentError);
    expect(() => planColumnTiles(geometry, { maxBytes: Number.NaN })).toThrow(
      /maxBytes must be a positive number/,
    );
    expect(() => planColumnTiles(geometry, { channels: 5 })).toThrow(
      /channels must be an integer in \[1, 4\]/,
    );
    expect(() => planColumnTiles(geometry, { channels: 0 })).toThrow(ArgumentError);
  });
});
