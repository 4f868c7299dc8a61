/**
 * liftGeometry: the GPU kernels are written once, for three spatial dims (D, H, W). A 1-D or
 * 2-D geometry becomes 3-D by leading spatial dims of size 1 with kernel 1, stride 1,
 * dilation 1 and no padding, which leaves every sum unchanged. Also gives the element
 * strides of an activation tensor stored contiguously in either layout, so one kernel reads
 * and writes channels-first and channels-last tensors alike.
 */
import type { ConvGeometry, Layout } from '@convkit/tensor';

export type Triple = readonly [number, number, number];

export interface LiftedGeometry {
  readonly inputSize: Triple;
  readonly outputSize: Triple;
  readonly kernelSize: Triple;
  readonly stride: Triple;
  readonly dilation: Triple;
  readonly padBefore: Triple;
  readonly padAfter: Triple;
}

function lift(values: readonly number[], fill: number): Triple {
  const padded = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [padded[0]!, padded[1]!, padded[2]!];
}

export function liftGeometry(geometry: ConvGeometry): LiftedGeometry {
  return {
    inputSize: lift(geometry.inputSpatial, 1),
    outputSize: lift(geometry.outputSpatial, 1),
    kernelSize: lift(geometry.kernelSize, 1),
    stride: lift(geometry.stride, 1),
    dilation: lift(geometry.dilation, 1),
    padBefore: lift(geometry.padBefore, 0),
    padAfter: lift(geometry.padAfter, 0),
  };
}

/** Element strides [n, c, d, h, w] of a contiguous activation [N, C, ...s] or [N, ...s, C]. */
export type ActivationStrides = readonly [number, number, number, number, number];

export function activationStrides(layout: Layout, channels: number, spatial: Triple): ActivationStrides {
  const [d, h, w] = spatial;
  if (layout === 'channels-first') return [channels * d * h * w, d * h * w, h * w, w, 1];
  return [channels * d * h * w, 1, h * w * channels, w * channels, channels];
}

/** Uniform entries `${prefix}N`, `${prefix}C`, `${prefix}D`, `${prefix}H`, `${prefix}W` for strides. */
export function strideUniforms(prefix: string, strides: ActivationStrides): [string, number][] {
  return ['N', 'C', 'D', 'H', 'W'].map((axis, i) => [`${prefix}${axis}`, strides[i]!] as [string, number]);
}

/** Uniform entries `${prefix}D`, `${prefix}H`, `${prefix}W` for a triple. */
export function tripleUniforms(prefix: string, values: Triple): [string, number][] {
  return ['D', 'H', 'W'].map((axis, i) => [`${prefix}${axis}`, values[i]!] as [string, number]);
}
