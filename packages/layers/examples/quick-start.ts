import { writeFileSync } from 'node:fs';
import {
  AdamW,
  BatchNorm2d,
  Conv2d,
  CrossEntropyLoss,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  saveSafetensors,
} from '@convkit/layers';
import { createRng, tensor } from '@convkit/tensor';

const model = new Sequential(
  new Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
  new BatchNorm2d({ numFeatures: 8 }),
  new ReLU(),
  new MaxPool2d({ kernelSize: 2 }),
  new Flatten(),
  new Linear({ inFeatures: 8 * 14 * 14, outFeatures: 10 }),
);
const images = createRng(0).normalTensor([8, 1, 28, 28]); // N, C, H, W
const labels = tensor([3, 1, 4, 1, 5, 9, 2, 6], [8]); // class ids
const lossFn = new CrossEntropyLoss();
const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
for (let step = 1; step <= 20; step++) {
  optimizer.zeroGrad();
  const loss = lossFn.forward(model.forward(images), labels);
  loss.backward();
  optimizer.step();
  if (step % 5 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(4)}`);
}
writeFileSync('model.safetensors', saveSafetensors(model.stateDict())); // PyTorch loads it unchanged
