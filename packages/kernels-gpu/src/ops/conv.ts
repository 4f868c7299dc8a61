/**
 * conv on the GPU: PyTorch's torch.nn.functional.conv{1,2,3}d (padding modes included), the
 * arguments checked by `resolveConvCall` as on the CPU, the output a GpuTensor in the
 * input's layout.
 */
import { resolveConvCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import type { GpuTensor } from '../gpu-tensor';
import { runOp, sampleRange } from '../op-run';
import { convForwardProgram } from '../programs/correlate-program';
import { depthwiseConvProgram } from '../programs/depthwise-program';
import { implicitGemmConvProgram } from '../programs/implicit-gemm-program';
import { standIn, standInOptions, type TensorLike, tensorOption } from '../resolve-gpu-call';
import { sampleChunks } from './sample-chunks';

export function gpuConv(
  ctx: GpuContext,
  op: string,
  input: TensorLike,
  weight: TensorLike,
  options: unknown,
  dims?: 1 | 2 | 3,
): GpuTensor {
  const call = resolveConvCall(op, standIn(input), standIn(weight), standInOptions(options), dims);
  const geometry = call.geometry;
  const algorithm = resolveGpuAlgorithm(op, call.algorithm, geometry, 'forward', ctx.limits);
  const bias = tensorOption(options, 'bias');
  return runOp(ctx, op, (run, ready) => {
    const x = run.input(input);
    const w = run.input(weight);
    const b = bias ? run.input(bias) : null;
    const y = run.output('output', shapeSize(geometry.outputShape));
    const hasBias = b !== null;
    const inBytes = 4 * geometry.inChannels * geometry.inputVolume;
    const outBytes = 4 * geometry.outChannels * geometry.outputVolume;
    // Samples in chunks when the activations are too large to bind whole.
    for (const chunk of sampleChunks(ctx, op, geometry, [
      ['input', inBytes],
      ['output', outBytes],
    ])) {
      const g = chunk.geometry;
      const program =
        algorithm === 'implicit-gemm'
          ? implicitGemmConvProgram(g, hasBias)
          : algorithm === 'depthwise'
            ? depthwiseConvProgram(g, hasBias)
            : convForwardProgram(g, hasBias);
      const xs = sampleRange(x, chunk.start, chunk.count, inBytes);
      const ys = sampleRange(y, chunk.start, chunk.count, outBytes);
      run.dispatch(program, b ? [xs, w, b, ys] : [xs, w, ys]);
    }
    return run.finish(ready, [[y, geometry.outputShape, geometry.layout]])[0]!;
  });
}
