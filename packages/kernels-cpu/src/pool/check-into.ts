/**
 * checkInto: the checks of a tensor given to a pooled call to hold its result (`convInto`'s
 * `out`, convBackward's `gradients.inputGradientInto`), the same as the module ops make: a
 * contiguous float32 Tensor of exactly the result's shape whose memory overlaps none of the
 * call's tensors (pieces write into it while others still read those). Each failure is an
 * ArgumentError naming the op, the argument, what was expected and what came.
 */
import { ArgumentError, formatShape, readTensor, type Tensor } from '@convkit/tensor';

/** The bytes [start, end) of its buffer that a view can reach (its first to its last element). */
function byteRange(t: Tensor): [number, number] {
  let first = t.offset;
  let last = t.offset;
  if (t.size === 0) return [0, 0];
  for (let d = 0; d < t.shape.length; d++) {
    const reach = (t.shape[d]! - 1) * t.strides[d]!;
    if (reach < 0) first += reach;
    else last += reach;
  }
  const base = t.data.byteOffset;
  return [base + first * 4, base + (last + 1) * 4];
}

/** Whether two views share any byte of one buffer. */
export function tensorsOverlap(a: Tensor, b: Tensor): boolean {
  if (a.data.buffer !== b.data.buffer || a.size === 0 || b.size === 0) return false;
  const [a0, a1] = byteRange(a);
  const [b0, b1] = byteRange(b);
  return a0 < b1 && b0 < a1;
}

/**
 * Returns `value` as a Tensor after the checks above (see the module comment). `reads` names
 * the call's tensors (input, weight, bias, ...; null entries are skipped).
 */
export function checkInto(
  op: string,
  name: string,
  value: unknown,
  shape: readonly number[],
  reads: Record<string, Tensor | null | undefined>,
): Tensor {
  const out = readTensor(op, name, value);
  if (!out.isContiguous) {
    throw new ArgumentError(
      `${op}: ${name} must be a contiguous float32 tensor, got a strided view of shape ${formatShape(out.shape)} (strides ${formatShape(out.strides)})`,
    );
  }
  if (out.shape.length !== shape.length || out.shape.some((n, i) => n !== shape[i])) {
    throw new ArgumentError(
      `${op}: ${name} must have the result's shape ${formatShape(shape)}, got ${formatShape(out.shape)}`,
    );
  }
  for (const [readName, t] of Object.entries(reads)) {
    if (t && tensorsOverlap(out, t)) {
      throw new ArgumentError(
        `${op}: ${name} must not overlap ${readName} in memory, got a view sharing its memory (offset ${out.offset} of ${out.data.length} floats)`,
      );
    }
  }
  return out;
}
