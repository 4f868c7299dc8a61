// Every function @convkit/analysis exports, fuzzed: a result or a typed error (tooling/test-support).
import { describeEveryExport } from '../../../tooling/test-support/every-export';
import * as api from './index';

describeEveryExport({ title: '@convkit/analysis', api, atLeast: 31 });
