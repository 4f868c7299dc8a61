/**
 * The option objects of the GPU ops: the CPU ops' options (same names, same meanings), with
 * the bias and mask allowed to be GpuTensors and the GPU's own algorithm names.
 */
import type { Layout, Padding, Tensor } from '@convkit/tensor';
import type { GpuConvAlgorithm } from './gpu-algorithms';
import type { GpuTensor } from './gpu-tensor';

export type GpuAlgorithmOption = 'auto' | GpuConvAlgorithm;

export interface GpuConvOptions {
  bias?: Tensor | GpuTensor | null;
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
  layout?: Layout;
  algorithm?: GpuAlgorithmOption;
}

export interface GpuConvTransposeOptions {
  bias?: Tensor | GpuTensor | null;
  stride?: number | readonly number[];
  padding?: number | readonly number[] | readonly (readonly [number, number])[] | 'valid';
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  paddingMode?: 'zeros';
  layout?: Layout;
  algorithm?: GpuAlgorithmOption;
}

export interface GpuDeformConvOptions {
  bias?: Tensor | GpuTensor | null;
  mask?: Tensor | GpuTensor | null;
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  algorithm?: GpuAlgorithmOption;
}
