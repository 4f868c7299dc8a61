// Every op of @convkit/kernels-cpu (and gemm, layerGemm), fuzzed: a result or a typed error (tooling/test-support).
import { describeEveryExport } from '../../../tooling/test-support/every-export';
import * as api from './index';

/** The op layer (the algorithm registry, WebAssembly runtime, pool and prepared weights have their own tests). */
const OPS: readonly string[] = [
  'conv',
  'conv1d',
  'conv2d',
  'conv3d',
  'convTranspose',
  'convTranspose1d',
  'convTranspose2d',
  'convTranspose3d',
  'convBackward',
  'convTransposeBackward',
  'deformConv',
  'deformConvBackward',
  'gemm',
  'layerGemm',
];

describeEveryExport({
  title: '@convkit/kernels-cpu (its ops, gemm and layerGemm)',
  api,
  only: OPS,
  skip: [],
  atLeast: 14,
});
