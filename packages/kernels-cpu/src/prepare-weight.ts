/**
 * prepareWeight: a weight prepared once for many calls, as ONNX Runtime and XNNPACK pack a
 * model's filters at load time. The result is a Tensor (pass it wherever a weight goes) that
 * holds a contiguous copy convkit owns: the ops read its buffer directly instead of copying a
 * strided or foreign weight on every call, and kernels may keep forms derived from it (a
 * Winograd kernel's transformed filters) between calls, through `preparedWeightCache`. So the
 * copy must not change after it is prepared: convkit never writes it, and neither may the
 * caller (prepare again after changing the original; training code, whose weights change every
 * step, should pass plain tensors).
 */
import { readTensor, Tensor } from '@convkit/tensor';

/** Buffers of prepared weights, with the values kernels derived from them, per key. */
const caches = new WeakMap<Float32Array, Map<string, unknown>>();

/** A weight tensor whose buffer convkit owns and kernels may derive cached forms from. */
export class PreparedWeight extends Tensor {}

/** A prepared copy of `weight` (any layout, view or foreign tensor): see the module comment. */
export function prepareWeight(weight: Tensor): PreparedWeight {
  // A tensor from another copy of the package is re-described as one of ours.
  const source = readTensor('prepareWeight', 'weight', weight);
  const prepared = new PreparedWeight(source.toFloat32Array(), [...source.shape]);
  caches.set(prepared.data, new Map());
  return prepared;
}

/**
 * The value a kernel derived from a prepared weight's buffer under `key` (which must name
 * everything the value depends on besides the weight: algorithm, geometry), made by `make` on
 * first use. For a buffer that is not a prepared weight's it returns `make()` uncached.
 */
export function preparedWeightCache<T>(data: Float32Array, key: string, make: () => T): T {
  const cache = caches.get(data);
  if (cache === undefined) return make();
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

/** Whether `data` is the buffer of a prepared weight. */
export function isPreparedWeightData(data: Float32Array): boolean {
  return caches.has(data);
}
