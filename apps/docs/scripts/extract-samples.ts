/**
 * Writes src/fashion-mnist-samples.json: the first test image of six Fashion-MNIST classes
 * (28 x 28, 8-bit grey, MIT licence), read from Debian's dataset-fashion-mnist package.
 * The JSON is committed; the site never needs the dataset. Run: npx tsx scripts/extract-samples.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const dir = '/usr/share/datasets/fashion-mnist';
const images = gunzipSync(readFileSync(`${dir}/t10k-images-idx3-ubyte.gz`));
const labels = gunzipSync(readFileSync(`${dir}/t10k-labels-idx1-ubyte.gz`));
const CLASSES = [
  'T-shirt',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
const wanted = [9, 0, 1, 7, 8, 5];
const side = 28;
const samples = wanted.map((label) => {
  let index = 0;
  while (labels[8 + index] !== label) index++;
  const start = 16 + index * side * side;
  return {
    name: CLASSES[label],
    testIndex: index,
    width: side,
    height: side,
    pixels: Array.from(images.subarray(start, start + side * side)),
  };
});
writeFileSync(
  new URL('../src/fashion-mnist-samples.json', import.meta.url),
  `${JSON.stringify({ source: 'Fashion-MNIST test set (Zalando Research, MIT licence)', samples })}\n`,
);
console.log(samples.map((s) => `${s.name} #${s.testIndex}`).join(', '));
