import { separableCost } from '@convkit/analysis';
import { conv2d } from '@convkit/kernels-cpu';
import { createRng } from '@convkit/tensor';

// A 7x7x3 input to 128 channels with 3x3 kernels (no padding: 5x5 outputs).
const cost = separableCost({ inputSpatial: [7, 7], inChannels: 3, outChannels: 128, kernelSize: 3 });
console.log(cost.standard.macs, cost.separable.macs); // 86400 10275
console.log(cost.standard.params, cost.separable.params); // 3456 411
console.log(cost.macsRatio.toFixed(6), (1 / 128 + 1 / 9).toFixed(6)); // 0.118924 0.118924

// The same shapes from the kernels: depthwise (groups = M), then pointwise (1x1).
const rng = createRng(5);
const x = rng.normalTensor([1, 3, 7, 7]);
const depthwise = conv2d(x, rng.normalTensor([3, 1, 3, 3]), { groups: 3 });
const pointwise = conv2d(depthwise, rng.normalTensor([128, 3, 1, 1]));
console.log(depthwise.shape, pointwise.shape); // [1, 3, 5, 5] [1, 128, 5, 5]
