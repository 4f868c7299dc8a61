/**
 * Upsample (torch.nn.Upsample / F.interpolate): the output's spatial size is `size`, or
 * floor(input size * scaleFactor) per dim, as PyTorch computes it. Modes: nearest and
 * nearest-exact (any rank), linear (3-D input), bilinear and bicubic (4-D), trilinear (5-D);
 * alignCorners only with the interpolating modes.
 *
 * MACs per sample: one per interpolation tap and output element: C * prod(out) * taps, with
 * taps 0 for nearest (a copy), 2 linear, 4 bilinear, 8 trilinear, 16 bicubic.
 */
import { ArgumentError, formatShape, ShapeError, shapeSize } from '@convkit/tensor';
import type { LeafResult } from './layer-analysis';
import type { UpsampleMode, UpsampleSpec } from './layer-spec';

const TAPS: Record<UpsampleMode, number> = {
  nearest: 0,
  'nearest-exact': 0,
  linear: 2,
  bilinear: 4,
  bicubic: 16,
  trilinear: 8,
};
const MODE_RANK: Partial<Record<UpsampleMode, number>> = { linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 };

export function analyzeUpsample(spec: UpsampleSpec, input: readonly number[], label: string): LeafResult {
  if (input.length < 3 || input.length > 5) {
    throw new ShapeError(
      `${label}: input must be [N, C, L], [N, C, H, W] or [N, C, D, H, W], got ${formatShape(input)}`,
    );
  }
  const mode = spec.mode ?? 'nearest';
  const rank = MODE_RANK[mode];
  if (rank !== undefined && rank !== input.length) {
    throw new ShapeError(`${label}: mode '${mode}' needs a rank-${rank} input, got ${formatShape(input)}`);
  }
  if (spec.alignCorners !== undefined && rank === undefined) {
    throw new ArgumentError(
      `${label}: alignCorners applies to the interpolating modes (linear, bilinear, bicubic, trilinear), not '${mode}'`,
    );
  }
  if ((spec.size === undefined) === (spec.scaleFactor === undefined)) {
    throw new ArgumentError(
      `${label}: give exactly one of size and scaleFactor, got ${spec.size === undefined ? 'neither' : 'both'}`,
    );
  }
  const dims = input.length - 2;
  const perDim = (field: 'size' | 'scaleFactor'): number[] => {
    const value = spec[field]!;
    const list = typeof value === 'number' ? new Array<number>(dims).fill(value) : [...value];
    if (list.length !== dims) {
      throw new ArgumentError(
        `${label}: ${field} must be a number or ${dims} numbers (one per spatial dim), got ${JSON.stringify(value)}`,
      );
    }
    return list;
  };
  const spatial = input.slice(2);
  const scaleFactors =
    spec.scaleFactor === undefined ? new Array<null>(dims).fill(null) : perDim('scaleFactor');
  const outputSpatial =
    spec.size !== undefined ? perDim('size') : spatial.map((s, d) => Math.floor(s * scaleFactors[d]!));
  if (outputSpatial.some((s) => s < 1)) {
    throw new ShapeError(
      `${label}: output would be empty: input spatial ${formatShape(spatial)} times scaleFactor ${JSON.stringify(spec.scaleFactor)} gives ${formatShape(outputSpatial)}`,
    );
  }
  const outputShape = [input[0]!, input[1]!, ...outputSpatial];
  return {
    outputShape,
    params: 0,
    macs: input[1]! * shapeSize(outputSpatial) * TAPS[mode],
    map: {
      kind: 'upsample',
      mode,
      alignCorners: spec.alignCorners ?? false,
      scaleFactors,
      inputSpatial: spatial,
      outputSpatial,
    },
  };
}
