/**
 * How many output tiles one block of `winogradConv` (assembly/winograd-f4x3.ts) takes: the
 * block's tiles are input-transformed into V, multiplied by the transformed weights U in one
 * GEMM per transform point into M, and output-transformed, so a block's V and M (`perTile`
 * bytes per tile: points x (C_in/g + C_out/g) floats) should stay in the 2 MiB L2 together
 * with U, which every block streams once.
 *
 * - 2-D with U at most RESIDENT_WEIGHT_BYTES (c3x3's 64 -> 64 channels: 576 KiB): U stays in
 *   L2 from block to block, so blocks are small (RESIDENT_BLOCK_BYTES of V and M: c3x3 24
 *   tiles, 216 KiB each). c3x3 through conv2d, min of 60 interleaved runs, shared 2-core Xeon
 *   (load 3): blocks of 64 tiles 1.82-1.88 ms, 40 1.77, 32 1.68-1.83, 24 1.68-1.74; dil3x3
 *   64 2.11, 32 2.01, 24 1.94 (medians 10% lower too).
 * - otherwise (large filters, 1-D) the former rule: BLOCK_BYTES of V and M, at least
 *   MIN_BLOCK_TILES tiles, and at least WEIGHT_STREAM_RATIO times U's bytes, so that
 *   streaming U from L3 once per block is amortised.
 *
 * Then the tiles are split evenly over that many blocks (a multiple of 8 tiles each: the
 * GEMM's panels), so that a last block does not run a few tiles against all of U (C128 56x56:
 * 7 blocks of 112 instead of 6 of 128 and one of 16).
 */

/** V and M bytes of a block when U stays in L2 (2-D). */
const RESIDENT_BLOCK_BYTES = 448 << 10;
/** Transformed weights (all groups) small enough to stay in L2 beside a block. */
const RESIDENT_WEIGHT_BYTES = 1 << 20;
/**
 * Bytes one block of tiles may take for its transformed input and its products (V and M)
 * when U does not stay in L2: small enough to stay in L2 between the three stages, large
 * enough that the GEMMs run long panels.
 */
const BLOCK_BYTES = 768 << 10;
/**
 * Fewest tiles per block (when the problem has them) when U does not stay in L2: every block
 * streams all of U (36 * C_in/g * C_out/g floats) through the GEMMs once, so with many
 * channels a block must hold enough tiles to amortise that stream even when it outgrows L2
 * (C512 14x14: 8 tiles per block 30 ms, all 16 tiles 19 ms).
 */
const MIN_BLOCK_TILES = 64;
/**
 * And at least enough tiles that a block's transformed input and products are this many times
 * the transformed weights it streams: with large filters (over about 1 MiB transformed) the
 * weights, not the block, are what the GEMMs wait for. conv1d (C256 -> 256, 2 MiB of
 * transformed weights; min of 12 interleaved runs, shared 2-core Xeon, load 5-6): blocks of 64
 * tiles 30.4-30.6 ms, 128 tiles 30.4, a sample's 176 tiles in one block 29.4-29.7; C128 56x56:
 * 128 tiles 4-7% faster than 64.
 */
const WEIGHT_STREAM_RATIO = 2;
/** Most bytes of transformed input and products that WEIGHT_STREAM_RATIO may ask a block for. */
const STREAM_BLOCK_BYTES = 8 << 20;
/** Most tiles in a block. */
const MAX_BLOCK_TILES = 512;

/**
 * Tiles per block (a multiple of 8, at least 8) for `totalTiles` tiles in one kernel call;
 * `perTile`: V and M bytes per tile; `weightBytes`: U of all groups.
 */
export function winogradBlockTiles(
  dims: 1 | 2,
  totalTiles: number,
  perTile: number,
  weightBytes: number,
  groups: number,
): number {
  const allTiles = Math.ceil(totalTiles / 8) * 8;
  let target: number;
  if (dims === 2 && weightBytes <= RESIDENT_WEIGHT_BYTES) {
    target = Math.floor(RESIDENT_BLOCK_BYTES / perTile / 8) * 8;
  } else {
    const fit = Math.floor(BLOCK_BYTES / perTile / 8) * 8;
    const amortise =
      Math.floor(Math.min((WEIGHT_STREAM_RATIO * weightBytes) / groups, STREAM_BLOCK_BYTES) / perTile / 8) *
      8;
    target = Math.max(fit, MIN_BLOCK_TILES, amortise);
  }
  const most = Math.min(Math.max(target, 8), MAX_BLOCK_TILES, allTiles);
  const blocks = Math.ceil(totalTiles / most);
  return Math.ceil(totalTiles / blocks / 8) * 8;
}
