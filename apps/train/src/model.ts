/**
 * The Fashion-MNIST CNN of the PyTorch comparison: Conv(1->32, 3x3, pad 1)+BN+ReLU+MaxPool 2,
 * Conv(32->64, 3x3, pad 1)+BN+ReLU+MaxPool 2, Flatten, Linear(3136->128), ReLU, Linear(128->10).
 * `width` scales the channel counts and the hidden layer (1 is the model above; the CI test
 * trains a quarter-width one). pytorch/train_fashion_mnist.py builds the same layers with the
 * same state-dict keys.
 */
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@convkit/layers';

export function fashionCnn(width = 1): Sequential {
  const c1 = Math.round(32 * width);
  const c2 = Math.round(64 * width);
  const hidden = Math.round(128 * width);
  return new Sequential(
    new Conv2d({ inChannels: 1, outChannels: c1, kernelSize: 3, padding: 1 }),
    new BatchNorm2d({ numFeatures: c1 }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Conv2d({ inChannels: c1, outChannels: c2, kernelSize: 3, padding: 1 }),
    new BatchNorm2d({ numFeatures: c2 }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    new Linear({ inFeatures: c2 * 7 * 7, outFeatures: hidden }),
    new ReLU(),
    new Linear({ inFeatures: hidden, outFeatures: 10 }),
  );
}
