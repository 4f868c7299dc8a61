/**
 * Normalisation layers: BatchNorm1d/2d/3d, GroupNorm and LayerNorm.
 *
 * Parameters as PyTorch: affine BatchNorm and GroupNorm have a weight and a bias per channel
 * (2C), LayerNorm one of each per normalised element; BatchNorm's running mean and variance
 * (C each) and num_batches_tracked (1, an int64) are buffers.
 * MACs per sample: BatchNorm in inference is one multiply-add per element (the statistics and
 * the affine fold into a scale and a shift); GroupNorm and LayerNorm compute their statistics
 * on the fly: 3 per element (sum, sum of squares, normalise-and-scale).
 * For receptive fields all three are pointwise: statistics are not counted.
 */
import { formatShape, ShapeError, shapeSize } from '@convkit/tensor';
import { BYTES_PER_VALUE, type LeafResult } from './layer-analysis';
import type { BatchNormSpec, GroupNormSpec, LayerNormSpec } from './layer-spec';
import { expectChannels } from './spatial-input';

/** Bytes of PyTorch's num_batches_tracked (int64). */
const COUNTER_BYTES = 8;
/** MACs per element for norms that compute their statistics (sum, sum of squares, normalise). */
const STATISTICS_MACS = 3;

const BATCH_NORM_INPUT: Record<string, { ranks: number[]; layout: string }> = {
  BatchNorm1d: { ranks: [2, 3], layout: '[N, C] or [N, C, L] (rank 2 or 3)' },
  BatchNorm2d: { ranks: [4], layout: '[N, C, H, W] (rank 4)' },
  BatchNorm3d: { ranks: [5], layout: '[N, C, D, H, W] (rank 5)' },
};

export function analyzeBatchNorm(spec: BatchNormSpec, input: readonly number[], label: string): LeafResult {
  const expected = BATCH_NORM_INPUT[spec.type]!;
  if (!expected.ranks.includes(input.length)) {
    throw new ShapeError(`${label}: input must be ${expected.layout}, got ${formatShape(input)}`);
  }
  const channels = spec.numFeatures;
  expectChannels(label, 'numFeatures', channels, input[1]!);
  const tracked = spec.trackRunningStats ?? true;
  return {
    outputShape: input,
    params: (spec.affine ?? true) ? 2 * channels : 0,
    buffers: tracked ? 2 * channels + 1 : 0,
    bufferBytes: tracked ? 2 * channels * BYTES_PER_VALUE + COUNTER_BYTES : 0,
    macs: shapeSize(input.slice(1)),
    map: { kind: 'pointwise' },
  };
}

export function analyzeGroupNorm(spec: GroupNormSpec, input: readonly number[], label: string): LeafResult {
  if (input.length < 2)
    throw new ShapeError(`${label}: input must be [N, C, *] (rank 2 or more), got ${formatShape(input)}`);
  if (spec.numChannels % spec.numGroups !== 0) {
    throw new ShapeError(`${label}: numGroups=${spec.numGroups} must divide numChannels=${spec.numChannels}`);
  }
  expectChannels(label, 'numChannels', spec.numChannels, input[1]!);
  return {
    outputShape: input,
    params: (spec.affine ?? true) ? 2 * spec.numChannels : 0,
    macs: STATISTICS_MACS * shapeSize(input.slice(1)),
    map: { kind: 'pointwise' },
  };
}

export function analyzeLayerNorm(spec: LayerNormSpec, input: readonly number[], label: string): LeafResult {
  const normalized =
    typeof spec.normalizedShape === 'number' ? [spec.normalizedShape] : [...spec.normalizedShape];
  const trailing = input.slice(input.length - normalized.length);
  // The batch dim is never normalised.
  if (normalized.length >= input.length || trailing.some((d, i) => d !== normalized[i])) {
    throw new ShapeError(
      `${label}: normalizedShape ${formatShape(normalized)} must match the trailing dims of the input, got ${formatShape(input)}`,
    );
  }
  return {
    outputShape: input,
    params: (spec.elementwiseAffine ?? true) ? 2 * shapeSize(normalized) : 0,
    macs: STATISTICS_MACS * shapeSize(input.slice(1)),
    map: { kind: 'pointwise' },
  };
}
