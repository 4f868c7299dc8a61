/**
 * @convkit/im2col: convolution as matrix multiplication for 1-D, 2-D and 3-D. im2col/col2im
 * with torch unfold/fold semantics, the allocation-free tiled lowering the CPU im2col
 * algorithm runs, and the dense convolution matrix C (y = C x; C^T is the transposed
 * convolution) for teaching and tests.
 */
export type { Col2imOptions } from './col2im';
export { col2im } from './col2im';
export { col2imAccumulate } from './col2im-accumulate';
export type { ColumnTile, ColumnTileOptions, ColumnTilePlan } from './column-tiles';
export { columnTiles, DEFAULT_TILE_BYTES, planColumnTiles } from './column-tiles';
export type { ConvMatrixOptions } from './conv-matrix';
export { convMatrix } from './conv-matrix';
export type { ConvTransposeMatrixOptions } from './conv-transpose-matrix';
export { convTransposeMatrix } from './conv-transpose-matrix';
export type { Im2colOptions } from './im2col';
export { im2col } from './im2col';
export { im2colInto } from './im2col-into';
export type { LoweringArgs } from './lowering-args';
export { DEFAULT_MAX_MATRIX_ELEMENTS } from './matrix-args';
export { sourceIndexTables } from './padded-source-index';
