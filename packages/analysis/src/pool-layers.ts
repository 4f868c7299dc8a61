/**
 * Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d (windows from convGeometry with
 * ceilMode, Dumoulin & Visin relationship 7 with PyTorch's padding and ceil rules) and
 * AdaptiveAvgPool/AdaptiveMaxPool 1d/2d/3d (the output size is given; the window of output
 * u spans [floor(u * in / out), ceil((u + 1) * in / out))).
 *
 * MACs per sample: max pooling compares and multiplies nothing (0); average pooling
 * accumulates every window element once: C * prod(out) * prod(k) (the whole window, also
 * where it hangs over padding); adaptive average pooling the exact sum of its window sizes.
 */
import { ArgumentError, convGeometry } from '@convkit/tensor';
import type { LeafResult } from './layer-analysis';
import { spatialDimsOf } from './layer-schema';
import type { AdaptivePoolSpec, AvgPoolSpec, MaxPoolSpec } from './layer-spec';
import { spatialInput } from './spatial-input';
import { adaptiveWindow } from './spatial-map';

export function analyzePool(
  spec: MaxPoolSpec | AvgPoolSpec,
  input: readonly number[],
  label: string,
): LeafResult {
  const { batch, channels, spatial } = spatialInput(label, input, spatialDimsOf(spec.type)!);
  const isMax = spec.type.startsWith('Max');
  const g = convGeometry({
    op: label,
    batch,
    inChannels: channels,
    outChannels: channels,
    inputSpatial: spatial,
    kernelSize: spec.kernelSize,
    // PyTorch: stride defaults to the kernel size.
    stride: spec.stride ?? spec.kernelSize,
    padding: spec.padding ?? 0,
    dilation: isMax ? (spec as MaxPoolSpec).dilation : 1,
    groups: channels,
    ceilMode: spec.ceilMode ?? false,
  });
  for (let d = 0; d < g.dims; d++) {
    // PyTorch refuses padding wider than half the (undilated) kernel.
    if (g.padBefore[d]! > Math.floor(g.kernelSize[d]! / 2)) {
      throw new ArgumentError(
        `${label}: padding ${g.padBefore[d]} in spatial dim ${d} must be at most half the kernel size ${g.kernelSize[d]} (floor(k / 2) = ${Math.floor(g.kernelSize[d]! / 2)}), as PyTorch requires`,
      );
    }
  }
  return {
    outputShape: g.outputShape,
    params: 0,
    macs: isMax ? 0 : channels * g.outputVolume * g.kernelVolume,
    map: { kind: 'window', geometry: g },
  };
}

export function analyzeAdaptivePool(
  spec: AdaptivePoolSpec,
  input: readonly number[],
  label: string,
): LeafResult {
  const dims = spatialDimsOf(spec.type)!;
  const { batch, channels, spatial } = spatialInput(label, input, dims);
  const sizes =
    typeof spec.outputSize === 'number'
      ? new Array<number>(dims).fill(spec.outputSize)
      : [...spec.outputSize];
  if (sizes.length !== dims) {
    throw new ArgumentError(
      `${label}: outputSize must be a number or ${dims} entries (one per spatial dim), got ${JSON.stringify(spec.outputSize)}`,
    );
  }
  // null keeps the input's size along that dim, as PyTorch's None.
  const outputSpatial = sizes.map((s, d) => s ?? spatial[d]!);
  // Windows are separable: the sum of window volumes is the product of per-dim sums.
  let windowSum = 1;
  for (let d = 0; d < dims; d++) {
    let sum = 0;
    for (let u = 0; u < outputSpatial[d]!; u++) {
      const [start, end] = adaptiveWindow(spatial[d]!, outputSpatial[d]!, u);
      sum += end - start;
    }
    windowSum *= sum;
  }
  return {
    outputShape: [batch, channels, ...outputSpatial],
    params: 0,
    macs: spec.type.startsWith('AdaptiveAvg') ? channels * windowSum : 0,
    map: { kind: 'adaptive', inputSpatial: spatial, outputSpatial },
  };
}
