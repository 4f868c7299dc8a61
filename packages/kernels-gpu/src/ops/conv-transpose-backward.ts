/**
 * convTransposeBackward on the GPU: gradInput is the correlation of gradOutput with the
 * weight (the direct correlate kernel, or the implicit GEMM), gradWeight and gradBias are
 * split-K reductions (gradWeight a tiled GEMM with 'implicit-gemm').
 */
import { checkGradOutput, resolveConvTransposeCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import { runOp } from '../op-run';
import { convTransposeBackwardInputProgram } from '../programs/correlate-program';
import { convTransposeBackwardInputGemmProgram } from '../programs/implicit-gemm-program';
import { standIn, standInOptions, type TensorLike } from '../resolve-gpu-call';
import type { GpuConvGradients } from './conv-backward';
import { biasGradient, weightGradient } from './reductions';

export function gpuConvTransposeBackward(
  ctx: GpuContext,
  gradOutput: TensorLike,
  input: TensorLike,
  weight: TensorLike,
  options: unknown,
): GpuConvGradients {
  const op = 'convTransposeBackward';
  const call = resolveConvTransposeCall(op, standIn(input), standIn(weight), standInOptions(options));
  const g = call.geometry;
  checkGradOutput(op, standIn(gradOutput), g.outputShape, `convTranspose${g.dims}d`);
  const algorithm = resolveGpuAlgorithm(op, call.algorithm, g, 'backward', ctx.limits);
  return runOp(ctx, op, (run, ready) => {
    const gy = run.input(gradOutput);
    const x = run.input(input);
    const w = run.input(weight);
    const gx = run.output('gradInput', shapeSize(g.inputShape));
    const gw = run.output('gradWeight', shapeSize(g.weightShape));
    const gb = run.output('gradBias', g.outChannels);
    const inputProgram =
      algorithm === 'implicit-gemm'
        ? convTransposeBackwardInputGemmProgram(g)
        : convTransposeBackwardInputProgram(g);
    run.dispatch(inputProgram, [gy, w, gx]);
    weightGradient(run, g, x, gy, gw, algorithm);
    biasGradient(run, gy, g.batch, g.outChannels, g.outputVolume, g.layout, gb);
    const [gradInput, gradWeight, gradBias] = run.finish(ready, [
      [gx, g.inputShape, g.layout],
      [gw, g.weightShape, null],
      [gb, [g.outChannels], null],
    ]);
    return { gradInput: gradInput!, gradWeight: gradWeight!, gradBias: gradBias! };
  });
}
