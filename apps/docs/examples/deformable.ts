import { conv2d, deformConv } from '@convkit/kernels-cpu';
import { allclose, createRng, tensor, zeros } from '@convkit/tensor';

const rng = createRng(9);
const x = rng.normalTensor([1, 4, 8, 8]);
const w = rng.normalTensor([6, 4, 3, 3]);

// The offset field: one (dy, dx) pair per kernel tap (2 * 3 * 3 = 18 channels) at every output position.
const still = zeros([1, 18, 8, 8]);
console.log(allclose(deformConv(x, w, still, { padding: 1 }), conv2d(x, w, { padding: 1 }))); // true

// In a network a regular convolution predicts the offsets from the input itself.
const offsetConv = rng.normalTensor([18, 4, 3, 3]);
const offset = conv2d(x, offsetConv, { padding: 1 });
console.log(offset.shape, deformConv(x, w, offset, { padding: 1 }).shape); // [1, 18, 8, 8] [1, 6, 8, 8]

// A fractional offset reads between pixels by bilinear interpolation: half a pixel right of 0 and 1 is 0.5;
// past the last pixel the missing neighbour counts as 0.
const ramp = tensor([0, 1, 2, 3], [1, 1, 1, 4]);
const half = tensor([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5], [1, 2, 1, 4]); // channel 0: dy, channel 1: dx
console.log(deformConv(ramp, tensor([1], [1, 1, 1, 1]), half).toArray()); // [[[[0.5, 1.5, 2.5, 1.5]]]]
