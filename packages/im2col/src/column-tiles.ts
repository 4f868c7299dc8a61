/**
 * Tiled lowering: the column matrix of a large convolution, [C * prod(k), L] per sample, can
 * be hundreds of MiB (a 3x3 conv of 256 channels on 112x112 is 2304 x 12544 floats, 110 MiB).
 * The im2col algorithm never allocates it whole: it lowers one tile of columns at a time
 * into a buffer of at most `maxBytes` and multiplies that tile.
 *
 *   rows = channels * prod(kernelSize)
 *   columnsPerTile = the largest count with rows * count * 4 <= maxBytes, then evened out so
 *                    the tiles of one sample differ in width by at most one column
 *
 * A tile never crosses samples. When even one column does not fit, the plan is refused with
 * a ResourceError instead of silently exceeding the budget.
 */
import {
  ArgumentError,
  type ConvGeometry,
  checkAllocation,
  formatValue,
  ResourceError,
  readOptions,
} from '@convkit/tensor';
import { checkGeometry } from './check-geometry';
import { plural } from './plural';

/** Default byte budget of one column tile: 32 MiB, wide enough for full-speed GEMMs, small beside any heap. */
export const DEFAULT_TILE_BYTES = 32 * 1024 * 1024;

const BYTES_PER_ELEMENT = Float32Array.BYTES_PER_ELEMENT;

export interface ColumnTileOptions {
  /** Byte budget of one tile's float32 buffer (default DEFAULT_TILE_BYTES). */
  maxBytes?: number;
  /**
   * Input channels lowered per tile (default geometry.inChannels: the whole unfold matrix).
   * Pass geometry.inChannelsPerGroup to lower one group at a time.
   */
  channels?: number;
}

export interface ColumnTilePlan {
  /** Rows of every tile: channels * prod(kernelSize). */
  readonly rows: number;
  /** Width of the widest tile; the buffer to allocate is rows * columnsPerTile floats. */
  readonly columnsPerTile: number;
  readonly tilesPerSample: number;
  /** tilesPerSample * batch. */
  readonly tileCount: number;
  /** rows * columnsPerTile * 4 <= maxBytes. */
  readonly bytesPerTile: number;
}

export interface ColumnTile {
  /** Batch index. */
  readonly sample: number;
  /** First output position (column) of the tile, in [0, L). */
  readonly columnStart: number;
  /** Number of columns, at most plan.columnsPerTile. */
  readonly columnCount: number;
}

/** Every key of ColumnTileOptions (the compiler checks the list is exact). */
const COLUMN_TILE_OPTION_KEYS = Object.keys({
  maxBytes: true,
  channels: true,
} satisfies Record<keyof ColumnTileOptions, true>);

/**
 * How a convolution's lowering splits into column tiles under a byte budget. Its errors name
 * 'columnTiles', as columnTiles's do (callers plan and iterate with the same options).
 */
export function planColumnTiles(geometry: ConvGeometry, options: ColumnTileOptions = {}): ColumnTilePlan {
  const op = 'columnTiles';
  checkGeometry(op, geometry);
  const opts = readOptions(op, options, COLUMN_TILE_OPTION_KEYS as (keyof ColumnTileOptions)[]);
  const maxBytes = opts.maxBytes ?? DEFAULT_TILE_BYTES;
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) {
    throw new ArgumentError(
      `${op}: maxBytes must be a positive number of bytes, got ${formatValue(maxBytes)}`,
    );
  }
  const channels = opts.channels ?? geometry.inChannels;
  if (
    typeof channels !== 'number' ||
    !Number.isInteger(channels) ||
    channels < 1 ||
    channels > geometry.inChannels
  ) {
    throw new ArgumentError(
      `${op}: channels must be an integer in [1, ${geometry.inChannels}] (the input channels), got ${formatValue(channels)}`,
    );
  }
  const rows = channels * geometry.kernelVolume;
  const columnBytes = rows * BYTES_PER_ELEMENT;
  const length = geometry.outputVolume;
  const fitting = Math.floor(maxBytes / columnBytes);
  if (fitting < 1) {
    throw new ResourceError(
      `${op}: one column of ${geometry.op}'s lowering holds ${plural(channels, 'channel')} * ${plural(geometry.kernelVolume, 'tap')} = ${plural(rows, 'float')} (${plural(columnBytes, 'byte')}), more than maxBytes = ${maxBytes}; raise maxBytes or lower fewer channels per tile`,
    );
  }
  const tilesPerSample = Math.ceil(length / Math.min(fitting, length));
  const columnsPerTile = Math.ceil(length / tilesPerSample);
  // A budget above 4 GiB (maxBytes: Infinity, say) must not plan a buffer nobody can allocate.
  checkAllocation(op, 'a column tile', [rows, columnsPerTile]);
  return Object.freeze({
    rows,
    columnsPerTile,
    tilesPerSample,
    tileCount: tilesPerSample * geometry.batch,
    bytesPerTile: rows * columnsPerTile * BYTES_PER_ELEMENT,
  });
}

/**
 * The column tiles of every sample, in order (sample-major, then by column). Together they
 * cover [0, L) of each sample exactly once. Pass the same options to planColumnTiles to size
 * the buffer.
 */
export function columnTiles(
  geometry: ConvGeometry,
  options: ColumnTileOptions = {},
): IterableIterator<ColumnTile> {
  // Planned here, not inside the generator, so a budget too small throws at the call.
  return tilesOf(geometry, planColumnTiles(geometry, options));
}

function* tilesOf(geometry: ConvGeometry, plan: ColumnTilePlan): Generator<ColumnTile, void, undefined> {
  const length = geometry.outputVolume;
  // Widths differ by at most one: the first (length % tiles) tiles get the extra column.
  const base = Math.floor(length / plan.tilesPerSample);
  const wider = length % plan.tilesPerSample;
  for (let sample = 0; sample < geometry.batch; sample++) {
    let columnStart = 0;
    for (let t = 0; t < plan.tilesPerSample; t++) {
      const columnCount = base + (t < wider ? 1 : 0);
      yield { sample, columnStart, columnCount };
      columnStart += columnCount;
    }
  }
}
