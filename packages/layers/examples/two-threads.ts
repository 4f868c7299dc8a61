import { createCpuContext } from '@convkit/kernels-cpu';
import {
  Conv2d,
  CrossEntropyLoss,
  cpuBackendOn,
  Flatten,
  Linear,
  ReLU,
  Sequential,
  setBackend,
} from '@convkit/layers';
import { createRng, tensor } from '@convkit/tensor';

const cpu = await createCpuContext({ threads: 2 }); // this thread and one worker
const previous = setBackend(cpuBackendOn(cpu.sync)); // large convolutions split across both, blocking
const model = new Sequential(
  new Conv2d({ inChannels: 3, outChannels: 32, kernelSize: 3, padding: 1 }),
  new ReLU(),
  new Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3, padding: 1 }),
  new ReLU(),
  new Flatten(),
  new Linear({ inFeatures: 32 * 16 * 16, outFeatures: 4 }),
);
const images = createRng(0).normalTensor([16, 3, 16, 16]);
const labels = tensor([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [16]);
const loss = new CrossEntropyLoss().forward(model.forward(images), labels);
loss.backward(); // backward passes split too (this tiny model's calls are too small: one thread)
console.log(`${cpu.sync.threads} threads: loss ${loss.item().toFixed(4)}`);
setBackend(previous); // back to one thread
cpu.dispose(); // ends the worker
