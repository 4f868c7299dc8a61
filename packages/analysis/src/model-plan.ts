/**
 * planModel: walks a list of layer specs with an input shape and builds the tree every
 * analysis reads: per module its PyTorch state-dict path (`features.3`, `layer1.0.conv1`),
 * input and output shapes, parameter, buffer and MAC counts, and (for leaves) its SpatialMap.
 * Containers (Sequential, Residual, SeparableConv*) sum their children. Every spec is
 * validated where it stands, so errors name the module's path.
 */
import { ArgumentError, formatShape, ShapeError, shapeSize } from '@convkit/tensor';
import { analyzeConv, analyzeConvTranspose, analyzeDeformConv2d, separableChildren } from './conv-layers';
import { analyzeElementwise } from './elementwise-layers';
import { BYTES_PER_VALUE, type LayerAnalysis, type LeafResult } from './layer-analysis';
import type { LayerSpec, ResidualSpec, SequentialSpec } from './layer-spec';
import { analyzeFlatten, analyzeLinear } from './linear-layers';
import { analyzeBatchNorm, analyzeGroupNorm, analyzeLayerNorm } from './norm-layers';
import { analyzeAdaptivePool, analyzePool } from './pool-layers';
import type { SpatialMap } from './spatial-map';
import { analyzeUpsample } from './upsample-layer';
import { layerLabel, validateLayerSpec } from './validate-layer-spec';

export interface PlanNode {
  readonly spec: LayerSpec;
  /** State-dict path: '' for a lone layer given to analyzeLayer without a name. */
  readonly path: string;
  readonly depth: number;
  /** How errors name this module: `Conv2d 'features.3'`. */
  readonly label: string;
  readonly analysis: LayerAnalysis;
  readonly kind: 'leaf' | 'sequential' | 'residual';
  /** Leaves: which input positions each output position reads. */
  readonly map?: SpatialMap;
  /** In PyTorch's named_modules() order. */
  readonly children: readonly PlanNode[];
  /** Sequential: [children]; Residual: [body, shortcut] (an empty shortcut is the identity). */
  readonly branches: readonly (readonly PlanNode[])[];
}

/** Throws a ShapeError unless the input shape is a list of positive integers, batch first. */
export function checkInputShape(op: string, inputShape: unknown): readonly number[] {
  if (
    !Array.isArray(inputShape) ||
    inputShape.length === 0 ||
    inputShape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)
  ) {
    const shown = Array.isArray(inputShape)
      ? formatShape(inputShape as number[])
      : JSON.stringify(inputShape);
    throw new ShapeError(
      `${op}: inputShape must be a non-empty list of positive integers, batch first (e.g. [1, 3, 224, 224]), got ${shown}`,
    );
  }
  return inputShape as number[];
}

function analyzeLeaf(spec: LayerSpec, input: readonly number[], label: string): LeafResult {
  switch (spec.type) {
    case 'Conv1d':
    case 'Conv2d':
    case 'Conv3d':
      return analyzeConv(spec, input, label);
    case 'ConvTranspose1d':
    case 'ConvTranspose2d':
    case 'ConvTranspose3d':
      return analyzeConvTranspose(spec, input, label);
    case 'DeformConv2d':
      return analyzeDeformConv2d(spec, input, label);
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d':
      return analyzeBatchNorm(spec, input, label);
    case 'GroupNorm':
      return analyzeGroupNorm(spec, input, label);
    case 'LayerNorm':
      return analyzeLayerNorm(spec, input, label);
    case 'MaxPool1d':
    case 'MaxPool2d':
    case 'MaxPool3d':
    case 'AvgPool1d':
    case 'AvgPool2d':
    case 'AvgPool3d':
      return analyzePool(spec, input, label);
    case 'AdaptiveAvgPool1d':
    case 'AdaptiveAvgPool2d':
    case 'AdaptiveAvgPool3d':
    case 'AdaptiveMaxPool1d':
    case 'AdaptiveMaxPool2d':
    case 'AdaptiveMaxPool3d':
      return analyzeAdaptivePool(spec, input, label);
    case 'Linear':
      return analyzeLinear(spec, input, label);
    case 'Flatten':
      return analyzeFlatten(spec, input, label);
    case 'Upsample':
      return analyzeUpsample(spec, input, label);
    case 'SeparableConv1d':
    case 'SeparableConv2d':
    case 'SeparableConv3d':
    case 'Sequential':
    case 'Residual':
      throw new Error(`analyzeLeaf: ${spec.type} is a container`);
    default:
      return analyzeElementwise(spec, input, label);
  }
}

/** A child's key in its parent: its `name`, else its index (validation checks the name later). */
function nameOf(spec: unknown, index: number): string {
  const name = typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : String(index);
}

function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

function summed(
  type: LayerSpec['type'],
  input: readonly number[],
  output: readonly number[],
  parts: readonly PlanNode[],
): LayerAnalysis {
  const sum = (key: 'params' | 'buffers' | 'macs' | 'paramBytes' | 'bufferBytes') =>
    parts.reduce((s, n) => s + n.analysis[key], 0);
  const macs = sum('macs');
  return {
    type,
    inputShape: input,
    outputShape: output,
    params: sum('params'),
    buffers: sum('buffers'),
    macs,
    flops: 2 * macs,
    activationBytes: shapeSize(output) * BYTES_PER_VALUE,
    paramBytes: sum('paramBytes'),
    bufferBytes: sum('bufferBytes'),
  };
}

/** Plans a list of specs run one after the other; names are their `name` or their index. */
export function planSequence(
  specs: readonly unknown[],
  input: readonly number[],
  parentPath: string,
  depth: number,
  owner: string,
): { nodes: PlanNode[]; outputShape: readonly number[] } {
  const nodes: PlanNode[] = [];
  const seen = new Set<string>();
  let shape = input;
  specs.forEach((spec, index) => {
    const name = nameOf(spec, index);
    if (seen.has(name))
      throw new ArgumentError(
        `${owner}: two modules are named '${name}'; names must be unique within a container`,
      );
    seen.add(name);
    const node = planLayer(spec, shape, childPath(parentPath, name), depth);
    nodes.push(node);
    shape = node.analysis.outputShape;
  });
  return { nodes, outputShape: shape };
}

function planResidual(
  spec: ResidualSpec,
  input: readonly number[],
  path: string,
  depth: number,
  label: string,
): PlanNode {
  const bodyName = spec.bodyName ?? 'body';
  const shortcutName = spec.shortcutName ?? 'shortcut';
  const shortcutSpecs = spec.shortcut ?? [];
  let body: PlanNode[];
  let bodyOutput: readonly number[];
  if (bodyName === '') {
    // The body's modules hang on the block itself (torchvision's BasicBlock).
    const names = spec.body.map(nameOf);
    if (shortcutSpecs.length > 0 && names.includes(shortcutName)) {
      throw new ArgumentError(
        `${label}: the body module '${shortcutName}' has the shortcut's name; set shortcutName`,
      );
    }
    ({ nodes: body, outputShape: bodyOutput } = planSequence(spec.body, input, path, depth + 1, label));
  } else {
    if (shortcutSpecs.length > 0 && bodyName === shortcutName) {
      throw new ArgumentError(`${label}: bodyName and shortcutName are both '${bodyName}'`);
    }
    const sequential: SequentialSpec = { type: 'Sequential', name: bodyName, layers: spec.body };
    const node = planLayer(sequential, input, childPath(path, bodyName), depth + 1);
    body = [node];
    bodyOutput = node.analysis.outputShape;
  }
  const shortcut: PlanNode[] = [];
  let shortcutOutput = input;
  if (shortcutSpecs.length > 0) {
    const sequential: SequentialSpec = { type: 'Sequential', name: shortcutName, layers: shortcutSpecs };
    const node = planLayer(sequential, input, childPath(path, shortcutName), depth + 1);
    shortcut.push(node);
    shortcutOutput = node.analysis.outputShape;
  }
  if (bodyOutput.length !== shortcutOutput.length || bodyOutput.some((d, i) => d !== shortcutOutput[i])) {
    throw new ShapeError(
      `${label}: the body gives ${formatShape(bodyOutput)} but the ${shortcutSpecs.length > 0 ? 'shortcut gives' : 'identity shortcut keeps the input'} ${formatShape(shortcutOutput)}; they must match to be added`,
    );
  }
  const children = [...body, ...shortcut];
  return {
    spec,
    path,
    depth,
    label,
    analysis: summed(spec.type, input, bodyOutput, children),
    kind: 'residual',
    children,
    branches: [body, shortcut],
  };
}

/** Plans one spec (and its children) on an input of the given shape. */
export function planLayer(spec: unknown, input: readonly number[], path: string, depth: number): PlanNode {
  validateLayerSpec(spec, path);
  const label = layerLabel(spec.type, path);
  if (spec.type === 'Sequential' || spec.type.startsWith('SeparableConv')) {
    const specs =
      spec.type === 'Sequential'
        ? spec.layers
        : separableChildren(spec as Parameters<typeof separableChildren>[0]);
    const { nodes, outputShape } = planSequence(specs, input, path, depth + 1, label);
    return {
      spec,
      path,
      depth,
      label,
      analysis: summed(spec.type, input, outputShape, nodes),
      kind: 'sequential',
      children: nodes,
      branches: [nodes],
    };
  }
  if (spec.type === 'Residual') return planResidual(spec, input, path, depth, label);
  const result = analyzeLeaf(spec, input, label);
  const buffers = result.buffers ?? 0;
  return {
    spec,
    path,
    depth,
    label,
    analysis: {
      type: spec.type,
      inputShape: input,
      outputShape: result.outputShape,
      params: result.params,
      buffers,
      macs: result.macs,
      flops: 2 * result.macs,
      activationBytes: shapeSize(result.outputShape) * BYTES_PER_VALUE,
      paramBytes: result.params * BYTES_PER_VALUE,
      bufferBytes: result.bufferBytes ?? buffers * BYTES_PER_VALUE,
      ...(result.parts ? { parts: result.parts } : {}),
    },
    kind: 'leaf',
    map: result.map,
    children: [],
    branches: [],
  };
}

/** Plans a whole model: a list of specs run in sequence from `inputShape`. */
export function planModel(
  op: string,
  specs: unknown,
  inputShape: unknown,
): { nodes: PlanNode[]; input: readonly number[]; outputShape: readonly number[] } {
  const input = checkInputShape(op, inputShape);
  if (!Array.isArray(specs)) {
    throw new ArgumentError(
      `${op}: specs must be a list of layer specs, got ${specs === null ? 'null' : typeof specs}`,
    );
  }
  const { nodes, outputShape } = planSequence(specs, input, '', 0, op);
  return { nodes, input, outputShape };
}

/** Every node in PyTorch's named_modules() order (a container before its children). */
export function preorder(nodes: readonly PlanNode[]): PlanNode[] {
  const out: PlanNode[] = [];
  const visit = (node: PlanNode) => {
    out.push(node);
    node.children.forEach(visit);
  };
  nodes.forEach(visit);
  return out;
}
