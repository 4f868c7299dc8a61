import { analyzeLayer } from '@convkit/analysis';
import { conv2d } from '@convkit/kernels-cpu';
import { createRng } from '@convkit/tensor';

const rng = createRng(0);
const x = rng.normalTensor([1, 3, 32, 32]); // N, C, H, W
const w = rng.normalTensor([16, 3, 3, 3]); // C_out, C_in, kH, kW
console.log(conv2d(x, w, { stride: 2, padding: 'same' }).shape); // [1, 16, 16, 16]

const spec = { type: 'Conv2d', inChannels: 3, outChannels: 16, kernelSize: 3, stride: 2 } as const;
console.log(analyzeLayer({ ...spec, padding: 'same' }, x.shape).params); // 448
