import { analyzeModel, type LayerSpec } from '@convkit/analysis';
import {
  Conv2d,
  CrossEntropyLoss,
  Flatten,
  Linear,
  manualSeed,
  ReLU,
  Sequential,
  SGD,
} from '@convkit/layers';
import { createRng, tensor } from '@convkit/tensor';

manualSeed(0); // PyTorch's initialisation, from a seeded generator
const model = new Sequential(
  new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
  new ReLU(),
  new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, groups: 4 }),
  new Flatten(),
  new Linear({ inFeatures: 4 * 4 * 4, outFeatures: 3 }),
);
console.log(Object.keys(model.stateDict())); // ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]

const images = createRng(1).normalTensor([6, 1, 8, 8]);
const labels = tensor([0, 1, 2, 0, 1, 2], [6]);
const lossFn = new CrossEntropyLoss();
const optimizer = new SGD(model.parameters(), { lr: 0.1 });

const losses: number[] = [];
for (let step = 0; step < 10; step++) {
  optimizer.zeroGrad();
  const loss = lossFn.forward(model.forward(images), labels);
  loss.backward(); // reverse-mode autograd through convBackward and friends
  optimizer.step();
  losses.push(loss.item());
}
console.log(losses[9]! < losses[0]!); // true

// The same network as layer specs: the analysis package counts what the modules hold.
const specs: LayerSpec[] = [
  { type: 'Conv2d', inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 },
  { type: 'ReLU' },
  { type: 'Conv2d', inChannels: 4, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, groups: 4 },
  { type: 'Flatten' },
  { type: 'Linear', inFeatures: 64, outFeatures: 3 },
];
const counted = model.parameters().reduce((n, p) => n + p.data.size, 0);
console.log(analyzeModel(specs, [1, 1, 8, 8]).totalParams, counted); // 275 275
