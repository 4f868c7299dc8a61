/**
 * The GPU ops check their arguments with the very functions the CPU ops use
 * (`resolveConvCall`, `resolveConvTransposeCall`, `resolveDeformConvCall`, `checkGradOutput`
 * from @convkit/tensor), so both backends accept and refuse exactly the same calls with the
 * same messages. Those functions read Tensors; a GpuTensor argument is shown to them as a
 * stand-in: a Tensor of the same shape over one element with zero strides (no data copied).
 */
import { isPlainObject, opNameForWeight, Tensor } from '@convkit/tensor';
import { type GpuTensor, isGpuTensor } from './gpu-tensor';

/** A CPU or GPU tensor, as the GPU ops accept them. */
export type TensorLike = Tensor | GpuTensor;

/** `value` itself, or a shape-only Tensor stand-in for a GpuTensor (checks read only shapes). */
export function standIn(value: unknown): unknown {
  if (!isGpuTensor(value)) return value;
  return new Tensor(
    new Float32Array(1),
    value.shape,
    value.shape.map(() => 0),
  );
}

/** The options with GpuTensor-valued `bias` / `mask` replaced by stand-ins (other values untouched). */
export function standInOptions(options: unknown): unknown {
  if (!isPlainObject(options)) return options;
  const record = options as Record<string, unknown>;
  if (!isGpuTensor(record.bias) && !isGpuTensor(record.mask)) return options;
  const copy: Record<string, unknown> = { ...record };
  if ('bias' in copy) copy.bias = standIn(copy.bias);
  if ('mask' in copy) copy.mask = standIn(copy.mask);
  return copy;
}

/** The option's value as given (a Tensor or GpuTensor), or null when absent. */
export function tensorOption(options: unknown, key: 'bias' | 'mask'): TensorLike | null {
  if (!isPlainObject(options)) return null;
  const value = (options as Record<string, unknown>)[key];
  return value === undefined || value === null ? null : (value as TensorLike);
}

/** The op name PyTorch users know for this weight's rank (`conv2d`), as the CPU ops name it. */
export function opNameFor(kind: string, weight: unknown): string {
  return opNameForWeight(kind, weight);
}
