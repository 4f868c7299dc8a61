// npm i @convkit/kernels-gpu (browsers); in Node add the `webgpu` package (Dawn), an optional peer.
import { conv2d } from '@convkit/kernels-cpu';
import { createGpuContext } from '@convkit/kernels-gpu';
import { allclose, createRng } from '@convkit/tensor';

const gpu = await createGpuContext(); // navigator.gpu in a browser, the webgpu package in Node
const rng = createRng(0);
const x = rng.normalTensor([1, 3, 16, 16]);
const weight = rng.normalTensor([8, 3, 3, 3]);
const w = gpu.upload(weight); // uploaded once, reused by every call

const h = gpu.conv2d(x, w, { padding: 1 }); // a GpuTensor: the result stays on the GPU
const y = gpu.conv2d(h, gpu.upload(rng.normalTensor([8, 1, 3, 3])), { padding: 1, groups: 8, stride: 2 });
console.log(h.shape, y.shape); // [1, 8, 16, 16] [1, 8, 8, 8]

// Read back only what you need; the CPU kernels give the same numbers (to 1e-4).
console.log(allclose(await h.toTensor(), conv2d(x, weight, { padding: 1 }))); // true
gpu.dispose(); // frees every buffer and the device
