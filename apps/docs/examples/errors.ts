import { conv2d, convTranspose2d } from '@convkit/kernels-cpu';
import { ShapeError, UnsupportedError, zeros } from '@convkit/tensor';

try {
  conv2d(zeros([1, 4, 8, 8]), zeros([64, 3, 7, 7]));
} catch (e) {
  console.log(ShapeError.isInstance(e)); // true
  console.log((e as Error).message); // conv2d: input has 4 channels but weight [64, 3, 7, 7] with groups=1 expects 3
}

try {
  // TypeScript refuses this call already; JavaScript callers get the typed error.
  // @ts-expect-error: a transposed convolution has no 'same' padding
  convTranspose2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), { padding: 'same' });
} catch (e) {
  console.log(UnsupportedError.isInstance(e)); // true
}
