/**
 * convIm2col: convolution forward by im2col + GEMM (the `im2col` algorithm's `conv` kernel):
 *   y[n, g] = bias + W_g (C_out/g x C_in/g * prod(k)) * im2col(x[n, g]) (C_in/g * prod(k) x L)
 * per sample and group, with PyTorch's semantics (padding modes through im2colInto). The
 * column matrix is lowered in tiles of at most `maxTileBytes`; see ./lowered-product.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import { fillBias } from './fill-bias';
import { loweredProduct } from './lowered-product';

/** input [N, C_in, ...in], weight [C_out, C_in/groups, ...k], bias [C_out] | null -> [N, C_out, ...out]. */
export function convIm2col(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): Float32Array {
  const { batch, outChannels, outputVolume } = geometry;
  const output = new Float32Array(batch * outChannels * outputVolume);
  fillBias(output, bias, batch, outChannels, outputVolume);
  loweredProduct({
    geometry,
    input,
    inputSpatial: geometry.inputSpatial,
    weight,
    output,
    accumulate: bias !== null,
    maxTileBytes,
  });
  return output;
}
