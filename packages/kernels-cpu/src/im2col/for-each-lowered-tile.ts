/**
 * forEachLoweredTile: the column-tile walk shared by the im2col GEMMs that read a lowered
 * operand (loweredProduct: W * im2col(x); columnCorrelation: y * im2col(x)^T). For each sample
 * n, column tile and group g it hands `visit` the columns of im2col(input[n, g]) for that tile
 * as a row-major block [C_in/g * prod(k), columnCount] (row stride `ld`). Tiles of at most
 * maxTileBytes are lowered into one reused buffer; an identity lowering (1x1, stride 1, no
 * padding) hands out the input itself, whole samples at a time, with no copy. When one column
 * does not fit the budget, tiles hold a range of kernel taps of one channel (planTapTiles):
 * rows [rowStart, rowStart + rowCount) of the group's [C_in/g * prod(k), L] matrix.
 */
import { columnTiles, im2colInto, planColumnTiles } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { loweredBuffer } from './lowered-buffer';
import { needsTapTiles, planTapTiles } from './tap-tile-plan';
import { tileScratch } from './tile-scratch';

/**
 * One block of columns: `columns[offset + row * ld + j]`, row < rowCount and j < columnCount,
 * is row rowStart + row of the group's column matrix at column columnStart + j.
 */
export interface LoweredTile {
  sample: number;
  group: number;
  /** First row (in the group's C_in/g * prod(k) rows): 0 unless tiled over taps. */
  rowStart: number;
  /** Rows of the block: C_in/g * prod(k) unless tiled over taps. */
  rowCount: number;
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
  const depth = inPerGroup * geometry.kernelVolume;
  const source = loweredBuffer(geometry, inChannels, inputSpatial);

  if (source.identity) {
    // The input [C_in/g, L] of each group is its own column matrix.
    for (let n = 0; n < batch; n++) {
      for (let g = 0; g < groups; g++) {
        visit({
          sample: n,
          group: g,
          rowStart: 0,
          rowCount: depth,
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

  if (needsTapTiles(inPerGroup, geometry.kernelVolume, maxTileBytes)) {
    forEachTapTile(geometry, input, source.sampleSize, source.strides, maxTileBytes, visit);
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
      visit({
        sample,
        group: g,
        rowStart: 0,
        rowCount: depth,
        columnStart,
        columnCount,
        columns: tile,
        offset: 0,
        ld: columnCount,
      });
    }
  }
}

/** The walk over tap tiles: per sample, column range, group, channel and tap range. */
function forEachTapTile(
  geometry: ConvGeometry,
  input: Float32Array,
  sampleSize: number,
  strides: readonly number[],
  maxTileBytes: number,
  visit: (tile: LoweredTile) => void,
): void {
  const { batch, groups, kernelVolume, outputVolume } = geometry;
  const inPerGroup = geometry.inChannelsPerGroup;
  const { tapsPerTile, columnsPerTile } = planTapTiles(geometry.op, kernelVolume, outputVolume, maxTileBytes);
  const tile = tileScratch(0, tapsPerTile * columnsPerTile);
  for (let sample = 0; sample < batch; sample++) {
    for (let columnStart = 0; columnStart < outputVolume; columnStart += columnsPerTile) {
      const columnCount = Math.min(columnsPerTile, outputVolume - columnStart);
      for (let g = 0; g < groups; g++) {
        for (let c = 0; c < inPerGroup; c++) {
          for (let tapStart = 0; tapStart < kernelVolume; tapStart += tapsPerTile) {
            const tapCount = Math.min(tapsPerTile, kernelVolume - tapStart);
            im2colInto({
              geometry,
              input,
              inputOffset: sample * sampleSize,
              inputStrides: strides,
              columns: tile,
              columnStart,
              columnCount,
              channelStart: g * inPerGroup + c,
              channelCount: 1,
              tapStart,
              tapCount,
            });
            visit({
              sample,
              group: g,
              rowStart: c * kernelVolume + tapStart,
              rowCount: tapCount,
              columnStart,
              columnCount,
              columns: tile,
              offset: 0,
              ld: columnCount,
            });
          }
        }
      }
    }
  }
}
