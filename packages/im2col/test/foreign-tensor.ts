/**
 * Tensors as a second copy of @convkit/tensor would make them: the same fields and methods on
 * a prototype that is not this copy's Tensor.prototype, so `instanceof Tensor` is false while
 * `isTensor` is true. The ops must accept them.
 */
import { isTensor, Tensor } from '@convkit/tensor';

const foreignPrototype: object = Object.create(
  Object.prototype,
  Object.getOwnPropertyDescriptors(Tensor.prototype),
);

/** `t` re-homed on a copied prototype (getters such as `rank` included). */
export function foreignTensor(t: Tensor): Tensor {
  const copy = Object.assign(Object.create(foreignPrototype) as Tensor, t);
  if (copy instanceof Tensor || !isTensor(copy)) throw new Error('foreignTensor: not a foreign tensor');
  return copy;
}

/** `t`'s fields spread into a plain object, its methods bound to `t`: a structural tensor. */
export function plainTensor(t: Tensor): Tensor {
  const methods = ['permute', 'contiguous', 'toFloat32Array', 'reshape'] as const;
  const copy = { ...t, ...Object.fromEntries(methods.map((m) => [m, t[m].bind(t)])) } as unknown as Tensor;
  if (copy instanceof Tensor || !isTensor(copy)) throw new Error('plainTensor: not a structural tensor');
  return copy;
}
