/**
 * Writes src/fashion-mnist-train.json: a small, class-balanced slice of Fashion-MNIST (MIT
 * licence) from Debian's dataset-fashion-mnist, for the in-browser training widget: the first
 * 10 training images of each class and the first 5 test images of each class, 28 x 28 bytes
 * each, base64. Run: npx tsx scripts/extract-training-set.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const dir = '/usr/share/datasets/fashion-mnist';
const SIDE = 28;

function pick(prefix: string, perClass: number): { images: string; labels: number[] } {
  const images = gunzipSync(readFileSync(`${dir}/${prefix}-images-idx3-ubyte.gz`));
  const labels = gunzipSync(readFileSync(`${dir}/${prefix}-labels-idx1-ubyte.gz`));
  const count = new Array(10).fill(0);
  const chosen: number[] = [];
  for (let i = 0; i < labels.length - 8 && chosen.length < perClass * 10; i++) {
    const label = labels[8 + i]!;
    if (count[label] < perClass) {
      count[label]++;
      chosen.push(i);
    }
  }
  const bytes = Buffer.alloc(chosen.length * SIDE * SIDE);
  chosen.forEach((index, k) => {
    images.copy(bytes, k * SIDE * SIDE, 16 + index * SIDE * SIDE, 16 + (index + 1) * SIDE * SIDE);
  });
  return { images: bytes.toString('base64'), labels: chosen.map((i) => labels[8 + i]!) };
}

const out = {
  source: 'Fashion-MNIST (Zalando Research, MIT licence): first 10 training and 5 test images per class',
  classes: [
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
  ],
  side: SIDE,
  train: pick('train', 10),
  test: pick('t10k', 5),
};
writeFileSync(new URL('../src/fashion-mnist-train.json', import.meta.url), `${JSON.stringify(out)}\n`);
console.log(`train ${out.train.labels.length}, test ${out.test.labels.length}`);
