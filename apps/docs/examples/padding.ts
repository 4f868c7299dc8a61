import { analyzeLayer } from '@convkit/analysis';
import { im2col } from '@convkit/im2col';
import { convGeometry, tensor } from '@convkit/tensor';

// 'same' is TensorFlow/ONNX SAME_UPPER at every stride: out = ceil(in / stride), odd padding after.
const g = convGeometry({
  inChannels: 3,
  outChannels: 8,
  inputSpatial: [224, 224],
  kernelSize: 7,
  stride: 2,
  padding: 'same',
});
console.log(g.outputSpatial, g.padBefore, g.padAfter); // [112, 112] [2, 2] [3, 3]

// [before, after] pairs per dim, as ONNX's pads.
const pairs = convGeometry({
  inChannels: 1,
  outChannels: 1,
  inputSpatial: [5],
  kernelSize: 3,
  padding: [[0, 2]],
});
console.log(pairs.outputSpatial); // [5]

// 'valid' means no padding.
const valid = analyzeLayer(
  { type: 'Conv1d', inChannels: 1, outChannels: 1, kernelSize: 3, padding: 'valid' },
  [1, 1, 10],
);
console.log(valid.outputShape); // [1, 1, 8]

// Padding modes read what torch.nn.functional.pad would write: reflect pads [1, 2, 3, 4] to [2, 1, 2, 3, 4, 3].
const columns = im2col(tensor([1, 2, 3, 4], [1, 1, 4]), {
  kernelSize: 3,
  padding: 1,
  paddingMode: 'reflect',
});
console.log(columns.toArray()); // [[[2, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 3]]]
