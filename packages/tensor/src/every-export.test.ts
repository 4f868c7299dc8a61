// Every function @convkit/tensor exports, fuzzed: a result or a typed error (tooling/test-support).
import { describeEveryExport } from '../../../tooling/test-support/every-export';
import * as api from './index';

/** Helpers other convkit code calls with an op name (and argument names) it writes itself. */
const named: Record<string, readonly number[]> = {
  checkAllocation: [0, 1],
  checkAllocationBytes: [0, 1],
  checkOptionKeys: [0],
  checkTensor: [0, 1],
  readTensor: [0, 1],
  checkTensorLayout: [0, 1],
  checkBias: [0],
  checkGradOutput: [0, 3],
  checkWeightRank: [0],
  resolveConvCall: [0],
  resolveConvTransposeCall: [0],
  resolveDeformConvCall: [0],
  optionBoolean: [0, 1],
  optionEnum: [0, 1],
  optionInteger: [0, 1],
  optionIntList: [0, 1],
  optionNumber: [0, 1],
  optionPositiveInt: [0, 1],
  optionString: [0, 1],
  readOptions: [0, 3],
  checkShape: [0, 1],
};

describeEveryExport({
  title: '@convkit/tensor',
  api,
  // setMemoryLimit changes global state; convRowBand(s) belong to the worker pool and have their own tests.
  skip: ['setMemoryLimit', 'convRowBand', 'convRowBands'],
  named,
  atLeast: 41,
});
