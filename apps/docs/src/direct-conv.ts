/**
 * Convolution as one writes it with loops (the way a numpy tutorial does): for every output
 * channel and position, multiply the kernel with the window under it and sum. Stride 1, no
 * padding, no dilation: the definition, nothing else. Input [C_in, H, W] and weight
 * [C_out, C_in, K, K] as flat row-major arrays; returns [C_out, H - K + 1, W - K + 1].
 */
export function directConv(
  input: Float32Array,
  [inChannels, height, width]: readonly number[],
  weight: Float32Array,
  [outChannels, , kernel]: readonly number[],
): Float32Array {
  const outH = height - kernel! + 1;
  const outW = width - kernel! + 1;
  const out = new Float32Array(outChannels! * outH * outW);
  for (let o = 0; o < outChannels!; o++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        let sum = 0;
        for (let c = 0; c < inChannels!; c++) {
          for (let i = 0; i < kernel!; i++) {
            for (let j = 0; j < kernel!; j++) {
              sum +=
                input[(c * height! + y + i) * width! + x + j]! *
                weight[((o * inChannels! + c) * kernel! + i) * kernel! + j]!;
            }
          }
        }
        out[(o * outH + y) * outW + x] = sum;
      }
    }
  }
  return out;
}
