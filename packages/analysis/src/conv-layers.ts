/**
 * Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d and DeformConv2d (with its offset
 * and mask convs), and the two convs a SeparableConv expands to. Output shapes, weight shapes
 * and MACs all come from convGeometry (relationship 15 of Dumoulin & Visin, arXiv 1603.07285,
 * and its transpose); nothing here computes a size.
 *
 * DeformConv2d (Dai et al. 2017; v2 Zhu et al. 2019) reports four parts:
 * - deform: torchvision's layer, weight [C_out, C_in/groups, kh, kw] and bias; MACs of the
 *   weighted sum, as a convolution: C_out * prod(out) * C_in/groups * kh * kw;
 * - sampling: bilinear interpolation of every sampled value, C_in * kh * kw * prod(out)
 *   samples of 4 MACs each (+1 each for the v2 mask); no parameters;
 * - offset: the Conv2d(C_in, 2 * G * kh * kw) that predicts the offsets, with the deformable
 *   conv's kernel, stride, padding and dilation and a bias (counted unless offsetConv: false);
 * - mask (v2): the Conv2d(C_in, G * kh * kw) that predicts the mask, built the same way.
 */
import { convGeometry, shapeSize } from '@convkit/tensor';
import type { LeafResult } from './layer-analysis';
import { spatialDimsOf } from './layer-schema';
import type {
  ConvSpec,
  ConvTransposeSpec,
  DeformConv2dSpec,
  LayerSpec,
  SeparableConvSpec,
} from './layer-spec';
import { expectChannels, spatialInput } from './spatial-input';

export function analyzeConv(spec: ConvSpec, input: readonly number[], label: string): LeafResult {
  const { batch, channels, spatial } = spatialInput(label, input, spatialDimsOf(spec.type)!);
  expectChannels(label, 'inChannels', spec.inChannels, channels);
  const g = convGeometry({
    op: label,
    batch,
    inChannels: spec.inChannels,
    outChannels: spec.outChannels,
    inputSpatial: spatial,
    kernelSize: spec.kernelSize,
    stride: spec.stride,
    padding: spec.padding,
    dilation: spec.dilation,
    groups: spec.groups,
    paddingMode: spec.paddingMode,
  });
  const bias = (spec.bias ?? true) ? spec.outChannels : 0;
  return {
    outputShape: g.outputShape,
    params: shapeSize(g.weightShape) + bias,
    macs: g.macsPerSample,
    map: { kind: 'window', geometry: g },
  };
}

export function analyzeConvTranspose(
  spec: ConvTransposeSpec,
  input: readonly number[],
  label: string,
): LeafResult {
  const { batch, channels, spatial } = spatialInput(label, input, spatialDimsOf(spec.type)!);
  expectChannels(label, 'inChannels', spec.inChannels, channels);
  const g = convGeometry({
    op: label,
    transposed: true,
    batch,
    inChannels: spec.inChannels,
    outChannels: spec.outChannels,
    inputSpatial: spatial,
    kernelSize: spec.kernelSize,
    stride: spec.stride,
    padding: spec.padding,
    outputPadding: spec.outputPadding,
    dilation: spec.dilation,
    groups: spec.groups,
    paddingMode: spec.paddingMode,
  });
  const bias = (spec.bias ?? true) ? spec.outChannels : 0;
  return {
    outputShape: g.outputShape,
    params: shapeSize(g.weightShape) + bias,
    macs: g.macsPerSample,
    map: { kind: 'transposed', geometry: g },
  };
}

/** MACs per bilinear sample: four neighbours, each weighed once. */
const BILINEAR_MACS = 4;

export function analyzeDeformConv2d(
  spec: DeformConv2dSpec,
  input: readonly number[],
  label: string,
): LeafResult {
  const { batch, channels, spatial } = spatialInput(label, input, 2);
  expectChannels(label, 'inChannels', spec.inChannels, channels);
  const window = {
    batch,
    inputSpatial: spatial,
    kernelSize: spec.kernelSize,
    stride: spec.stride,
    padding: spec.padding,
    dilation: spec.dilation,
  };
  const g = convGeometry({
    op: label,
    ...window,
    inChannels: spec.inChannels,
    outChannels: spec.outChannels,
    groups: spec.groups,
    offsetGroups: spec.offsetGroups ?? 1,
  });
  const modulated = spec.mask ?? false;
  const samples = spec.inChannels * g.kernelVolume * g.outputVolume;
  const parts = [
    {
      name: 'deform',
      params: shapeSize(g.weightShape) + ((spec.bias ?? true) ? spec.outChannels : 0),
      macs: g.macsPerSample,
    },
    { name: 'sampling', params: 0, macs: samples * (BILINEAR_MACS + (modulated ? 1 : 0)) },
  ];
  if (spec.offsetConv ?? true) {
    // The predicting convs share the deformable conv's window, so their output grid is its grid.
    const predictor = (name: string, outChannels: number) => {
      const p = convGeometry({
        op: `${label} (${name} conv)`,
        ...window,
        inChannels: spec.inChannels,
        outChannels,
      });
      return { name, params: shapeSize(p.weightShape) + outChannels, macs: p.macsPerSample };
    };
    const offsetChannels = g.offsetShape![1]!;
    parts.push(predictor('offset', offsetChannels));
    if (modulated) parts.push(predictor('mask', g.maskShape![1]!));
  }
  return {
    outputShape: g.outputShape,
    params: parts.reduce((sum, p) => sum + p.params, 0),
    macs: parts.reduce((sum, p) => sum + p.macs, 0),
    parts,
    // The regular grid the learned offsets start from.
    map: { kind: 'window', geometry: g },
  };
}

/** The depthwise conv (groups = inChannels) and the 1x1 pointwise conv of a SeparableConv. */
export function separableChildren(spec: SeparableConvSpec): LayerSpec[] {
  const dims = spatialDimsOf(spec.type)!;
  const type = `Conv${dims}d` as ConvSpec['type'];
  const middle = spec.inChannels * (spec.depthMultiplier ?? 1);
  const depthwise: ConvSpec = {
    type,
    name: 'depthwise',
    inChannels: spec.inChannels,
    outChannels: middle,
    kernelSize: spec.kernelSize,
    groups: spec.inChannels,
    bias: spec.depthwiseBias ?? false,
  };
  // Only the fields the spec sets, so that the rows show what the user wrote.
  if (spec.stride !== undefined) depthwise.stride = spec.stride;
  if (spec.padding !== undefined) depthwise.padding = spec.padding;
  if (spec.dilation !== undefined) depthwise.dilation = spec.dilation;
  if (spec.paddingMode !== undefined) depthwise.paddingMode = spec.paddingMode;
  const pointwise: ConvSpec = {
    type,
    name: 'pointwise',
    inChannels: middle,
    outChannels: spec.outChannels,
    kernelSize: 1,
    bias: spec.bias ?? true,
  };
  return [depthwise, pointwise];
}
