/**
 * convTranspose on the GPU: PyTorch's torch.nn.functional.conv_transpose{1,2,3}d, checked by
 * `resolveConvTransposeCall` as on the CPU; the direct gather kernel (no zero-stuffed input).
 */
import { resolveConvTransposeCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import type { GpuTensor } from '../gpu-tensor';
import { runOp, sampleRange } from '../op-run';
import { convTransposeForwardProgram } from '../programs/gather-transposed-program';
import { convTransposeGemmProgram } from '../programs/implicit-gemm-transposed-program';
import { standIn, standInOptions, type TensorLike, tensorOption } from '../resolve-gpu-call';
import { sampleChunks } from './sample-chunks';

export function gpuConvTranspose(
  ctx: GpuContext,
  op: string,
  input: TensorLike,
  weight: TensorLike,
  options: unknown,
  dims?: 1 | 2 | 3,
): GpuTensor {
  const call = resolveConvTransposeCall(op, standIn(input), standIn(weight), standInOptions(options), dims);
  const geometry = call.geometry;
  const algorithm = resolveGpuAlgorithm(op, call.algorithm, geometry, 'forward', ctx.limits);
  const bias = tensorOption(options, 'bias');
  return runOp(ctx, op, (run, ready) => {
    const x = run.input(input);
    const w = run.input(weight);
    const b = bias ? run.input(bias) : null;
    const y = run.output('output', shapeSize(geometry.outputShape));
    const inBytes = 4 * geometry.inChannels * geometry.inputVolume;
    const outBytes = 4 * geometry.outChannels * geometry.outputVolume;
    for (const chunk of sampleChunks(ctx, op, geometry, [
      ['input', inBytes],
      ['output', outBytes],
    ])) {
      const xs = sampleRange(x, chunk.start, chunk.count, inBytes);
      const ys = sampleRange(y, chunk.start, chunk.count, outBytes);
      run.dispatch(
        algorithm === 'implicit-gemm'
          ? convTransposeGemmProgram(chunk.geometry, b !== null)
          : convTransposeForwardProgram(chunk.geometry, b !== null),
        b ? [xs, w, b, ys] : [xs, w, ys],
      );
    }
    return run.finish(ready, [[y, geometry.outputShape, geometry.layout]])[0]!;
  });
}
