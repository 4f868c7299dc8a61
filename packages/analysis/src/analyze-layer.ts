/**
 * analyzeLayer: output shape, parameters, MACs per sample, FLOPs (2 x MACs) and float32 memory
 * of one layer on an input of the given shape (batch first, channels first, as PyTorch's
 * modules take it). Containers (Sequential, Residual, SeparableConv*) report their children's
 * sums. Shapes come from convGeometry; the counting rules are in layer-analysis.ts and the
 * README.
 */
import type { LayerAnalysis } from './layer-analysis';
import type { LayerSpec } from './layer-spec';
import { checkInputShape, planOne } from './model-plan';

/**
 * Analyses one layer spec. Throws ArgumentError for a malformed spec, ShapeError when the
 * input does not fit the layer, UnsupportedError for what convkit does not define (padding
 * 'same' or a paddingMode other than 'zeros' on a transposed convolution); each message names
 * the layer (its type, and its `name` when it has one) and the field. Padding 'same' at
 * stride > 1, which PyTorch refuses, is accepted as TensorFlow/ONNX SAME_UPPER.
 */
export function analyzeLayer(spec: LayerSpec, inputShape: readonly number[]): LayerAnalysis {
  const input = checkInputShape('analyzeLayer', inputShape);
  // Validation happens in planOne; a name is only read if it is a string.
  const name = typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : undefined;
  return planOne(spec, input, typeof name === 'string' ? name : '').analysis;
}
