/**
 * cpuBackend: the Backend of @convkit/kernels-cpu's convolutions and the TypeScript loops in
 * cpu/. Its activation-sized results (conv outputs, conv input gradients, the linear layers'
 * and matmul's products, the element-wise, batch-norm and pooling results) are recycled
 * buffers: the engine's `release` gives them back once nothing reads them.
 */
import {
  conv,
  convBackward,
  convInto,
  convTranspose,
  convTransposeBackward,
  deformConv,
  deformConvBackward,
} from '@convkit/kernels-cpu';
import type { Tensor } from '@convkit/tensor';
import {
  affine,
  binary,
  broadcastTo,
  sumToShape,
  unary,
  unaryBackward,
  unaryBackwardInPlace,
  unaryInPlace,
} from '../cpu/elementwise';
import { embeddingBackward, embeddingLookup } from '../cpu/gather';
import { linearBackward, linearForward } from '../cpu/linear';
import { bceWithLogits, bceWithLogitsBackward, nllPick, nllPickBackward } from '../cpu/losses';
import { matmul } from '../cpu/matmul';
import {
  batchNormApply,
  batchNormBackward,
  batchNormForward,
  batchNormStats,
  normalizeRows,
  normalizeRowsBackward,
  updateRunningStat,
} from '../cpu/normalization';
import {
  adaptiveAvgPool,
  adaptiveAvgPoolBackward,
  avgPool,
  avgPoolBackward,
  maxPool,
  maxPoolBackward,
} from '../cpu/pooling';
import { releaseBuffer, releaseIndices } from '../cpu/recycled-buffers';
import { type ConvIntoOps, recycledConv, recycledConvBackward } from '../cpu/recycled-conv';
import { softmax, softmaxBackward } from '../cpu/softmax';
import { assignInto } from '../cpu/strided';
import {
  upsampleBilinear,
  upsampleBilinearBackward,
  upsampleNearest,
  upsampleNearestBackward,
} from '../cpu/upsample';
import type { Backend } from './backend';

/** kernels-cpu's module ops with their into-forms. */
const moduleOps: ConvIntoOps = { conv, convInto, convBackward };

export const cpuBackend: Backend = Object.freeze<Backend>({
  name: 'cpu',
  conv: (input, weight, options) => recycledConv(moduleOps, input, weight, options),
  convBackward: (gradOutput, input, weight, options, gradients) =>
    recycledConvBackward(moduleOps, gradOutput, input, weight, options, gradients),
  convTranspose,
  convTransposeBackward,
  deformConv,
  deformConvBackward,
  matmul,
  linear: linearForward,
  linearBackward,
  unary,
  unaryBackward,
  unaryBackwardInPlace,
  unaryInPlace,
  affine,
  binary,
  sumToShape,
  broadcastTo,
  contiguous: (input: Tensor) => input.contiguous(),
  assignInto,
  softmax,
  softmaxBackward,
  maxPool,
  maxPoolBackward,
  avgPool,
  avgPoolBackward,
  adaptiveAvgPool,
  adaptiveAvgPoolBackward,
  batchNormStats,
  batchNormForward,
  batchNormApply,
  batchNormBackward,
  normalizeRows,
  normalizeRowsBackward,
  upsampleNearest,
  upsampleNearestBackward,
  upsampleBilinear,
  upsampleBilinearBackward,
  nllPick,
  nllPickBackward,
  bceWithLogits,
  bceWithLogitsBackward,
  updateRunningStat,
  embeddingLookup,
  embeddingBackward,
  release: (gradient: Tensor) => {
    if (gradient.offset === 0 && gradient.size === gradient.data.length) releaseBuffer(gradient.data);
  },
  releaseArgmax: releaseIndices,
});
