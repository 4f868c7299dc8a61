/** flatValues: a tensor's values as one contiguous Float32Array, without a copy when it already is one. */
import type { Tensor } from '@convkit/tensor';

/** The tensor's own buffer (or the window of it) when the tensor is contiguous; else a contiguous copy. */
export function flatValues(t: Tensor): Float32Array {
  const c = t.contiguous();
  return c.offset === 0 && c.data.length === c.size ? c.data : c.data.subarray(c.offset, c.offset + c.size);
}
