/**
 * deformConvBackward on the GPU: every gradient of deformable convolution with torchvision's
 * rules. The patch gradient colGrad = W^T gradOutput is computed once into a scratch buffer
 * (a tiled GEMM with 'implicit-gemm', as is gradWeight with the sampling fused into its load);
 * gradInput scatters it through the bilinear weights (float atomics), gradOffset and gradMask
 * reduce it over each offset group's channels, gradWeight and gradBias are split-K sums.
 */
import { checkGradOutput, resolveDeformConvCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import type { GpuTensor } from '../gpu-tensor';
import { runOp } from '../op-run';
import {
  deformColumnGradientGemmProgram,
  deformWeightGradientGemmProgram,
  deformWeightGradientGemmSplits,
} from '../programs/deform-backward-gemm-programs';
import {
  deformColumnGradientProgram,
  deformInputGradientProgram,
  deformOffsetGradientProgram,
  deformWeightGradientProgram,
} from '../programs/deform-backward-programs';
import { weightGradientSplits } from '../programs/weight-gradient-program';
import { standIn, standInOptions, type TensorLike, tensorOption } from '../resolve-gpu-call';
import { biasGradient, splitK } from './reductions';

export interface GpuDeformConvGradients {
  gradInput: GpuTensor;
  gradWeight: GpuTensor;
  gradBias: GpuTensor;
  gradOffset: GpuTensor;
  /** null without a mask (DCN v1). */
  gradMask: GpuTensor | null;
}

export function gpuDeformConvBackward(
  ctx: GpuContext,
  gradOutput: TensorLike,
  input: TensorLike,
  weight: TensorLike,
  offset: TensorLike,
  options: unknown,
): GpuDeformConvGradients {
  const op = 'deformConv2dBackward';
  const call = resolveDeformConvCall(
    op,
    standIn(input),
    standIn(weight),
    standIn(offset),
    standInOptions(options),
  );
  const g = call.geometry;
  checkGradOutput(op, standIn(gradOutput), g.outputShape, 'deformConv2d');
  const algorithm = resolveGpuAlgorithm(op, call.algorithm, g, 'backward', ctx.limits);
  const gemm = algorithm === 'implicit-gemm';
  const mask = tensorOption(options, 'mask');
  const hasMask = mask !== null;
  return runOp(ctx, op, (run, ready) => {
    const gy = run.input(gradOutput);
    const x = run.input(input);
    const w = run.input(weight);
    const off = run.input(offset);
    const m = mask ? [run.input(mask)] : [];
    const gx = run.output('gradInput', shapeSize(g.inputShape));
    const gw = run.output('gradWeight', shapeSize(g.weightShape));
    const gb = run.output('gradBias', g.outChannels);
    const gOff = run.output('gradOffset', shapeSize(g.offsetShape!));
    const gMask = hasMask ? [run.output('gradMask', shapeSize(g.maskShape!))] : [];
    const colGrad = run.scratch('patch gradient', g.batch * g.inChannels * g.kernelVolume * g.outputVolume);
    run.dispatch(gemm ? deformColumnGradientGemmProgram(g) : deformColumnGradientProgram(g), [
      gy,
      w,
      colGrad,
    ]);
    run.dispatch(deformInputGradientProgram(g, hasMask), [x, off, ...m, colGrad, gx]);
    run.dispatch(deformOffsetGradientProgram(g, hasMask), [x, off, ...m, colGrad, gOff, ...gMask]);
    const weights = shapeSize(g.weightShape);
    if (gemm) {
      const splits = deformWeightGradientGemmSplits(g);
      splitK(
        run,
        'gradWeight',
        weights,
        splits,
        deformWeightGradientGemmProgram(g, hasMask, splits),
        [x, off, ...m, gy],
        gw,
      );
    } else {
      const splits = weightGradientSplits(weights, g.batch * g.outputVolume);
      splitK(
        run,
        'gradWeight',
        weights,
        splits,
        deformWeightGradientProgram(g, hasMask, splits),
        [x, off, ...m, gy],
        gw,
      );
    }
    biasGradient(run, gy, g.batch, g.outChannels, g.outputVolume, 'channels-first', gb);
    const outputs = run.finish(ready, [
      [gx, g.inputShape, 'channels-first'],
      [gw, g.weightShape, null],
      [gb, [g.outChannels], null],
      [gOff, g.offsetShape!, 'channels-first'],
      ...(hasMask ? [[gMask[0]!, g.maskShape!, 'channels-first'] as const] : []),
    ]);
    return {
      gradInput: outputs[0]!,
      gradWeight: outputs[1]!,
      gradBias: outputs[2]!,
      gradOffset: outputs[3]!,
      gradMask: hasMask ? outputs[4]! : null,
    };
  });
}
