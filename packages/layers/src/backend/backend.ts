/**
 * Backend: the kernels a model needs, on plain Tensors (values in, fresh values out; no
 * autograd). The autograd ops in `functional/` call only these, so another backend (the GPU
 * package) runs the same modules by providing the same functions. `cpuBackend` is convkit's
 * CPU implementation: the convolutions of @convkit/kernels-cpu (their 'auto' algorithm) and
 * the loops in `cpu/`.
 */
import type {
  ConvBackwardGradientOptions,
  ConvGradients,
  ConvOptions,
  ConvTransposeOptions,
  DeformConvGradients,
  DeformConvOptions,
  PartialConvGradients,
} from '@convkit/kernels-cpu';
import type { ConvGeometry, Tensor } from '@convkit/tensor';
import type { BinaryKind, UnaryKind } from '../cpu/elementwise';
import type { LinearGradients } from '../cpu/linear';
import type { BceGradients } from '../cpu/losses';
import type {
  BatchNormForward,
  BatchNormGradients,
  ChannelStats,
  NormalizedRows,
} from '../cpu/normalization';
import type { AvgPoolOptions, MaxPoolResult } from '../cpu/pooling';

export interface Backend {
  readonly name: string;
  // Convolutions (options as @convkit/kernels-cpu's ops).
  conv(input: Tensor, weight: Tensor, options: ConvOptions): Tensor;
  /** `gradients.inputGradient: false` (an input that needs no gradient): gradInput may be null. */
  convBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options: ConvOptions,
    gradients?: ConvBackwardGradientOptions,
  ): PartialConvGradients;
  convTranspose(input: Tensor, weight: Tensor, options: ConvTransposeOptions): Tensor;
  convTransposeBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options: ConvTransposeOptions,
  ): ConvGradients;
  deformConv(input: Tensor, weight: Tensor, offset: Tensor, options: DeformConvOptions): Tensor;
  deformConvBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    offset: Tensor,
    options: DeformConvOptions,
  ): DeformConvGradients;
  // Dense algebra.
  matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor;
  /** x [rows, in] W^T + b, W [out, in]; and its three gradients. */
  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor;
  linearBackward(gradOutput: Tensor, x: Tensor, weight: Tensor): LinearGradients;
  // Element-wise.
  unary(kind: UnaryKind, input: Tensor, param: number): Tensor;
  unaryBackward(kind: UnaryKind, input: Tensor, output: Tensor, gradOutput: Tensor, param: number): Tensor;
  /** Optional: unaryBackward written over gradOutput's memory (contiguous and whole); false when not done. */
  unaryBackwardInPlace?(
    kind: UnaryKind,
    input: Tensor,
    output: Tensor,
    gradOutput: Tensor,
    param: number,
  ): boolean;
  /** Optional: y = f(x) written over x's own memory (x contiguous and whole); false when not done. */
  unaryInPlace?(kind: UnaryKind, input: Tensor, param: number): boolean;
  affine(input: Tensor, scale: number, shift: number): Tensor;
  binary(kind: BinaryKind, a: Tensor, b: Tensor): Tensor;
  sumToShape(input: Tensor, shape: readonly number[]): Tensor;
  broadcastTo(input: Tensor, shape: readonly number[]): Tensor;
  /** A contiguous copy of any view (permute, slice), and a strided write into a view. */
  contiguous(input: Tensor): Tensor;
  assignInto(target: Tensor, source: Tensor): void;
  // Softmax.
  softmax(input: Tensor, dim: number, log: boolean): Tensor;
  softmaxBackward(gradOutput: Tensor, output: Tensor, dim: number, log: boolean): Tensor;
  // Pooling (geometry from convGeometry with groups = channels).
  maxPool(input: Tensor, geometry: ConvGeometry): MaxPoolResult;
  maxPoolBackward(gradOutput: Tensor, argmax: Int32Array, geometry: ConvGeometry): Tensor;
  avgPool(input: Tensor, geometry: ConvGeometry, options: AvgPoolOptions): Tensor;
  avgPoolBackward(gradOutput: Tensor, geometry: ConvGeometry, options: AvgPoolOptions): Tensor;
  adaptiveAvgPool(input: Tensor, outputSpatial: readonly number[]): Tensor;
  adaptiveAvgPoolBackward(gradOutput: Tensor, inputShape: readonly number[]): Tensor;
  // Normalisation.
  batchNormStats(input: Tensor): ChannelStats;
  /**
   * Optional: batchNormStats, invstd = 1 / sqrt(variance + eps), then batchNormApply, in one
   * call (the CPU reads the input once less). Without it the op makes the two calls.
   */
  batchNormForward?(input: Tensor, eps: number, weight: Tensor | null, bias: Tensor | null): BatchNormForward;
  batchNormApply(
    input: Tensor,
    mean: Float64Array,
    invstd: Float64Array,
    weight: Tensor | null,
    bias: Tensor | null,
  ): Tensor;
  batchNormBackward(
    gradOutput: Tensor,
    input: Tensor,
    mean: Float64Array,
    invstd: Float64Array,
    weight: Tensor | null,
    training: boolean,
    /** Write gradInput over gradOutput (the caller may overwrite it) where the backend can. */
    overwriteGradOutput?: boolean,
  ): BatchNormGradients;
  normalizeRows(input: Tensor, rows: number, eps: number): NormalizedRows;
  normalizeRowsBackward(gradOutput: Tensor, output: Tensor, invstd: Float64Array): Tensor;
  // Resampling.
  upsampleNearest(input: Tensor, outputSpatial: readonly number[], scales: readonly number[]): Tensor;
  upsampleNearestBackward(
    gradOutput: Tensor,
    inputShape: readonly number[],
    scales: readonly number[],
  ): Tensor;
  upsampleBilinear(
    input: Tensor,
    outputSpatial: readonly number[],
    scales: readonly number[],
    alignCorners: boolean,
  ): Tensor;
  upsampleBilinearBackward(
    gradOutput: Tensor,
    inputShape: readonly number[],
    scales: readonly number[],
    alignCorners: boolean,
  ): Tensor;
  // Losses.
  /** -logProbs [N, C, ...] at each target id ([N, ...]; 0 where the id is ignoreIndex). */
  nllPick(logProbs: Tensor, ids: Float32Array, ignoreIndex: number): Tensor;
  nllPickBackward(
    gradOutput: Tensor,
    ids: Float32Array,
    ignoreIndex: number,
    inputShape: readonly number[],
  ): Tensor;
  bceWithLogits(logits: Tensor, target: Tensor): Tensor;
  bceWithLogitsBackward(gradOutput: Tensor, logits: Tensor, target: Tensor): BceGradients;
  /** running = (1 - momentum) * running + momentum * batch, per channel, in place. */
  updateRunningStat(running: Tensor, batch: Float64Array, momentum: number): void;
  // Lookup.
  embeddingLookup(table: Tensor, ids: Tensor): Tensor;
  embeddingBackward(gradOutput: Tensor, ids: Tensor, tableShape: readonly number[]): Tensor;
  // Memory.
  /**
   * Optional: the autograd engine is done with this gradient and nothing else holds its
   * memory; the backend may reuse that memory for a later result (the CPU one recycles the
   * buffers of its backward kernels).
   */
  release?(gradient: Tensor): void;
  /**
   * Optional: nothing will read this argmax of `maxPool` again (its node was dropped after a
   * backward pass without retainGraph, or nothing was recorded); the CPU backend recycles it.
   */
  releaseArgmax?(argmax: Int32Array): void;
}
