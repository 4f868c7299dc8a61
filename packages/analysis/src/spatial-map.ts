/**
 * SpatialMap: which input positions each output position of a layer reads, per spatial dim.
 * Every layer's footprint is separable (a product over spatial dims), so one map per layer
 * serves both the receptive-field arithmetic and the exact coverage masks:
 *
 * - `dimSources(map, dim, unit)` lists the input positions that output position `unit` reads
 *   along `dim`, exactly as PyTorch's kernels index them (padding modes included);
 * - `affineStep(map, dim)` gives the same footprint as a window (kernel extent, stride, left
 *   padding) for the receptive-field recurrence of Araujo et al., "Computing Receptive Fields
 *   of Convolutional Neural Networks" (Distill, 2019), or the transposed window (stride 1/s).
 *
 * Normalisation statistics (GroupNorm, LayerNorm) are ignored, as receptive-field arithmetic
 * does; BatchNorm in eval mode is exactly pointwise.
 */
import type { ConvGeometry } from '@convkit/tensor';
import { paddedIndex, UnsupportedError } from '@convkit/tensor';
import type { UpsampleMode } from './layer-spec';

export type SpatialMap =
  /** Every output position reads the same position (activations, BatchNorm, dropout...). */
  | { readonly kind: 'pointwise' }
  /** Convolution and pooling windows; padded positions read nothing ('zeros') or a mirror. */
  | { readonly kind: 'window'; readonly geometry: ConvGeometry }
  /** Transposed convolution: input i feeds outputs i * stride - padBefore + t * dilation. */
  | { readonly kind: 'transposed'; readonly geometry: ConvGeometry }
  /** Adaptive pooling: output u reads [floor(u * in / out), ceil((u + 1) * in / out)). */
  | {
      readonly kind: 'adaptive';
      readonly inputSpatial: readonly number[];
      readonly outputSpatial: readonly number[];
    }
  /** Interpolation, with PyTorch's source-index rules; scaleFactors[d] null when a size was given. */
  | {
      readonly kind: 'upsample';
      readonly mode: UpsampleMode;
      readonly alignCorners: boolean;
      readonly scaleFactors: readonly (number | null)[];
      readonly inputSpatial: readonly number[];
      readonly outputSpatial: readonly number[];
    }
  /** Every output position reads every input position along `dims` (Linear on the last dim, Softmax over a spatial dim). */
  | {
      readonly kind: 'global';
      readonly dims: readonly number[];
      readonly inputSpatial: readonly number[];
      readonly outputSpatial: readonly number[];
    }
  /** The spatial dims are merged (Flatten): positions no longer map onto the input's grid. */
  | { readonly kind: 'flatten' }
  /** A Linear layer on flattened features: every output reads every input. */
  | { readonly kind: 'dense' };

/** One step of the receptive-field recurrence along one dim. */
export type AffineStep =
  | { readonly kind: 'identity' }
  | { readonly kind: 'conv'; readonly extent: number; readonly stride: number; readonly padBefore: number }
  | {
      readonly kind: 'transposed';
      readonly extent: number;
      readonly stride: number;
      readonly padBefore: number;
    }
  | { readonly kind: 'global'; readonly inputSize: number };

/** PyTorch's scale for interpolation: 1 / scaleFactor when one was given, else in / out. */
function sourceScale(scaleFactor: number | null, inputSize: number, outputSize: number): number {
  return scaleFactor !== null && scaleFactor > 0 ? 1 / scaleFactor : inputSize / outputSize;
}

/** Cubic convolution weights at distances 1 + t, t, 1 - t, 2 - t (A = -0.75, as PyTorch). */
function cubicWeights(t: number): number[] {
  const A = -0.75;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

function upsampleSources(
  map: Extract<SpatialMap, { kind: 'upsample' }>,
  dim: number,
  unit: number,
): number[] {
  const inputSize = map.inputSpatial[dim]!;
  const outputSize = map.outputSpatial[dim]!;
  const scaleFactor = map.scaleFactors[dim] ?? null;
  const last = inputSize - 1;
  if (map.mode === 'nearest' || map.mode === 'nearest-exact') {
    // PyTorch's nearest_idx: exact copies for 1x and 2x, otherwise float32 arithmetic.
    if (outputSize === inputSize) return [unit];
    if (map.mode === 'nearest' && outputSize === 2 * inputSize) return [unit >> 1];
    const scale = Math.fround(sourceScale(scaleFactor, inputSize, outputSize));
    const position = map.mode === 'nearest' ? Math.fround(unit * scale) : Math.fround((unit + 0.5) * scale);
    return [Math.min(Math.floor(position), last)];
  }
  const cubic = map.mode === 'bicubic';
  let source: number;
  if (map.alignCorners) {
    source = outputSize > 1 ? ((inputSize - 1) / (outputSize - 1)) * unit : 0;
  } else {
    source = sourceScale(scaleFactor, inputSize, outputSize) * (unit + 0.5) - 0.5;
    if (!cubic && source < 0) source = 0;
  }
  const base = Math.floor(source);
  const t = source - base;
  const found = new Set<number>();
  if (cubic) {
    cubicWeights(t).forEach((w, k) => {
      if (w !== 0) found.add(Math.min(Math.max(base - 1 + k, 0), last));
    });
  } else {
    const low = Math.min(base, last);
    if (t !== 1) found.add(low);
    if (t !== 0) found.add(low < last ? low + 1 : low);
  }
  return [...found].sort((a, b) => a - b);
}

/** Adaptive pooling's window for output `unit`: [floor(u * in / out), ceil((u + 1) * in / out)). */
export function adaptiveWindow(inputSize: number, outputSize: number, unit: number): [number, number] {
  return [Math.floor((unit * inputSize) / outputSize), Math.ceil(((unit + 1) * inputSize) / outputSize)];
}

/** The input positions (along `dim`) that output position `unit` reads, ascending, without repeats. */
export function dimSources(map: SpatialMap, dim: number, unit: number): number[] {
  switch (map.kind) {
    case 'pointwise':
      return [unit];
    case 'window': {
      const g = map.geometry;
      const size = g.inputSpatial[dim]!;
      const found = new Set<number>();
      for (let t = 0; t < g.kernelSize[dim]!; t++) {
        const source = paddedIndex(
          unit * g.stride[dim]! - g.padBefore[dim]! + t * g.dilation[dim]!,
          size,
          g.paddingMode,
        );
        if (source >= 0) found.add(source);
      }
      return [...found].sort((a, b) => a - b);
    }
    case 'transposed': {
      const g = map.geometry;
      const found: number[] = [];
      // Input i feeds output i * stride - padBefore + t * dilation, so solve for i.
      for (let t = g.kernelSize[dim]! - 1; t >= 0; t--) {
        const scaled = unit + g.padBefore[dim]! - t * g.dilation[dim]!;
        if (scaled % g.stride[dim]! !== 0) continue;
        const source = scaled / g.stride[dim]!;
        if (source >= 0 && source < g.inputSpatial[dim]!) found.push(source);
      }
      return [...new Set(found)].sort((a, b) => a - b);
    }
    case 'adaptive': {
      const [start, end] = adaptiveWindow(map.inputSpatial[dim]!, map.outputSpatial[dim]!, unit);
      return Array.from({ length: end - start }, (_, k) => start + k);
    }
    case 'upsample':
      return upsampleSources(map, dim, unit);
    case 'global':
      return map.dims.includes(dim) ? Array.from({ length: map.inputSpatial[dim]! }, (_, k) => k) : [unit];
    case 'flatten':
    case 'dense':
      throw new UnsupportedError('dimSources: flattened features have no spatial positions');
  }
}

/** A transposed convolution with kernel k, stride s and left padding p (kernel extent k). */
function transposedStep(kernel: number, stride: number, padBefore: number): AffineStep {
  return { kind: 'transposed', extent: kernel, stride, padBefore };
}

/**
 * The footprint along `dim` as one step of the receptive-field recurrence, or an
 * UnsupportedError (naming `label`) for footprints that no single window describes.
 */
export function affineStep(map: SpatialMap, dim: number, label: string): AffineStep {
  switch (map.kind) {
    case 'pointwise':
      return { kind: 'identity' };
    case 'window':
    case 'transposed': {
      const g = map.geometry;
      return {
        kind: map.kind === 'window' ? 'conv' : 'transposed',
        extent: g.kernelExtent[dim]!,
        stride: g.stride[dim]!,
        padBefore: g.padBefore[dim]!,
      };
    }
    case 'adaptive': {
      const inputSize = map.inputSpatial[dim]!;
      const outputSize = map.outputSpatial[dim]!;
      // Even windows are a pooling window (down) or a nearest copy (up).
      if (inputSize % outputSize === 0) {
        const k = inputSize / outputSize;
        return { kind: 'conv', extent: k, stride: k, padBefore: 0 };
      }
      if (outputSize % inputSize === 0)
        return transposedStep(outputSize / inputSize, outputSize / inputSize, 0);
      throw new UnsupportedError(
        `${label}: adaptive pooling from ${inputSize} to ${outputSize} positions (spatial dim ${dim}) has windows of unequal size, so no single receptive field describes it; use inputCoverage for one unit`,
      );
    }
    case 'upsample': {
      const inputSize = map.inputSpatial[dim]!;
      const outputSize = map.outputSpatial[dim]!;
      if (inputSize === outputSize) return { kind: 'identity' };
      const scale = outputSize / inputSize;
      const factor = map.scaleFactors[dim];
      const integral =
        Number.isInteger(scale) && (factor === null || factor === undefined || factor === scale);
      if (integral && (map.mode === 'nearest' || map.mode === 'nearest-exact')) {
        // Output u copies input floor(u / s): a transposed conv with an s-wide kernel of ones.
        return transposedStep(scale, scale, 0);
      }
      if (
        integral &&
        !map.alignCorners &&
        (map.mode === 'linear' || map.mode === 'bilinear' || map.mode === 'trilinear')
      ) {
        // Input v weighs into outputs u with |u - (s v + (s - 1) / 2)| < s: a transposed
        // conv with a (2s or 2s - 1)-wide tent kernel and left padding floor(s / 2).
        return transposedStep(scale % 2 === 0 ? 2 * scale : 2 * scale - 1, scale, Math.floor(scale / 2));
      }
      throw new UnsupportedError(
        `${label}: ${map.mode} upsampling from ${inputSize} to ${outputSize} positions (spatial dim ${dim}${map.alignCorners ? ', alignCorners' : ''}) is not a regular window; the receptive field is defined for integer scale factors with nearest or (bi/tri)linear modes without alignCorners; use inputCoverage for one unit`,
      );
    }
    case 'global':
      return map.dims.includes(dim)
        ? { kind: 'global', inputSize: map.inputSpatial[dim]! }
        : { kind: 'identity' };
    case 'flatten':
    case 'dense':
      return { kind: 'identity' };
  }
}
