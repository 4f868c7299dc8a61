/**
 * Reads Fashion-MNIST from its gzipped IDX files (Xiao, Rasul & Vollgraf 2017; the format of
 * LeCun's MNIST: a big-endian magic 2051 / 2049, the counts, then one byte per pixel or label).
 * Images become [N, 1, 28, 28] float32 normalised with the training set's mean and standard
 * deviation (0.2860, 0.3530), as the PyTorch script does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const DEFAULT_DATA_DIR = '/usr/share/datasets/fashion-mnist';
export const MEAN = 0.286;
export const STD = 0.353;
export const CLASS_NAMES = [
  'T-shirt/top',
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

export interface Split {
  /** [count * 784] normalised pixels. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface FashionMnist {
  train: Split;
  test: Split;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** The message shown when the files are missing: what to install, or where to point. */
export function missingDataMessage(dir: string): string {
  return [
    `Fashion-MNIST not found in ${dir}.`,
    'Install it (Debian/Ubuntu):  sudo apt-get install -y dataset-fashion-mnist',
    `or pass --data DIR with ${Object.values(FILES).join(', ')}`,
    '(the originals: https://github.com/zalandoresearch/fashion-mnist).',
  ].join('\n');
}

function readIdx(path: string, magic: number): { dims: number[]; bytes: Uint8Array } {
  const raw = gunzipSync(readFileSync(path));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength < 8 || view.getUint32(0) !== magic) {
    throw new Error(`${path}: not an IDX file with magic ${magic}`);
  }
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const start = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (raw.byteLength < start + size)
    throw new Error(`${path}: truncated (${raw.byteLength} bytes for ${dims.join('x')})`);
  return { dims, bytes: raw.subarray(start, start + size) };
}

function readSplit(dir: string, imagesFile: string, labelsFile: string, limit: number): Split {
  const images = readIdx(join(dir, imagesFile), 2051);
  const labels = readIdx(join(dir, labelsFile), 2049);
  const count = Math.min(images.dims[0]!, labels.dims[0]!, limit);
  const pixels = new Float32Array(count * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (images.bytes[i]! / 255 - MEAN) / STD;
  return { images: pixels, labels: labels.bytes.slice(0, count), count };
}

/** Both splits from `dir`, at most `limit` images each; throws with the install hint when missing. */
export function loadFashionMnist(dir = DEFAULT_DATA_DIR, limit = Number.POSITIVE_INFINITY): FashionMnist {
  const missing = Object.values(FILES).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new Error(missingDataMessage(dir));
  return {
    train: readSplit(dir, FILES.trainImages, FILES.trainLabels, limit),
    test: readSplit(dir, FILES.testImages, FILES.testLabels, limit),
  };
}
