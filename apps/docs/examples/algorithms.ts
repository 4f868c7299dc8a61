import { CONV_ALGORITHMS, conv2d, selectConvAlgorithm } from '@convkit/kernels-cpu';
import { allclose, convGeometry, createRng } from '@convkit/tensor';

// The names besides 'auto'; every one is tested against the reference kernels.
console.log(CONV_ALGORITHMS.includes('im2col') && CONV_ALGORITHMS.includes('reference')); // true

const rng = createRng(2);
const x = rng.normalTensor([1, 16, 12, 12]);
const w = rng.normalTensor([8, 16, 3, 3]);
const fast = conv2d(x, w, { padding: 1, algorithm: 'im2col' });
const oracle = conv2d(x, w, { padding: 1, algorithm: 'reference' });
console.log(allclose(fast, oracle)); // true

// 'auto' (the default) asks one pure function of the geometry.
const dense = convGeometry({
  inChannels: 16,
  outChannels: 8,
  inputSpatial: [12, 12],
  kernelSize: 3,
  padding: 1,
});
const depthwise = convGeometry({
  inChannels: 16,
  outChannels: 16,
  groups: 16,
  inputSpatial: [12, 12],
  kernelSize: 3,
  padding: 1,
});
console.log(selectConvAlgorithm(dense), selectConvAlgorithm(depthwise)); // im2col reference
