/**
 * The offset branch of the deformable explorer: a regular 3 x 3 convolution (weight [18, 1,
 * 3, 3] and bias [18]) whose output on the image is the offset field, as in a deformable
 * network. Its bias turns the kernel's footprint (scale and rotation about the centre tap) and
 * its weight moves every tap along the image gradient (Sobel filters times `edgeGain`), so
 * the footprint leans towards bright edges. Channel 2t holds dy of tap t = i * 3 + j, channel
 * 2t + 1 its dx (torchvision's order).
 */
import { type Tensor, tensor } from '@convkit/tensor';

export interface OffsetBranchArgs {
  /** Footprint scale: 1 keeps the regular grid, 2 doubles its spread. */
  scale: number;
  /** Rotation of the footprint in degrees. */
  rotation: number;
  /** Pixels of shift per unit of Sobel response (0: offsets do not depend on the image). */
  edgeGain: number;
  /** The deformable convolution's dilation (tap spacing of the regular grid). */
  dilation: number;
}

const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1];

export function offsetBranch({ scale, rotation, edgeGain, dilation }: OffsetBranchArgs): {
  weight: Tensor;
  bias: Tensor;
} {
  const weight = new Float32Array(18 * 9);
  const bias = new Float32Array(18);
  const angle = (rotation * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const t = i * 3 + j;
      const u = (i - 1) * dilation;
      const v = (j - 1) * dilation;
      bias[2 * t] = scale * (cos * u - sin * v) - u;
      bias[2 * t + 1] = scale * (sin * u + cos * v) - v;
      for (let k = 0; k < 9; k++) {
        // A Sobel filter sums to 8 per unit step; / 8 makes edgeGain pixels per unit contrast.
        weight[2 * t * 9 + k] = (edgeGain * SOBEL_Y[k]!) / 8;
        weight[(2 * t + 1) * 9 + k] = (edgeGain * SOBEL_X[k]!) / 8;
      }
    }
  }
  return { weight: tensor(weight, [18, 1, 3, 3]), bias: tensor(bias, [18]) };
}

/** Weight [9, 1, 3, 3] whose output channel t is tap t alone: deformConv with it gives the samples. */
export function tapPickerWeight(): Tensor {
  const w = new Float32Array(81);
  for (let t = 0; t < 9; t++) w[t * 9 + t] = 1;
  return tensor(w, [9, 1, 3, 3]);
}
