/**
 * planTapTiles: the tiling of a lowering whose single column (C_in/groups * prod(k) floats)
 * does not fit the tile budget, a huge kernel say (a 3000 x 3000 transposed kernel has a
 * 36 MB column). Instead of falling back to the reference loop, the column matrix is cut
 * along its rows too: a tile holds `tapsPerTile` kernel taps of ONE input channel for
 * `columnsPerTile` output positions (im2colInto's tapStart/tapCount), and the GEMMs add up
 * the tiles' contributions. The tile is about square (sqrt of the budget in floats per
 * side), so both GEMM dimensions stay wide; with few output positions the taps take the rest.
 */
import { checkAllocation } from '@convkit/tensor';

export interface TapTilePlan {
  /** Kernel taps per tile (rows), at most prod(kernelSize). */
  tapsPerTile: number;
  /** Output positions per tile (columns), at most prod(outputSpatial). */
  columnsPerTile: number;
}

/** The tap tiling of a lowering of `kernelVolume` taps and `outputVolume` columns under `maxTileBytes`. */
export function planTapTiles(
  op: string,
  kernelVolume: number,
  outputVolume: number,
  maxTileBytes: number,
): TapTilePlan {
  const budget = Math.max(1, Math.floor(maxTileBytes / Float32Array.BYTES_PER_ELEMENT));
  const columnsPerTile = Math.max(1, Math.min(outputVolume, Math.floor(Math.sqrt(budget))));
  const tapsPerTile = Math.max(1, Math.min(kernelVolume, Math.floor(budget / columnsPerTile)));
  checkAllocation(op, 'a column tile', [tapsPerTile, columnsPerTile]);
  return { tapsPerTile, columnsPerTile };
}

/** True when one column of `channels` input channels does not fit `maxTileBytes`. */
export function needsTapTiles(channels: number, kernelVolume: number, maxTileBytes: number): boolean {
  return channels * kernelVolume * Float32Array.BYTES_PER_ELEMENT > maxTileBytes;
}
