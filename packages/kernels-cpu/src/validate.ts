/**
 * The argument checks of the CPU ops. They live in @convkit/tensor (`resolveConvCall` and its
 * helpers), shared with every other backend so that all accept and refuse the same calls;
 * this module re-exports them for the ops and tests of this package.
 */
export {
  checkBias,
  checkGradOutput,
  checkOptionKeys,
  checkTensor,
  checkWeightRank,
  describeValue,
  isTensor,
  opNameForWeight,
  readTensor,
} from '@convkit/tensor';
