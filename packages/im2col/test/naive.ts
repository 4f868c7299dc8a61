/**
 * Test oracles for @convkit/im2col, written the slow, obvious way in float64 and sharing no
 * code with the package: padding modes by their periodic definitions, unfold and the
 * convolutions by one multi-index loop per formula. Sizes come from convGeometry (the one
 * place shape arithmetic lives); everything else is recomputed here.
 */
import {
  type ConvGeometry,
  ConvkitError,
  convGeometry,
  type PaddingMode,
  type Rng,
  type Tensor,
} from '@convkit/tensor';

/** Every multi-index of `shape` in C order. */
export function* multiIndices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((s) => s === 0)) return;
  const index = new Array<number>(shape.length).fill(0);
  while (true) {
    yield [...index];
    let d = shape.length - 1;
    while (d >= 0 && ++index[d]! === shape[d]!) index[d--] = 0;
    if (d < 0) return;
  }
}

/** C-order flat index. */
export function flatIndex(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + index[d]!;
  return flat;
}

/** The input index a padded position reads (-1: zero), by the periodic definition of each mode. */
export function naiveSource(mode: PaddingMode, position: number, size: number): number {
  switch (mode) {
    case 'zeros':
      return position < 0 || position >= size ? -1 : position;
    case 'replicate':
      return Math.min(Math.max(position, 0), size - 1);
    case 'circular':
      return ((position % size) + size) % size;
    case 'reflect': {
      if (size === 1) return 0;
      const period = 2 * (size - 1);
      const m = ((position % period) + period) % period;
      return m < size ? m : period - m;
    }
  }
}

/** Where tap `tap` of output position `out` reads, per dim, or null for a zero. */
function sourceOf(geometry: ConvGeometry, out: readonly number[], tap: readonly number[]): number[] | null {
  const source: number[] = [];
  for (let d = 0; d < geometry.dims; d++) {
    const position = out[d]! * geometry.stride[d]! - geometry.padBefore[d]! + tap[d]! * geometry.dilation[d]!;
    const s = naiveSource(geometry.paddingMode, position, geometry.inputSpatial[d]!);
    if (s < 0) return null;
    source.push(s);
  }
  return source;
}

/** torch unfold of channels-first x ([N, C, ...spatial]) as float64 [N, C * prod(k), L]. */
export function naiveUnfold(x: Tensor, geometry: ConvGeometry): Float64Array {
  const [batch, channels] = x.shape as [number, number];
  const kernelVolume = geometry.kernelVolume;
  const length = geometry.outputVolume;
  const out = new Float64Array(batch * channels * kernelVolume * length);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      for (const tap of multiIndices(geometry.kernelSize)) {
        const row = c * kernelVolume + flatIndex(tap, geometry.kernelSize);
        for (const o of multiIndices(geometry.outputSpatial)) {
          const source = sourceOf(geometry, o, tap);
          const value = source ? x.get(n, c, ...source) : 0;
          out[(n * channels * kernelVolume + row) * length + flatIndex(o, geometry.outputSpatial)] = value;
        }
      }
    }
  }
  return out;
}

/** Convolution of channels-first x with weight [C_out, C_in/g, ...k] as float64 [N, C_out, ...out]. */
export function naiveConv(
  x: Tensor,
  weight: Tensor,
  geometry: ConvGeometry,
  bias?: Tensor | null,
): Float64Array {
  const { batch, outChannels, inChannelsPerGroup, outChannelsPerGroup, outputVolume } = geometry;
  const out = new Float64Array(batch * outChannels * outputVolume);
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outChannels; co++) {
      const group = Math.floor(co / outChannelsPerGroup);
      for (const o of multiIndices(geometry.outputSpatial)) {
        let sum = bias ? bias.get(co) : 0;
        for (let cl = 0; cl < inChannelsPerGroup; cl++) {
          for (const tap of multiIndices(geometry.kernelSize)) {
            const source = sourceOf(geometry, o, tap);
            if (source)
              sum += weight.get(co, cl, ...tap) * x.get(n, group * inChannelsPerGroup + cl, ...source);
          }
        }
        out[(n * outChannels + co) * outputVolume + flatIndex(o, geometry.outputSpatial)] = sum;
      }
    }
  }
  return out;
}

/** Transposed convolution (scatter form) of channels-first x with weight [C_in, C_out/g, ...k]. */
export function naiveConvTranspose(x: Tensor, weight: Tensor, geometry: ConvGeometry): Float64Array {
  const { batch, inChannels, outChannels, inChannelsPerGroup, outChannelsPerGroup, outputVolume } = geometry;
  const out = new Float64Array(batch * outChannels * outputVolume);
  for (let n = 0; n < batch; n++) {
    for (let ci = 0; ci < inChannels; ci++) {
      const group = Math.floor(ci / inChannelsPerGroup);
      for (const i of multiIndices(geometry.inputSpatial)) {
        const value = x.get(n, ci, ...i);
        for (let cl = 0; cl < outChannelsPerGroup; cl++) {
          const co = group * outChannelsPerGroup + cl;
          for (const tap of multiIndices(geometry.kernelSize)) {
            const target = i.map(
              (v, d) => v * geometry.stride[d]! - geometry.padBefore[d]! + tap[d]! * geometry.dilation[d]!,
            );
            if (target.some((t, d) => t < 0 || t >= geometry.outputSpatial[d]!)) continue;
            out[(n * outChannels + co) * outputVolume + flatIndex(target, geometry.outputSpatial)] +=
              weight.get(ci, cl, ...tap) * value;
          }
        }
      }
    }
  }
  return out;
}

/** Sum of products in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * y = M x over M's non-zero entries only. C's zeros are structural (the kernel does not cover
 * that input), so a NaN or infinity in x must not leak into outputs whose windows miss it,
 * exactly as in the convolution.
 */
export function sparseMatVec(matrix: Tensor, x: ArrayLike<number>, transpose = false): Float64Array {
  const [rows, cols] = matrix.shape as [number, number];
  const m = matrix.toFloat32Array();
  const y = new Float64Array(transpose ? cols : rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = m[r * cols + c]!;
      if (v === 0) continue;
      if (transpose) y[c] += v * x[r]!;
      else y[r] += v * x[c]!;
    }
  }
  return y;
}

/** Applies a per-sample matrix to every sample of a [N, ...] tensor and adds a channel bias. */
export function applyPerSample(
  matrix: Tensor,
  x: Tensor,
  bias: Tensor | undefined,
  outChannels: number,
  transpose = false,
): Float64Array {
  const batch = x.shape[0]!;
  const flat = x.toFloat32Array();
  const inSize = flat.length / batch;
  const outSize = matrix.shape[transpose ? 1 : 0]!;
  const out = new Float64Array(batch * outSize);
  const perChannel = outSize / outChannels;
  for (let n = 0; n < batch; n++) {
    const y = sparseMatVec(matrix, flat.subarray(n * inSize, (n + 1) * inSize), transpose);
    for (let i = 0; i < outSize; i++)
      out[n * outSize + i] = y[i]! + (bias ? bias.get(Math.floor(i / perChannel)) : 0);
  }
  return out;
}

export interface RandomGeometryOptions {
  dims?: 1 | 2 | 3;
  maxGroups?: number;
  modes?: readonly PaddingMode[];
  batch?: number;
  maxSpatial?: number;
}

/** A valid random convolution geometry: small sizes, every padding form and mode. */
export function randomGeometry(rng: Rng, options: RandomGeometryOptions = {}): ConvGeometry {
  for (;;) {
    const dims = options.dims ?? (rng.int(1, 3) as 1 | 2 | 3);
    const groups = rng.int(1, options.maxGroups ?? 1);
    const per = (low: number, high: number) => Array.from({ length: dims }, () => rng.int(low, high));
    const maxSpatial = options.maxSpatial ?? (dims === 3 ? 4 : dims === 2 ? 6 : 9);
    const paddingForm = rng.int(0, 4);
    const padding =
      paddingForm === 0
        ? rng.int(0, 2)
        : paddingForm === 1
          ? per(0, 2)
          : paddingForm === 2
            ? Array.from({ length: dims }, () => [rng.int(0, 2), rng.int(0, 2)] as [number, number])
            : paddingForm === 3
              ? ('same' as const)
              : ('valid' as const);
    try {
      return convGeometry({
        batch: options.batch ?? rng.int(1, 2),
        inChannels: groups * rng.int(1, 2),
        outChannels: groups * rng.int(1, 2),
        groups,
        inputSpatial: per(1, maxSpatial),
        kernelSize: per(1, 3),
        stride: per(1, 3),
        dilation: per(1, 2),
        padding,
        paddingMode: rng.pick(options.modes ?? ['zeros', 'reflect', 'replicate', 'circular']),
      });
    } catch (error) {
      // Draws that have no valid output (kernel wider than the padded input...) are redrawn.
      if (!ConvkitError.isInstance(error)) throw error;
    }
  }
}

/** The convkit options object that reproduces a geometry's hyper-parameters. */
export function optionsOf(geometry: ConvGeometry) {
  return {
    kernelSize: [...geometry.kernelSize],
    stride: [...geometry.stride],
    dilation: [...geometry.dilation],
    padding: geometry.padBefore.map((b, d) => [b, geometry.padAfter[d]!] as [number, number]),
    paddingMode: geometry.paddingMode,
  };
}
