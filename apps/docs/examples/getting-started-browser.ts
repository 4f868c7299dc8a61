// In the browser (any bundler: Vite, webpack, esbuild): the packages are plain ES modules.
import { conv2d } from '@convkit/kernels-cpu';
import { tensor } from '@convkit/tensor';

/** Convolves the grey levels of a canvas's ImageData with a 3 x 3 kernel ('same' size). */
export function filterImageData(image: ImageData, kernel: readonly number[]): Float32Array {
  const { width, height, data } = image;
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++)
    grey[i] = (data[4 * i]! + data[4 * i + 1]! + data[4 * i + 2]!) / (3 * 255);
  const x = tensor(grey, [1, 1, height, width]);
  const w = tensor(kernel, [1, 1, 3, 3]);
  return conv2d(x, w, { padding: 'same' }).toFloat32Array();
}

// const ctx = canvas.getContext('2d');
// const edges = filterImageData(ctx.getImageData(0, 0, canvas.width, canvas.height), [-1, 0, 1, -2, 0, 2, -1, 0, 1]);
