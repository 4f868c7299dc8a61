/**
 * deformConv on the GPU: torchvision.ops.deform_conv2d (DCN v1, and v2 with a mask), checked
 * by `resolveDeformConvCall` as on the CPU; bilinear sampling fused into the direct kernel's
 * loop or into the tiled GEMM's load of A ('implicit-gemm').
 */
import { resolveDeformConvCall, shapeSize } from '@convkit/tensor';
import { resolveGpuAlgorithm } from '../gpu-algorithms';
import type { GpuContext } from '../gpu-context';
import type { GpuTensor } from '../gpu-tensor';
import { runOp, sampleRange } from '../op-run';
import { deformForwardProgram } from '../programs/deform-forward-program';
import { deformGemmProgram } from '../programs/deform-gemm-program';
import { standIn, standInOptions, type TensorLike, tensorOption } from '../resolve-gpu-call';
import { sampleChunks } from './sample-chunks';

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
    const x = run.input(input);
    const w = run.input(weight);
    const off = run.input(offset);
    const m = mask ? run.input(mask) : null;
    const b = bias ? run.input(bias) : null;
    const y = run.output('output', shapeSize(g.outputShape));
    const taps = g.offsetGroups * g.kernelVolume;
    const bytes = {
      input: 4 * g.inChannels * g.inputVolume,
      offset: 4 * 2 * taps * g.outputVolume,
      mask: 4 * taps * g.outputVolume,
      output: 4 * g.outChannels * g.outputVolume,
    };
    const perSample: [string, number][] = [
      ['input', bytes.input],
      ['offset', bytes.offset],
      ...(m ? [['mask', bytes.mask] as [string, number]] : []),
      ['output', bytes.output],
    ];
    // Samples in chunks when the activations are too large to bind whole.
    for (const chunk of sampleChunks(ctx, op, g, perSample)) {
      const range = (buffer: GPUBuffer, sampleBytes: number) =>
        sampleRange(buffer, chunk.start, chunk.count, sampleBytes);
      const program =
        algorithm === 'implicit-gemm'
          ? deformGemmProgram(chunk.geometry, m !== null, b !== null)
          : deformForwardProgram(chunk.geometry, m !== null, b !== null);
      run.dispatch(program, [
        range(x, bytes.input),
        w,
        range(off, bytes.offset),
        ...(m ? [range(m, bytes.mask)] : []),
        ...(b ? [b] : []),
        range(y, bytes.output),
      ]);
    }
    return run.finish(ready, [[y, g.outputShape, 'channels-first']])[0]!;
  });
}
