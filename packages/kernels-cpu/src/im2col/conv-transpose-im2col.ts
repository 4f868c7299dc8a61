/**
 * convTransposeIm2col: transposed convolution forward by the C^T route (PyTorch's
 * slow_conv_transpose, Caffe's Deconvolution): with A the convolution this one is the adjoint
 * of (adjointConvGeometry: input = our output, output = our input),
 *   columns = W_g^T (C_out/g * prod(k) x C_in/g) * x[n, g] (C_in/g x L),   L = prod(in)
 *   y[n, g] = bias + col2im_A(columns)
 * The weight [C_in, C_out/g, ...k] is A's weight layout, read transposed in place. col2im
 * drops the taps that land in the cropped padding, and stride holes and output padding no tap
 * reaches keep the bias alone, as in PyTorch; see ./folded-product.
 */
import { DEFAULT_TILE_BYTES } from '@convkit/im2col';
import { adjointConvGeometry, type ConvGeometry } from '@convkit/tensor';
import { fillBias } from './fill-bias';
import { foldedProduct } from './folded-product';

/** input [N, C_in, ...in], weight [C_in, C_out/groups, ...k], bias [C_out] | null -> [N, C_out, ...out]. */
export function convTransposeIm2col(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  geometry: ConvGeometry,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): Float32Array {
  const { batch, outChannels, outputVolume } = geometry;
  const output = new Float32Array(batch * outChannels * outputVolume);
  fillBias(output, bias, batch, outChannels, outputVolume);
  const adjoint = adjointConvGeometry(geometry);
  // null: no tap lands on the output, which is the bias alone.
  if (adjoint !== null) {
    foldedProduct({
      geometry: adjoint,
      output: input,
      weight,
      input: output,
      inputSpatial: geometry.outputSpatial,
      maxTileBytes,
    });
  }
  return output;
}
