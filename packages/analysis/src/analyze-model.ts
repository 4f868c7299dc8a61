/**
 * analyzeModel: a sequential stack of layer specs run from an input shape, with one row per
 * module in PyTorch's named_modules() order (containers before their children, paths as in
 * the state dict: `features.3`, `layer1.0.conv1`, `layer1.0.downsample.0`) and totals.
 * Totals count every leaf once: parameters, buffers, MACs and FLOPs per sample, and float32
 * memory (input, every leaf's output as kept for the backward pass, parameters, buffers).
 */
import { shapeSize } from '@convkit/tensor';
import { BYTES_PER_VALUE, type LayerAnalysis } from './layer-analysis';
import type { LayerSpec } from './layer-spec';
import type { ModelLike } from './layer-spec-source';
import { planModel, preorder } from './model-plan';

/** One module's row: its spec's fields, where it sits, and its numbers. */
export type ModelLayer = LayerSpec &
  LayerAnalysis & {
    /** State-dict path of the module: `features.3`. */
    readonly path: string;
    /** 0 for the specs given to analyzeModel, 1 for their children... */
    readonly depth: number;
    /** False for containers (Sequential, Residual, SeparableConv*), whose numbers sum their children's. */
    readonly leaf: boolean;
    readonly spec: LayerSpec;
  };

export interface ModelAnalysis {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Every module, containers before their children. */
  readonly layers: readonly ModelLayer[];
  readonly totalParams: number;
  readonly totalBuffers: number;
  /** Per sample. */
  readonly totalMacs: number;
  /** 2 x totalMacs. */
  readonly totalFlops: number;
  /** float32 bytes of the input (whole batch). */
  readonly inputBytes: number;
  /** float32 bytes of every leaf's output (whole batch): what a training step keeps. */
  readonly activationBytes: number;
  readonly paramBytes: number;
  readonly bufferBytes: number;
}

/** Analyses a sequential stack of layer specs on an input of the given shape (batch first). */
export function analyzeModel(specs: ModelLike, inputShape: readonly number[]): ModelAnalysis {
  const { nodes, input, outputShape } = planModel('analyzeModel', specs, inputShape);
  const all = preorder(nodes);
  const layers = all.map(
    (node) =>
      ({
        ...node.spec,
        ...node.analysis,
        path: node.path,
        depth: node.depth,
        leaf: node.kind === 'leaf',
        spec: node.spec,
      }) as ModelLayer,
  );
  const leaves = all.filter((node) => node.kind === 'leaf').map((node) => node.analysis);
  const sum = (key: 'params' | 'buffers' | 'macs' | 'activationBytes' | 'paramBytes' | 'bufferBytes') =>
    leaves.reduce((s, a) => s + a[key], 0);
  const totalMacs = sum('macs');
  return {
    inputShape: input,
    outputShape,
    layers,
    totalParams: sum('params'),
    totalBuffers: sum('buffers'),
    totalMacs,
    totalFlops: 2 * totalMacs,
    inputBytes: shapeSize(input) * BYTES_PER_VALUE,
    activationBytes: sum('activationBytes'),
    paramBytes: sum('paramBytes'),
    bufferBytes: sum('bufferBytes'),
  };
}
