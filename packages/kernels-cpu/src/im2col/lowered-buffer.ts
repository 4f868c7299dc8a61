/**
 * How the im2col kernels describe one operand of a lowered convolution: a channels-first
 * buffer [N, C, ...spatial] whose spatial shape may be larger than the lowering geometry's
 * (the output of a transposed convolution, whose tail beyond the last tap the adjoint
 * geometry crops: see adjointConvGeometry in @convkit/tensor). Its strides are those of the
 * buffer, so im2colInto / col2imAccumulate read and write it in place whatever geometry.layout
 * says (kernels always see channels-first data).
 */
import { type ConvGeometry, contiguousStrides, sameShape, shapeSize } from '@convkit/tensor';
import { isIdentityLowering } from './is-identity-lowering';

export interface LoweredBuffer {
  /** Elements of one sample: channels * prod(spatial). */
  sampleSize: number;
  /** [channel, ...spatial] element strides, for im2colInto / col2imAccumulate. */
  strides: number[];
  /** True when the GEMM can read the buffer as the column matrix itself (see isIdentityLowering). */
  identity: boolean;
}

/** The layout of a [N, channels, ...spatial] channels-first buffer lowered by `geometry`. */
export function loweredBuffer(
  geometry: ConvGeometry,
  channels: number,
  spatial: readonly number[],
): LoweredBuffer {
  const volume = shapeSize(spatial);
  return {
    sampleSize: channels * volume,
    strides: [volume, ...contiguousStrides(spatial)],
    identity: isIdentityLowering(geometry) && sameShape(spatial, geometry.inputSpatial),
  };
}
