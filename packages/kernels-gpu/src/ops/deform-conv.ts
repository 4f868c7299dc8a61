/**
 * deformConv on the GPU: torchvision.ops.deform_conv2d (DCN v1, and v2 with a mask), checked
 * by `resolveDeformConvCall` as on the CPU; bilinear sampling fused into the direct kernel's
 * loop or into the tiled GEMM's load of A ('implicit-gemm').
 */
import { resolveDeformConvCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import type { GpuTensor } from '../gpu-tensor';
import { runOp } from '../op-run';
import { deformForwardProgram } from '../programs/deform-forward-program';
import { deformGemmProgram } from '../programs/deform-gemm-program';
import { standIn, standInOptions, type TensorLike, tensorOption } from '../resolve-gpu-call';

export function gpuDeformConv(
  ctx: GpuContext,
  input: TensorLike,
  weight: TensorLike,
  offset: TensorLike,
  options: unknown,
): GpuTensor {
  const op = 'deformConv2d';
  const call = resolveDeformConvCall(
    op,
    standIn(input),
    standIn(weight),
    standIn(offset),
    standInOptions(options),
  );
  const g = call.geometry;
  const algorithm = resolveGpuAlgorithm(op, call.algorithm, g, 'forward', ctx.limits);
  const bias = tensorOption(options, 'bias');
  const mask = tensorOption(options, 'mask');
  return runOp(ctx, op, (run, ready) => {
    const buffers = [run.input(input), run.input(weight), run.input(offset)];
    if (mask) buffers.push(run.input(mask));
    if (bias) buffers.push(run.input(bias));
    const y = run.output('output', shapeSize(g.outputShape));
    const program =
      algorithm === 'implicit-gemm'
        ? deformGemmProgram(g, mask !== null, bias !== null)
        : deformForwardProgram(g, mask !== null, bias !== null);
    run.dispatch(program, [...buffers, y]);
    return run.finish(ready, [[y, g.outputShape, 'channels-first']])[0]!;
  });
}
