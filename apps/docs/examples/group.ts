import { groupedCost } from '@convkit/analysis';
import { conv2d } from '@convkit/kernels-cpu';
import { allclose, createRng } from '@convkit/tensor';

// AlexNet's conv2: 96 -> 256 channels, 5x5 kernels, split over 2 GPUs (groups = 2).
const cost = groupedCost({
  inputSpatial: [27, 27],
  inChannels: 96,
  outChannels: 256,
  kernelSize: 5,
  padding: 2,
  groups: 2,
});
console.log(cost.standard.params, cost.grouped.params, cost.ratio); // 614400 307200 0.5

// A grouped convolution is the groups' convolutions side by side.
const rng = createRng(6);
const x = rng.normalTensor([1, 4, 6, 6]);
const w = rng.normalTensor([6, 2, 3, 3]); // 4 -> 6 channels, groups 2: each filter sees 4 / 2 = 2 channels
const y = conv2d(x, w, { groups: 2 });
const first = conv2d(x.slice(1, 0, 2), w.slice(0, 0, 3));
const second = conv2d(x.slice(1, 2, 4), w.slice(0, 3, 6));
console.log(allclose(y.slice(1, 0, 3), first), allclose(y.slice(1, 3, 6), second)); // true true
