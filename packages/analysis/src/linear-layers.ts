/**
 * Linear and Flatten.
 *
 * Linear (y = x W^T + b) acts on the last dim of any input [N, *, inFeatures]:
 * params inFeatures * outFeatures (+ outFeatures bias); MACs per sample inFeatures *
 * outFeatures * (the product of the dims between batch and features).
 * Flatten(startDim = 1, endDim = -1) merges dims startDim..endDim into one (negative dims count
 * from the end); no parameters, no MACs.
 */
import { ArgumentError, formatShape, ShapeError, shapeSize } from '@convkit/tensor';
import type { LeafResult } from './layer-analysis';
import type { FlattenSpec, LinearSpec } from './layer-spec';

export function analyzeLinear(spec: LinearSpec, input: readonly number[], label: string): LeafResult {
  if (input.length < 2) {
    throw new ShapeError(
      `${label}: input must be [N, *, inFeatures] (rank 2 or more), got ${formatShape(input)}`,
    );
  }
  const features = input[input.length - 1]!;
  if (features !== spec.inFeatures) {
    throw new ShapeError(
      `${label}: input's last dim is ${features} but inFeatures is ${spec.inFeatures} (input ${formatShape(input)})`,
    );
  }
  const outputShape = [...input.slice(0, -1), spec.outFeatures];
  const rows = shapeSize(input.slice(1, -1));
  // On a spatial tensor [N, C, ..., W] the layer mixes the last spatial dim entirely.
  const lastSpatial = input.length - 3;
  return {
    outputShape,
    params: spec.inFeatures * spec.outFeatures + ((spec.bias ?? true) ? spec.outFeatures : 0),
    macs: spec.inFeatures * spec.outFeatures * rows,
    map:
      input.length >= 3
        ? {
            kind: 'global',
            dims: [lastSpatial],
            inputSpatial: input.slice(2),
            outputSpatial: outputShape.slice(2),
          }
        : { kind: 'dense' },
  };
}

export function analyzeFlatten(spec: FlattenSpec, input: readonly number[], label: string): LeafResult {
  const rank = input.length;
  const normalize = (field: 'startDim' | 'endDim', fallback: number) => {
    const given = spec[field] ?? fallback;
    if (given < -rank || given >= rank) {
      throw new ArgumentError(
        `${label}: ${field} must be in [${-rank}, ${rank - 1}] for input ${formatShape(input)}, got ${given}`,
      );
    }
    return given < 0 ? given + rank : given;
  };
  const start = normalize('startDim', 1);
  const end = normalize('endDim', -1);
  if (start > end) {
    throw new ArgumentError(
      `${label}: startDim (${start}) cannot come after endDim (${end}) for input ${formatShape(input)}`,
    );
  }
  const outputShape = [
    ...input.slice(0, start),
    shapeSize(input.slice(start, end + 1)),
    ...input.slice(end + 1),
  ];
  return {
    outputShape,
    params: 0,
    macs: 0,
    map: start === end ? { kind: 'pointwise' } : { kind: 'flatten' },
  };
}
