import { convMatrix, convTransposeMatrix } from '@convkit/im2col';
import { conv2d, convTranspose2d } from '@convkit/kernels-cpu';
import { allclose, createRng, tensor } from '@convkit/tensor';

// The 2x2 kernel [[w11, w12], [w21, w22]] = [[1, 2], [3, 4]] on a 3x3 input, as a 4 x 9 matrix C.
const w = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
const C = convMatrix(w, [3, 3]);
console.log(C.shape); // [4, 9]
console.log((C.toArray() as number[][])[0]); // [1, 2, 0, 3, 4, 0, 0, 0, 0]

// y = C x is the convolution...
const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
const y = conv2d(x, w);
console.log(y.toArray()); // [[[[37, 47], [67, 77]]]]

// ...and x' = C^T y is the transposed convolution, 2x2 back to 3x3.
const back = convTranspose2d(y, w);
const viaMatrix = convTransposeMatrix(w, [2, 2]);
console.log(viaMatrix.shape, back.shape); // [9, 4] [1, 1, 3, 3]
console.log(back.toArray()); // [[[[37, 121, 94], [178, 500, 342], [201, 499, 308]]]]

// The same numbers from a direct convolution: pad y by k - 1 = 1 and convolve with the kernel turned 180 degrees.
const flipped = tensor([4, 3, 2, 1], [1, 1, 2, 2]);
console.log(allclose(conv2d(y, flipped, { padding: 1 }), back)); // true

// ConvTranspose2d(1 -> 3, k=2, s=1): 3x3 -> 4x4; with s=2 (3 -> 3 channels): 3x3 -> 6x6.
const rng = createRng(7);
console.log(convTranspose2d(rng.normalTensor([1, 1, 3, 3]), rng.normalTensor([1, 3, 2, 2])).shape); // [1, 3, 4, 4]
const up = convTranspose2d(rng.normalTensor([1, 3, 3, 3]), rng.normalTensor([3, 3, 2, 2]), { stride: 2 });
console.log(up.shape); // [1, 3, 6, 6]
