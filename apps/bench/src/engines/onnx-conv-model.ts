/**
 * onnxConvModel: the single-node ONNX model of a problem (Conv, ConvTranspose or DeformConv,
 * opset 19), with the weight as an initializer and the activations as graph inputs. ONNX
 * keeps PyTorch's layouts (NC[D]HW; weights [C_out, C_in/group, ...k] and, transposed,
 * [C_in, C_out/group, ...k]); `pads` lists all begins then all ends.
 */
import { buildOnnxModel, ONNX_OPSET } from '../onnx-model';
import type { Problem } from '../problem';

export interface OnnxFeed {
  name: string;
  data: Float32Array;
  dims: number[];
}

export interface OnnxConvModel {
  model: Uint8Array;
  feeds: OnnxFeed[];
  outputName: string;
}

/** The model and feeds of `problem`, or why ONNX Runtime cannot run it. */
export function onnxConvModel(problem: Problem): OnnxConvModel | string {
  const g = problem.geometry;
  if (problem.op === 'convBackward') {
    return 'ONNX has no convolution gradient op for inference runtimes (ConvGrad ships only in onnxruntime-training builds)';
  }
  const attributes: Record<string, number | number[]> = {
    kernel_shape: [...g.kernelSize],
    strides: [...g.stride],
    pads: [...g.padBefore, ...g.padAfter],
    dilations: [...g.dilation],
    group: g.groups,
  };
  const x: OnnxFeed = { name: 'X', data: problem.input.toFloat32Array(), dims: [...g.inputShape] };
  const feeds = [x];
  const weight = { name: 'W', shape: g.weightShape, data: problem.weight.toFloat32Array() };
  let opType = 'Conv';
  let nodeInputs = ['X', 'W'];
  if (problem.op === 'convTranspose') {
    opType = 'ConvTranspose';
    attributes.output_padding = [...g.outputPadding];
  } else if (problem.op === 'deformConv') {
    opType = 'DeformConv';
    attributes.offset_group = g.offsetGroups;
    feeds.push({ name: 'offset', data: problem.offset!.toFloat32Array(), dims: [...g.offsetShape!] });
    nodeInputs = ['X', 'W', 'offset', ''];
    if (problem.mask) {
      feeds.push({ name: 'mask', data: problem.mask.toFloat32Array(), dims: [...g.maskShape!] });
      nodeInputs.push('mask');
    }
  }
  const model = buildOnnxModel({
    opType,
    opset: ONNX_OPSET,
    nodeInputs,
    graphInputs: feeds.map((f) => ({ name: f.name, shape: f.dims })),
    initializers: [weight],
    output: { name: 'Y', shape: g.outputShape },
    attributes,
  });
  return { model, feeds, outputName: 'Y' };
}
