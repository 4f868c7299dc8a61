import { conv2d } from '@convkit/kernels-cpu';
import { allclose, createRng } from '@convkit/tensor';

const rng = createRng(1);
const x = rng.normalTensor([2, 3, 8, 8]); // channels-first: N, C, H, W (PyTorch)
const w = rng.normalTensor([4, 3, 3, 3]); // the weight keeps PyTorch's layout in both cases

const first = conv2d(x, w, { padding: 1 });
const xLast = x.permute([0, 2, 3, 1]); // a view: N, H, W, C (TensorFlow), no copy
const last = conv2d(xLast, w, { padding: 1, layout: 'channels-last' });

console.log(first.shape); // [2, 4, 8, 8]
console.log(last.shape); // [2, 8, 8, 4]
console.log(allclose(last.permute([0, 3, 1, 2]), first)); // true
