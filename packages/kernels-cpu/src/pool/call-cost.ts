/**
 * callMs: about how long one thread takes for a call, from its multiply-adds and the kind of
 * kernel that runs it, for deciding whether to split it among a context's threads. A split
 * call pays fixed costs the caller cannot share (its arguments checked twice, its operands
 * copied into WebAssembly memory and the result out, the input padded or packed, the other
 * threads woken), and on a machine whose cores sleep between calls the wake-up alone is a
 * good part of a millisecond; calls under SPLIT_MIN_MS of one thread's work run on the caller.
 *
 * Measured on the 2-core VM (one thread against a context of two, the same process, 25 calls
 * each, medians, 14:05-14:15 UTC 2026-11-28, load ~1; "warm": back to back, "gap": 6 ms idle
 * before each call, as the bench waits for quiet before each run):
 *
 * | call (forward unless said)      | 1 thread | 2 threads warm | 2 threads gap |
 * | ------------------------------- | -------: | -------------: | ------------: |
 * | c3x3 N1 (Winograd)              | 2.5 ms   | 1.06-1.14x     | 0.90-0.94x    |
 * | c3x3 N2                         | 4.0 ms   | 1.26x          | 0.92x         |
 * | c3x3 N4                         | 7.9 ms   | 1.22x          | 1.22x         |
 * | c3x3 N8                         | 16.4 ms  | 1.29x          | 1.33x         |
 * | stem7x7 N1 (implicit GEMM)      | 7.0 ms   | 1.31x          | 1.38x         |
 * | pw1x1 N1 (packed GEMM)          | 2.8 ms   | 1.28-1.38x     | 0.92-0.98x    |
 * | conv3d N1 C16 16x56x56 -> 32    | 30 ms    | 1.50x          | 1.65x         |
 * | c3x3 N1 backward                | 5.7 ms   | 1.06x          | 0.86x         |
 *
 * So under about 6 ms of work a split is a loss as soon as the threads have slept; the rates
 * below put the c3x3 N1 backward and stem7x7 just under it (stem gains when warm, by the
 * margin the estimate cannot see).
 */
import type { ConvGeometry } from '@convkit/tensor';
import { CONV_ALGORITHMS, engineCaps, resolveAlgorithm, selectConvAlgorithm } from '../algorithms';

/** Calls estimated under this many milliseconds of one thread run on the caller. */
export const SPLIT_MIN_MS = 6;

/**
 * Multiply-adds per millisecond of one thread, by kernel kind (the 2-core VM's Xeon, relaxed
 * SIMD; a faster machine does more, but its split costs shrink alike): Winograd counts the
 * direct product's multiply-adds, of which it does a quarter.
 */
const MACS_PER_MS = { winograd: 48e6, wasm: 20e6, typescript: 2e6 } as const;

/**
 * The algorithm a convolution call runs: its `algorithm` option, or what 'auto' picks for the
 * geometry and pass, as the op resolves it; null for a name the op refuses (the op's own
 * error then reports it).
 */
export function callAlgorithm(
  geometry: ConvGeometry,
  algorithm: unknown,
  pass: 'forward' | 'backward',
): string | null {
  try {
    return resolveAlgorithm(
      'conv',
      algorithm,
      CONV_ALGORITHMS,
      selectConvAlgorithm(geometry, pass, engineCaps()),
    );
  } catch {
    return null;
  }
}

/** The kernel kind of a convolution call. */
function kindOf(
  geometry: ConvGeometry,
  algorithm: unknown,
  pass: 'forward' | 'backward',
): keyof typeof MACS_PER_MS {
  const name = callAlgorithm(geometry, algorithm, pass);
  if (name === 'winograd') return 'winograd';
  return name === 'reference' || name === 'im2col' ? 'typescript' : 'wasm';
}

/**
 * About how long one thread takes for the call, in ms: the forward product, or the two
 * products of the backward pass. Deformable calls count as 'wasm' (their algorithm option
 * names other kernels).
 */
export function callMs(
  geometry: ConvGeometry,
  algorithm: unknown,
  pass: 'forward' | 'backward',
  deformable = false,
): number {
  const macs = geometry.batch * geometry.macsPerSample * (pass === 'backward' ? 2 : 1);
  return macs / MACS_PER_MS[deformable ? 'wasm' : kindOf(geometry, algorithm, pass)];
}
