/**
 * The split-K reductions the backward ops share: the weight gradient of a (transposed)
 * convolution and the bias gradient, each written into an output buffer, through a scratch
 * buffer of partial sums when the sum is cut into more than one chunk.
 */
import type { ConvGeometry, Layout } from '@convkit/tensor';
import type { GpuConvAlgorithm } from '../gpu-algorithms';
import type { OpRun } from '../op-run';
import type { GpuProgram } from '../program';
import { biasGradientProgram } from '../programs/bias-gradient-program';
import { sumSplitsProgram } from '../programs/sum-splits-program';
import { weightGradientGemmProgram, weightGradientGemmShape } from '../programs/weight-gradient-gemm-program';
import { weightGradientProgram, weightGradientSplits } from '../programs/weight-gradient-program';

/** Runs `program` (which writes `count * splits` partial sums) and adds the splits into `out`. */
export function splitK(
  run: OpRun,
  what: string,
  count: number,
  splits: number,
  program: GpuProgram,
  inputs: readonly GPUBuffer[],
  out: GPUBuffer,
): void {
  if (splits === 1) {
    run.dispatch(program, [...inputs, out]);
    return;
  }
  const partial = run.scratch(`${what} partial sums`, count * splits);
  run.dispatch(program, [...inputs, partial]);
  run.dispatch(sumSplitsProgram(count, splits), [partial, out]);
}

/** gradWeight of conv (a = gradOutput, b = input) or convTranspose (a = input, b = gradOutput). */
export function weightGradient(
  run: OpRun,
  geometry: ConvGeometry,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  algorithm: GpuConvAlgorithm,
): void {
  const count = geometry.weightShape.reduce((p, d) => p * d, 1);
  if (algorithm === 'implicit-gemm') {
    const { splits } = weightGradientGemmShape(geometry);
    splitK(run, 'gradWeight', count, splits, weightGradientGemmProgram(geometry, splits), [a, b], out);
    return;
  }
  const aVolume = geometry.transposed ? geometry.inputVolume : geometry.outputVolume;
  const splits = weightGradientSplits(count, geometry.batch * aVolume);
  splitK(run, 'gradWeight', count, splits, weightGradientProgram(geometry, splits), [a, b], out);
}

/** gradBias [C] = gradOutput summed over the batch and `volume` positions. */
export function biasGradient(
  run: OpRun,
  gradOutput: GPUBuffer,
  batch: number,
  channels: number,
  volume: number,
  layout: Layout,
  out: GPUBuffer,
): void {
  const splits = weightGradientSplits(channels, batch * volume);
  splitK(
    run,
    'gradBias',
    channels,
    splits,
    biasGradientProgram(batch, channels, volume, layout, splits),
    [gradOutput],
    out,
  );
}
