import { im2col } from '@convkit/im2col';
import { conv2d, gemm } from '@convkit/kernels-cpu';
import { createRng, maxAbsDiff, tensor } from '@convkit/tensor';
import { directConv } from '../src/direct-conv';

const rng = createRng(0);
const x = rng.normalTensor([1, 2, 5, 5]); // N, C_in, H, W
const w = rng.normalTensor([3, 2, 3, 3]); // C_out, C_in, K, K

// 1. Loops, as in a numpy tutorial (src/direct-conv.ts, shown above).
const loops = tensor(directConv(x.toFloat32Array(), [2, 5, 5], w.toFloat32Array(), [3, 2, 3]), [1, 3, 3, 3]);

// 2. The framework-style call (PyTorch's F.conv2d).
const api = conv2d(x, w);

// 3. im2col: every 3x3x2 patch becomes a column of an [18, 9] matrix; then one product W [3, 18] x columns.
const columns = im2col(x, { kernelSize: 3 });
console.log(columns.shape); // [1, 18, 9]
const product = new Float32Array(3 * 9);
gemm(3, 9, 18, w.toFloat32Array(), 0, 18, columns.toFloat32Array(), 0, 9, product, 0, 9);
const lowered = tensor(product, [1, 3, 3, 3]);

console.log(api.shape); // [1, 3, 3, 3]
console.log(maxAbsDiff(loops, api) < 1e-5, maxAbsDiff(lowered, api) < 1e-5); // true true
