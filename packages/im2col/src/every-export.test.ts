// Every function @convkit/im2col exports, fuzzed: a result or a typed error (tooling/test-support).
import { describeEveryExport } from '../../../tooling/test-support/every-export';
import * as api from './index';

describeEveryExport({ title: '@convkit/im2col', api, atLeast: 9 });
