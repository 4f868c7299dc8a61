/**
 * convBackward on the GPU: gradInput (the gather kernel; with reflect, replicate or circular
 * padding the gradient of the padded input, folded back by `foldPaddingProgram`), gradWeight
 * and gradBias (split-K reductions). Arguments checked as on the CPU.
 */
import { checkGradOutput, resolveConvCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import type { GpuTensor } from '../gpu-tensor';
import { runOp } from '../op-run';
import { foldPaddingProgram } from '../programs/fold-padding-program';
import { convBackwardInputProgram } from '../programs/gather-transposed-program';
import { convBackwardInputGemmProgram } from '../programs/implicit-gemm-transposed-program';
import { standIn, standInOptions, type TensorLike } from '../resolve-gpu-call';
import { biasGradient, weightGradient } from './reductions';

export interface GpuConvGradients {
  gradInput: GpuTensor;
  gradWeight: GpuTensor;
  gradBias: GpuTensor;
}

export function gpuConvBackward(
  ctx: GpuContext,
  gradOutput: TensorLike,
  input: TensorLike,
  weight: TensorLike,
  options: unknown,
): GpuConvGradients {
  const op = 'convBackward';
  const call = resolveConvCall(op, standIn(input), standIn(weight), standInOptions(options));
  const g = call.geometry;
  checkGradOutput(op, standIn(gradOutput), g.outputShape, `conv${g.dims}d`);
  const algorithm = resolveGpuAlgorithm(op, call.algorithm, g, 'backward', ctx.limits);
  const gemm = algorithm === 'implicit-gemm';
  return runOp(ctx, op, (run, ready) => {
    const gy = run.input(gradOutput);
    const x = run.input(input);
    const w = run.input(weight);
    const gx = run.output('gradInput', shapeSize(g.inputShape));
    const gw = run.output('gradWeight', shapeSize(g.weightShape));
    const gb = run.output('gradBias', g.outChannels);
    if (g.paddingMode === 'zeros') {
      run.dispatch(gemm ? convBackwardInputGemmProgram(g, false) : convBackwardInputProgram(g, false), [
        gy,
        w,
        gx,
      ]);
    } else {
      const paddedVolume = g.inputSpatial.reduce((p, s, d) => p * (s + g.padBefore[d]! + g.padAfter[d]!), 1);
      const gp = run.scratch('padded gradInput', g.batch * g.inChannels * paddedVolume);
      run.dispatch(gemm ? convBackwardInputGemmProgram(g, true) : convBackwardInputProgram(g, true), [
        gy,
        w,
        gp,
      ]);
      run.dispatch(foldPaddingProgram(g), [gp, gx]);
    }
    weightGradient(run, g, gy, x, gw, algorithm);
    biasGradient(run, gy, g.batch, g.outChannels, g.outputVolume, g.layout, gb);
    const [gradInput, gradWeight, gradBias] = run.finish(ready, [
      [gx, g.inputShape, g.layout],
      [gw, g.weightShape, null],
      [gb, [g.outChannels], null],
    ]);
    return { gradInput: gradInput!, gradWeight: gradWeight!, gradBias: gradBias! };
  });
}
