/**
 * layerSpecsOf: the one place that turns what a user passes as "the model" into the list of
 * layer specs the analyses walk. A list of specs passes as it is; an object with a
 * `toLayerSpecs()` method (every @convkit/layers Module has one) is asked for its specs, so
 * `summary(model, [1, 1, 28, 28])` works on a model without this package depending on layers.
 */
import { ArgumentError } from '@convkit/tensor';
import type { LayerSpec } from './layer-spec';

/** Anything that can describe itself as layer specs: an @convkit/layers Module, for one. */
export interface LayerSpecSource {
  toLayerSpecs(): readonly LayerSpec[];
}

/** What the model-level analyses accept: specs, or a model that gives them. */
export type ModelLike = readonly LayerSpec[] | LayerSpecSource;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object'
    ? `a ${name} without toLayerSpecs()`
    : 'an object without toLayerSpecs()';
}

/** The specs of `model` (a list of specs, or a model with toLayerSpecs()); `op` names the caller in errors. */
export function layerSpecsOf(op: string, model: unknown): readonly LayerSpec[] {
  if (Array.isArray(model)) return model;
  const source = model as Partial<LayerSpecSource> | null;
  if (typeof source === 'object' && source !== null && typeof source.toLayerSpecs === 'function') {
    const specs: unknown = source.toLayerSpecs();
    if (!Array.isArray(specs)) {
      throw new ArgumentError(
        `${op}: the model's toLayerSpecs() must return a list of layer specs, got ${describe(specs)}`,
      );
    }
    return specs;
  }
  throw new ArgumentError(
    `${op}: specs must be a list of layer specs or a model with toLayerSpecs() (an @convkit/layers Module), got ${describe(model)}`,
  );
}
