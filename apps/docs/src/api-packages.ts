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
    dir: 'analysis',
    name: '@convkit/analysis',
    summary:
      'Shapes, parameters, MACs, receptive fields, gridding, cost comparisons, the 15 relationships, summaries.',
  },
];
