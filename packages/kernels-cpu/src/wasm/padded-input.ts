/**
 * Padding modes for kernels that only pad with zeros: PyTorch's own route (F.pad, then a
 * convolution without padding). `paddedGeometry` is the same convolution on the explicitly
 * padded input with no padding left; `padInput` materialises that input (each padded position
 * reads `paddedIndex`), and `foldPaddedGradient` is its adjoint: a gradient with respect to
 * the padded input summed back onto the positions each padded position read.
 */
import { type ConvGeometry, convGeometry, paddedIndex } from '@convkit/tensor';

/** The geometry of `geometry` run on its explicitly padded input, with zero padding. */
export function paddedGeometry(geometry: ConvGeometry): ConvGeometry {
  return convGeometry({
    op: geometry.op,
    batch: geometry.batch,
    inChannels: geometry.inChannels,
    outChannels: geometry.outChannels,
    inputSpatial: geometry.inputSpatial.map(
      (size, d) => size + geometry.padBefore[d]! + geometry.padAfter[d]!,
    ),
    kernelSize: geometry.kernelSize,
    stride: geometry.stride,
    dilation: geometry.dilation,
    groups: geometry.groups,
  });
}

/** Per spatial dim, the source index of every padded position (-1: a zero). */
function sourceIndices(geometry: ConvGeometry): number[][] {
  return geometry.inputSpatial.map((size, d) => {
    const before = geometry.padBefore[d]!;
    const length = size + before + geometry.padAfter[d]!;
    return Array.from({ length }, (_, p) => paddedIndex(p - before, size, geometry.paddingMode));
  });
}

/** 3-D view of 1-3-D index lists: leading dims of one position. */
function as3d(lists: number[][]): number[][] {
  return [...Array.from({ length: 3 - lists.length }, () => [0]), ...lists];
}

/**
 * Visits every (padded position, source position) pair of one channel plane, as flat offsets
 * into the padded and the original plane; source -1 for a zero of the padding.
 */
function forEachPaddedPosition(
  geometry: ConvGeometry,
  visit: (padded: number, source: number) => void,
): void {
  const [ds, hs, ws] = as3d(sourceIndices(geometry)) as [number[], number[], number[]];
  const [, inH, inW] = [1, 1, 1, ...geometry.inputSpatial].slice(-3) as [number, number, number];
  let padded = 0;
  for (const sd of ds) {
    for (const sh of hs) {
      for (const sw of ws) {
        visit(padded++, sd < 0 || sh < 0 || sw < 0 ? -1 : (sd * inH + sh) * inW + sw);
      }
    }
  }
}

/** input [N, C, ...in] -> [N, C, ...in + padBefore + padAfter], filled as F.pad does. */
export function padInput(input: Float32Array, geometry: ConvGeometry): Float32Array {
  const planes = geometry.batch * geometry.inChannels;
  const inVolume = geometry.inputVolume;
  const pairs: number[] = [];
  forEachPaddedPosition(geometry, (padded, source) => pairs.push(padded, source));
  const paddedVolume = pairs.length / 2;
  const out = new Float32Array(planes * paddedVolume);
  for (let plane = 0; plane < planes; plane++) {
    const src = plane * inVolume;
    const dst = plane * paddedVolume;
    for (let i = 0; i < pairs.length; i += 2) {
      const source = pairs[i + 1]!;
      if (source >= 0) out[dst + pairs[i]!] = input[src + source]!;
    }
  }
  return out;
}

/** The adjoint of padInput: gradPadded [N, C, ...padded] -> gradInput [N, C, ...in]. */
export function foldPaddedGradient(gradPadded: Float32Array, geometry: ConvGeometry): Float32Array {
  const planes = geometry.batch * geometry.inChannels;
  const inVolume = geometry.inputVolume;
  const pairs: number[] = [];
  forEachPaddedPosition(geometry, (padded, source) => pairs.push(padded, source));
  const paddedVolume = pairs.length / 2;
  const out = new Float32Array(planes * inVolume);
  for (let plane = 0; plane < planes; plane++) {
    const src = plane * paddedVolume;
    const dst = plane * inVolume;
    for (let i = 0; i < pairs.length; i += 2) {
      const source = pairs[i + 1]!;
      if (source >= 0) out[dst + source] += gradPadded[src + pairs[i]!]!;
    }
  }
  return out;
}
