/**
 * The images the widgets convolve: six Fashion-MNIST test images (real photographs of
 * clothes, 28 x 28 grey; MIT licence; extracted by scripts/extract-samples.ts) and two
 * synthetic patterns. Pixels are floats in [0, 1], one channel, row-major.
 */
import fashion from './fashion-mnist-samples.json';

export interface GreyImage {
  readonly id: string;
  readonly label: string;
  readonly width: number;
  readonly height: number;
  /** height * width values in [0, 1] */
  readonly pixels: Float32Array;
}

function fromBytes(
  id: string,
  label: string,
  width: number,
  height: number,
  bytes: readonly number[],
): GreyImage {
  return { id, label, width, height, pixels: Float32Array.from(bytes, (b) => b / 255) };
}

function checkerboard(): GreyImage {
  const side = 32;
  const pixels = new Float32Array(side * side);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) pixels[y * side + x] = (Math.floor(y / 4) + Math.floor(x / 4)) % 2;
  return {
    id: 'checkerboard',
    label: 'Checkerboard (synthetic, 4-pixel squares)',
    width: side,
    height: side,
    pixels,
  };
}

function rings(): GreyImage {
  const side = 32;
  const pixels = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const r = Math.hypot(y - 15.5, x - 15.5);
      pixels[y * side + x] = Math.floor(r / 3) % 2 === 0 ? 1 : 0;
    }
  }
  return { id: 'rings', label: 'Rings (synthetic)', width: side, height: side, pixels };
}

export const SAMPLE_IMAGES: readonly GreyImage[] = [
  ...fashion.samples.map((s) =>
    fromBytes(
      s.name.toLowerCase().replace(/[^a-z]+/g, '-'),
      `${s.name} (Fashion-MNIST test image ${s.testIndex})`,
      s.width,
      s.height,
      s.pixels,
    ),
  ),
  checkerboard(),
  rings(),
];

/** The sample with this id; throws for an unknown id. */
export function sampleImage(id: string): GreyImage {
  const image = SAMPLE_IMAGES.find((s) => s.id === id);
  if (!image)
    throw new Error(
      `sampleImage: unknown image '${id}'; the images are ${SAMPLE_IMAGES.map((s) => s.id).join(', ')}`,
    );
  return image;
}

/** RGBA bytes of an image given by 8-bit pixels, averaged to grey and scaled to [0, 1]. */
export function greyFromRgba(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    out[i] = (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255;
  }
  return out;
}
