/**
 * forEachLoweredTile: the column-tile walk shared by the im2col GEMMs that read a lowered
 * operand (loweredProduct: W * im2col(x); columnCorrelation: y * im2col(x)^T). For each sample
 * n, column tile and group g it hands `visit` the columns of im2col(input[n, g]) for that tile
 * as a row-major block [C_in/g * prod(k), columnCount] (row stride `ld`). Tiles of at most
 * maxTileBytes are lowered into one reused buffer; an identity lowering (1x1, stride 1, no
 * padding) hands out the input itself, whole samples at a time, with no copy.
 */
import { columnTiles, im2colInto, planColumnTiles } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { loweredBuffer } from './lowered-buffer';
import { tileScratch } from './tile-scratch';

/** One block of columns: `columns[offset + row * ld + j]`, j < columnCount, is column columnStart + j. */
export interface LoweredTile {
  sample: number;
  group: number;
  columnStart: number;
  columnCount: number;
  columns: Float32Array;
  offset: number;
  ld: number;
}

export function forEachLoweredTile(
  geometry: ConvGeometry,
  input: Float32Array,
  inputSpatial: readonly number[],
  maxTileBytes: number,
  visit: (tile: LoweredTile) => void,
): void {
  const { batch, inChannels, groups, outputVolume } = geometry;
  const inPerGroup = geometry.inChannelsPerGroup;
  const source = loweredBuffer(geometry, inChannels, inputSpatial);

  if (source.identity) {
    // The input [C_in/g, L] of each group is its own column matrix.
    for (let n = 0; n < batch; n++) {
      for (let g = 0; g < groups; g++) {
        visit({
          sample: n,
          group: g,
          columnStart: 0,
          columnCount: outputVolume,
          columns: input,
          offset: n * source.sampleSize + g * inPerGroup * outputVolume,
          ld: outputVolume,
        });
      }
    }
    return;
  }

  const tileOptions = { maxBytes: maxTileBytes, channels: inPerGroup };
  const plan = planColumnTiles(geometry, tileOptions);
  const tile = tileScratch(0, plan.rows * plan.columnsPerTile);
  for (const { sample, columnStart, columnCount } of columnTiles(geometry, tileOptions)) {
    for (let g = 0; g < groups; g++) {
      im2colInto({
        geometry,
        input,
        inputOffset: sample * source.sampleSize,
        inputStrides: source.strides,
        columns: tile,
        columnStart,
        columnCount,
        channelStart: g * inPerGroup,
        channelCount: inPerGroup,
      });
      visit({ sample, group: g, columnStart, columnCount, columns: tile, offset: 0, ld: columnCount });
    }
  }
}
