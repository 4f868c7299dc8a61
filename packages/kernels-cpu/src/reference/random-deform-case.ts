/**
 * randomDeformCase: a fast-check arbitrary over small deformable convolution problems (batch,
 * groups, offset groups, kernel, stride, dilation, [before, after] padding, with or without a
 * mask) with fractional offsets, for the property tests that hold every deformable algorithm
 * to the reference. Offsets keep their fractional part in [0.01, 0.99], so no sample lies on
 * an integer line where the bilinear sample has a kink (there, gradOffset is a one-sided
 * derivative and two correct kernels could legitimately round to different sides). Test
 * support only: not exported from the package.
 */
import { type ConvGeometry, convGeometry, createRng, type Tensor, zeros } from '@convkit/tensor';
import fc from 'fast-check';
import type { DeformConvOptions } from '../options';

export interface DeformCase {
  geometry: ConvGeometry;
  /** stride, dilation, padding pairs, groups and the mask (null for DCN v1). */
  options: DeformConvOptions;
  input: Tensor;
  weight: Tensor;
  bias: Tensor;
  offset: Tensor;
  mask: Tensor | null;
  gradOutput: Tensor;
}

const pair = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));

/** Small deformable problems; `maxExtra` bounds how much the input exceeds the kernel extent. */
export function randomDeformCase(maxExtra = 3): fc.Arbitrary<DeformCase> {
  return fc
    .record({
      batch: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      offsetGroups: fc.integer({ min: 1, max: 2 }),
      channelUnit: fc.integer({ min: 1, max: 2 }),
      outPerGroup: fc.integer({ min: 1, max: 2 }),
      kernel: pair(1, 3),
      stride: pair(1, 2),
      dilation: pair(1, 2),
      padding: fc.tuple(pair(0, 2), pair(0, 2)),
      extra: pair(0, maxExtra),
      withMask: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map((r) => {
      // C_in is a multiple of both the weight groups and the offset groups.
      const inChannels = (r.groups === r.offsetGroups ? r.groups : r.groups * r.offsetGroups) * r.channelUnit;
      const inputSpatial = [0, 1].map((d) => {
        const extent = r.dilation[d]! * (r.kernel[d]! - 1) + 1;
        return Math.max(1, extent - r.padding[d]![0] - r.padding[d]![1]) + r.extra[d]!;
      });
      const geometry = convGeometry({
        op: 'deformConv2d',
        batch: r.batch,
        inChannels,
        outChannels: r.groups * r.outPerGroup,
        inputSpatial,
        kernelSize: r.kernel,
        stride: r.stride,
        dilation: r.dilation,
        padding: r.padding,
        groups: r.groups,
        offsetGroups: r.offsetGroups,
      });
      const rng = createRng(r.seed);
      const mask = r.withMask ? rng.uniformTensor(geometry.maskShape!, -0.5, 1.5) : null;
      const offset = zeros(geometry.offsetShape!);
      // Integer part in [-3, 2]: samples land inside, on the border band and outside the input.
      for (let k = 0; k < offset.data.length; k++) offset.data[k] = rng.int(-3, 2) + rng.uniform(0.01, 0.99);
      return {
        geometry,
        options: { stride: r.stride, dilation: r.dilation, padding: r.padding, groups: r.groups, mask },
        input: rng.normalTensor(geometry.inputShape),
        weight: rng.normalTensor(geometry.weightShape),
        bias: rng.normalTensor([geometry.outChannels]),
        offset,
        mask,
        gradOutput: rng.normalTensor(geometry.outputShape),
      };
    });
}
