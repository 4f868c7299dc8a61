import { hybridDilationCheck, receptiveField } from '@convkit/analysis';
import { conv2d } from '@convkit/kernels-cpu';
import { createRng } from '@convkit/tensor';

// Conv2d(1, 1, 3, dilation=2) on a 5x5 input: one output, where dilation 1 gives 3x3.
const rng = createRng(8);
const x = rng.normalTensor([1, 1, 5, 5]);
const w = rng.normalTensor([1, 1, 3, 3]);
console.log(conv2d(x, w, { dilation: 2 }).shape, conv2d(x, w).shape); // [1, 1, 1, 1] [1, 1, 3, 3]

// Same 9 weights, a 5x5 field.
const field = receptiveField([{ type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 2 }]);
console.log(field.layers[0]!.dims.map((d) => d.size)); // [5, 5]

// Gridding: rates 2, 2, 2 leave holes; 1, 2, 5 (no common factor) cover their field.
const gridded = hybridDilationCheck([2, 2, 2]);
const hybrid = hybridDilationCheck([1, 2, 5]);
console.log(gridded.receptiveFieldSize, gridded.commonFactor, gridded.holes); // 13 2 6
console.log(hybrid.receptiveFieldSize, hybrid.commonFactor, hybrid.holes); // 17 1 0
