/**
 * transposeChannels: the layout change at the op boundary, [N, S, C] <-> [N, C, S] per
 * sample (S = the flattened spatial volume), as a blocked transpose. The generic strided copy
 * of a permuted view walks one element at a time through the index arithmetic of an N-d view
 * (5.7 ms for the pw1x1 bench config's two transposes, five times its 1x1 convolution); a
 * cache-blocked 2-D transpose of 32 x 32 tiles moves the same floats in a fraction of that.
 */

const BLOCK = 32;

/**
 * out[n, b, a] = data[offset + n * rows * cols + a * cols + b] for a < rows, b < cols: each
 * sample's [rows, cols] matrix transposed into a fresh [N, cols, rows] buffer, or into `out`
 * (batch * rows * cols floats, not overlapping `data`) when given, which is returned.
 */
export function transposeChannels(
  data: Float32Array,
  offset: number,
  batch: number,
  rows: number,
  cols: number,
  into?: Float32Array,
): Float32Array {
  const out = into ?? new Float32Array(batch * rows * cols);
  const sample = rows * cols;
  for (let n = 0; n < batch; n++) {
    const src = offset + n * sample;
    const dst = n * sample;
    for (let a0 = 0; a0 < rows; a0 += BLOCK) {
      const a1 = Math.min(rows, a0 + BLOCK);
      for (let b0 = 0; b0 < cols; b0 += BLOCK) {
        const b1 = Math.min(cols, b0 + BLOCK);
        // a: source row, b: source column (within the tile).
        for (let a = a0; a < a1; a++) {
          const rowStart = src + a * cols;
          for (let b = b0; b < b1; b++) out[dst + b * rows + a] = data[rowStart + b]!;
        }
      }
    }
  }
  return out;
}
