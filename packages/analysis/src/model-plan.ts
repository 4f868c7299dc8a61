/**
 * planModel: walks a list of layer specs with an input shape and builds the tree every
 * analysis reads: per module its PyTorch state-dict path (`features.3`, `layer1.0.conv1`),
 * input and output shapes, parameter, buffer and MAC counts, and (for leaves) its SpatialMap.
 * Containers (Sequential, Residual, SeparableConv*) sum their children. Every spec is
 * validated where it stands, so errors name the module's path. The walk is iterative
 * (runNested), so any nesting depth works, and a container that contains itself (a cycle of
 * objects) is refused with an ArgumentError naming the path where it comes back.
 */
import { ArgumentError, formatShape, formatValue, ShapeError, shapeSize } from '@convkit/tensor';
import { checkCount } from './check-count';
import { analyzeConv, analyzeConvTranspose, analyzeDeformConv2d, separableChildren } from './conv-layers';
import { analyzeElementwise } from './elementwise-layers';
import { BYTES_PER_VALUE, type LayerAnalysis, type LeafResult } from './layer-analysis';
import type { LayerSpec, ResidualSpec, SequentialSpec } from './layer-spec';
import { layerSpecsOf } from './layer-spec-source';
import { analyzeFlatten, analyzeLinear } from './linear-layers';
import { analyzeBatchNorm, analyzeGroupNorm, analyzeLayerNorm } from './norm-layers';
import { analyzeAdaptivePool, analyzePool } from './pool-layers';
import { type Nested, runNested } from './run-nested';
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
    inputShape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)
  ) {
    const shown = Array.isArray(inputShape) ? formatShape(inputShape as number[]) : formatValue(inputShape);
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

/** A plain object's own enumerable fields whose value is not null; anything else as it is. */
function ownFields(spec: unknown): unknown {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  // Prototype-free, so that an absent optional field reads undefined even if Object.prototype has it.
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(spec)) {
    const value = (spec as Record<string, unknown>)[key];
    if (value !== null && value !== undefined)
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A child's key in its parent: its `name`, else its index (validation checks the name later). */
function nameOf(spec: unknown, index: number): string {
  const name =
    typeof spec === 'object' && spec !== null && Object.hasOwn(spec, 'name')
      ? (spec as { name?: unknown }).name
      : undefined;
  return typeof name === 'string' ? name : String(index);
}

function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

/** Every count of an analysis must be exact (a safe integer): sizes near 1e308 are refused. */
function checked(ctx: PlanContext, label: string, analysis: LayerAnalysis): LayerAnalysis {
  if (!ctx.exactCounts) return analysis;
  analysis.outputShape.forEach((d, i) => {
    checkCount(label, `output dim ${i}`, d);
  });
  for (const key of [
    'params',
    'buffers',
    'macs',
    'flops',
    'activationBytes',
    'paramBytes',
    'bufferBytes',
  ] as const) {
    checkCount(label, `the ${key} count`, analysis[key]);
  }
  return analysis;
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

/**
 * What a plan carries down: the containers being planned (a spec met again among them is a
 * cycle), and whether counts must be exact (not on receptiveField's nominal input).
 */
interface PlanContext {
  readonly ancestors: Map<object, string>;
  readonly exactCounts: boolean;
}

/** Plans a list of specs run one after the other; names are their `name` or their index. */
function* planSequence(
  specs: readonly unknown[],
  input: readonly number[],
  parentPath: string,
  depth: number,
  owner: string,
  ctx: PlanContext,
): Nested<{ nodes: PlanNode[]; outputShape: readonly number[] }> {
  const nodes: PlanNode[] = [];
  const seen = new Set<string>();
  let shape = input;
  for (let index = 0; index < specs.length; index++) {
    const spec = specs[index];
    const name = nameOf(spec, index);
    if (seen.has(name))
      throw new ArgumentError(
        `${owner}: two modules are named '${name}'; names must be unique within a container`,
      );
    seen.add(name);
    const node = (yield planLayer(spec, shape, childPath(parentPath, name), depth, ctx)) as PlanNode;
    nodes.push(node);
    shape = node.analysis.outputShape;
  }
  return { nodes, outputShape: shape };
}

function* planResidual(
  spec: ResidualSpec,
  input: readonly number[],
  path: string,
  depth: number,
  label: string,
  ctx: PlanContext,
): Nested<PlanNode> {
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
    ({ nodes: body, outputShape: bodyOutput } = yield* planSequence(
      spec.body,
      input,
      path,
      depth + 1,
      label,
      ctx,
    ));
  } else {
    if (shortcutSpecs.length > 0 && bodyName === shortcutName) {
      throw new ArgumentError(`${label}: bodyName and shortcutName are both '${bodyName}'`);
    }
    const sequential: SequentialSpec = { type: 'Sequential', name: bodyName, layers: spec.body };
    const node = (yield planLayer(sequential, input, childPath(path, bodyName), depth + 1, ctx)) as PlanNode;
    body = [node];
    bodyOutput = node.analysis.outputShape;
  }
  const shortcut: PlanNode[] = [];
  let shortcutOutput = input;
  if (shortcutSpecs.length > 0) {
    const sequential: SequentialSpec = { type: 'Sequential', name: shortcutName, layers: shortcutSpecs };
    const node = (yield planLayer(
      sequential,
      input,
      childPath(path, shortcutName),
      depth + 1,
      ctx,
    )) as PlanNode;
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
    analysis: checked(ctx, label, summed(spec.type, input, bodyOutput, children)),
    kind: 'residual',
    children,
    branches: [body, shortcut],
  };
}

/** Plans one spec (and its children) on an input of the given shape, as a step of runNested. */
function* planLayer(
  spec: unknown,
  input: readonly number[],
  path: string,
  depth: number,
  ctx: PlanContext,
): Nested<PlanNode> {
  if (typeof spec === 'object' && spec !== null && ctx.ancestors.has(spec)) {
    const first = ctx.ancestors.get(spec)!;
    throw new ArgumentError(
      `layer '${path}': the model contains itself: this spec is the container at ${first ? `'${first}'` : 'the top'} again (a cycle); a module may appear only once on any path`,
    );
  }
  // The analysers read a copy of the spec's own fields, null ones left out (the null rule), so
  // nothing inherited (a polluted Object.prototype) reaches them.
  const own = ownFields(spec);
  validateLayerSpec(own, path);
  const label = layerLabel(own.type, path);
  if (own.type !== 'Sequential' && own.type !== 'Residual' && !own.type.startsWith('SeparableConv')) {
    return planLeaf(own, input, path, depth, label, ctx);
  }
  ctx.ancestors.set(spec as object, path);
  try {
    return yield* planContainer(own, input, path, depth, label, ctx);
  } finally {
    ctx.ancestors.delete(spec as object);
  }
}

function* planContainer(
  spec: LayerSpec,
  input: readonly number[],
  path: string,
  depth: number,
  label: string,
  ctx: PlanContext,
): Nested<PlanNode> {
  if (spec.type === 'Sequential' || spec.type.startsWith('SeparableConv')) {
    const specs =
      spec.type === 'Sequential'
        ? spec.layers
        : separableChildren(spec as Parameters<typeof separableChildren>[0]);
    const { nodes, outputShape } = yield* planSequence(specs, input, path, depth + 1, label, ctx);
    return {
      spec,
      path,
      depth,
      label,
      analysis: checked(ctx, label, summed(spec.type, input, outputShape, nodes)),
      kind: 'sequential',
      children: nodes,
      branches: [nodes],
    };
  }
  return yield* planResidual(spec as ResidualSpec, input, path, depth, label, ctx);
}

function planLeaf(
  spec: LayerSpec,
  input: readonly number[],
  path: string,
  depth: number,
  label: string,
  ctx: PlanContext,
): PlanNode {
  const result = analyzeLeaf(spec, input, label);
  const buffers = result.buffers ?? 0;
  return {
    spec,
    path,
    depth,
    label,
    analysis: checked(ctx, label, {
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
    }),
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
  exactCounts = true,
): { nodes: PlanNode[]; input: readonly number[]; outputShape: readonly number[] } {
  const input = checkInputShape(op, inputShape);
  const list = layerSpecsOf(op, specs);
  const ctx: PlanContext = { ancestors: new Map([[list, '']]), exactCounts };
  const { nodes, outputShape } = runNested(planSequence(list, input, '', 0, op, ctx));
  return { nodes, input, outputShape };
}

/** Plans one spec (and its children), e.g. for analyzeLayer. */
export function planOne(spec: unknown, input: readonly number[], path: string): PlanNode {
  return runNested(planLayer(spec, input, path, 0, { ancestors: new Map(), exactCounts: true }));
}

/** Every node in PyTorch's named_modules() order (a container before its children); iterative. */
export function preorder(nodes: readonly PlanNode[]): PlanNode[] {
  const out: PlanNode[] = [];
  const stack: PlanNode[] = [...nodes].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    out.push(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}
