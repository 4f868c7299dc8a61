// Node 20: npm i @convkit/tensor @convkit/kernels-cpu
import { conv2d, convBackward } from '@convkit/kernels-cpu';
import { tensor } from '@convkit/tensor';

// A 4 x 4 image and a 2 x 2 kernel, batch and channel dims of size 1.
const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 1, 4, 4]);
const w = tensor([1, 0, 0, -1], [1, 1, 2, 2]);

const y = conv2d(x, w); // PyTorch's F.conv2d: cross-correlation, no padding, stride 1
console.log(y.shape); // [1, 1, 3, 3]
console.log(y.toArray()); // [[[[-5, -5, -5], [-5, -5, -5], [-5, -5, -5]]]]

// Gradients of sum(y) with respect to the input and the weight.
const { gradWeight } = convBackward(tensor(new Array(9).fill(1), [1, 1, 3, 3]), x, w);
console.log(gradWeight.toArray()); // [[[[54, 63], [90, 99]]]]
