import { analyzeLayer } from '@convkit/analysis';
import { conv1d } from '@convkit/kernels-cpu';
import { createRng, tensor } from '@convkit/tensor';

// Text: a batch of 32 sentences, 15 tokens each, 256 features per token: (B, L, C).
const rng = createRng(3);
const text = rng.normalTensor([32, 15, 256]);
const weight = rng.normalTensor([128, 256, 3]); // Conv1d(256 -> 128, k=3): [C_out, C_in, K]
const bias = tensor(new Array(128).fill(0), [128]);

// PyTorch wants (B, C, L): permute, as x.permute(0, 2, 1) does; the kernel slides along L only.
const y = conv1d(text.permute([0, 2, 1]), weight, { bias });
console.log(y.shape); // [32, 128, 13]

// Or keep the (B, L, C) layout and say so.
console.log(conv1d(text, weight, { bias, layout: 'channels-last' }).shape); // [32, 13, 128]

// Parameters: C_in * K * C_out + C_out.
const layer = analyzeLayer(
  { type: 'Conv1d', inChannels: 256, outChannels: 128, kernelSize: 3 },
  [32, 256, 15],
);
console.log(layer.params, 256 * 3 * 128 + 128); // 98432 98432
