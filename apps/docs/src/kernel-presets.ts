/** 3 x 3 kernels the "run it" box offers as starting points (rows top to bottom). */
export interface KernelPreset {
  readonly id: string;
  readonly label: string;
  readonly values: readonly number[];
}

export const KERNEL_PRESETS: readonly KernelPreset[] = [
  { id: 'identity', label: 'Identity', values: [0, 0, 0, 0, 1, 0, 0, 0, 0] },
  { id: 'box', label: 'Box blur', values: Array(9).fill(1 / 9) },
  { id: 'gaussian', label: 'Gaussian blur', values: [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16) },
  { id: 'sharpen', label: 'Sharpen', values: [0, -1, 0, -1, 5, -1, 0, -1, 0] },
  { id: 'sobel-x', label: 'Sobel x (vertical edges)', values: [-1, 0, 1, -2, 0, 2, -1, 0, 1] },
  { id: 'sobel-y', label: 'Sobel y (horizontal edges)', values: [-1, -2, -1, 0, 0, 0, 1, 2, 1] },
  { id: 'laplacian', label: 'Laplacian', values: [0, 1, 0, 1, -4, 1, 0, 1, 0] },
  { id: 'emboss', label: 'Emboss', values: [-2, -1, 0, -1, 1, 1, 0, 1, 2] },
];

export function kernelPreset(id: string): KernelPreset {
  const preset = KERNEL_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`kernelPreset: unknown preset '${id}'`);
  return preset;
}
