/** The packages whose TSDoc becomes the API reference (scripts/build-api.ts) and the sidebar's API section. */
export const API_PACKAGES: readonly { dir: string; name: string; summary: string }[] = [
  {
    dir: 'tensor',
    name: '@convkit/tensor',
    summary:
      'Tensor, strided views, seeded RNG, closeness checks, typed errors, and convGeometry: all shape arithmetic.',
  },
  {
    dir: 'im2col',
    name: '@convkit/im2col',
    summary: 'im2col/col2im for 1-3-D, the convolution matrix C (y = Cx, x = C^T y), tiled lowering.',
  },
  {
    dir: 'kernels-cpu',
    name: '@convkit/kernels-cpu',
    summary:
      'conv, convTranspose, deformConv and their backward passes on the CPU; reference and fast algorithms.',
  },
  {
    dir: 'kernels-gpu',
    name: '@convkit/kernels-gpu',
    summary: 'The same ops on WebGPU, in browsers and in Node; GpuTensors that stay on the GPU until read.',
  },
  {
    dir: 'layers',
    name: '@convkit/layers',
    summary:
      "PyTorch's modules, autograd, losses, optimizers and schedules; safetensors that load from PyTorch unchanged.",
  },
  {
    dir: 'analysis',
    name: '@convkit/analysis',
    summary:
      'Shapes, parameters, MACs, receptive fields, gridding, cost comparisons, the 15 relationships, summaries.',
  },
];
