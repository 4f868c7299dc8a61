import { pointwiseCost } from '@convkit/analysis';
import { conv2d } from '@convkit/kernels-cpu';
import { createRng } from '@convkit/tensor';

const rng = createRng(4);
const x = rng.normalTensor([1, 64, 28, 28]);
const w = rng.normalTensor([16, 64, 1, 1]); // 1x1: 64 channels down to 16
const y = conv2d(x, w);
console.log(y.shape); // [1, 16, 28, 28]

// Each output pixel is a weighted sum across channels of the same input pixel, with the same weights everywhere.
let mixed = 0;
for (let c = 0; c < 64; c++) mixed += w.get(5, c, 0, 0) * x.get(0, c, 10, 20);
console.log(Math.abs(mixed - y.get(0, 5, 10, 20)) < 1e-4); // true

console.log(pointwiseCost({ inputSpatial: [28, 28], inChannels: 64, outChannels: 16 })); // {"outputSpatial":[28,28],"params":1024,"macs":802816}
