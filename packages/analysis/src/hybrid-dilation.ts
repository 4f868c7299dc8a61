/**
 * hybridDilationCheck: the gridding checks of hybrid dilated convolution (HDC; Wang et al.,
 * "Understanding Convolution for Semantic Segmentation", WACV 2018, section 3.2) for a stack
 * of K x K convolutions with dilation rates r_1..r_n, and the exact coverage of the stack.
 *
 * - Common factor: rates that share a factor g > 1 (2, 4, 8) only ever reach input positions
 *   that are multiples of g apart, whatever the kernel: the gridding effect.
 * - Maximum distance between two non-zero values: M_n = r_n,
 *   M_i = max[M_(i+1) - 2 r_i, M_(i+1) - 2 (M_(i+1) - r_i), r_i], and the design goal is
 *   M_2 <= K. With K = 3, r = [1, 2, 5] gives M_2 = 2 and passes; [1, 2, 9] gives M_2 = 5.
 *   The criterion leaves r_1 out: it assumes the first layer is dense (r_1 = 1), as all the
 *   paper's examples are.
 * - holes: the exact count of positions inside the stack's receptive field (size
 *   1 + (K - 1)(r_1 + ... + r_n)) that feed no output, from inputCoverage: the ground truth
 *   the two rules approximate (rates [2, 3] pass both rules, yet leave holes since r_1 > 1).
 */
import { ArgumentError, formatValue } from '@convkit/tensor';
import { inputCoverage } from './input-coverage';
import type { ConvSpec } from './layer-spec';
import { receptiveField } from './receptive-field';

export interface HybridDilationCheck {
  readonly rates: readonly number[];
  readonly kernelSize: number;
  /** Greatest common divisor of the rates; gridding when > 1. */
  readonly commonFactor: number;
  /** M_2 of Wang et al.: the largest gap the layers above the first leave. */
  readonly maxDistance: number;
  /** M_2 ... M_n. */
  readonly distances: readonly number[];
  /** 1 + (K - 1) * sum(rates). */
  readonly receptiveFieldSize: number;
  /** 1 where an input position of the field feeds the output (length receptiveFieldSize). */
  readonly coverage: Uint8Array;
  /** Positions of the field that feed nothing. */
  readonly holes: number;
  /** No common factor and M_2 <= K: the two rules of the paper. */
  readonly passes: boolean;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function hybridDilationCheck(rates: readonly number[], kernelSize = 3): HybridDilationCheck {
  if (
    !Array.isArray(rates) ||
    rates.length < 2 ||
    rates.some((r) => typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1)
  ) {
    throw new ArgumentError(
      `hybridDilationCheck: rates must be 2 or more positive integers (one per layer), got ${formatValue(rates)}`,
    );
  }
  if (typeof kernelSize !== 'number' || !Number.isSafeInteger(kernelSize) || kernelSize < 2) {
    throw new ArgumentError(
      `hybridDilationCheck: kernelSize must be an integer of at least 2, got ${formatValue(kernelSize)}`,
    );
  }
  const n = rates.length;
  // distances[i] = M_(i+1) in the paper's 1-based numbering, filled from the top layer down.
  const distances = new Array<number>(n);
  distances[n - 1] = rates[n - 1]!;
  for (let i = n - 2; i >= 1; i--) {
    const above = distances[i + 1]!;
    const r = rates[i]!;
    distances[i] = Math.max(above - 2 * r, above - 2 * (above - r), r);
  }
  const maxDistance = distances[1]!;
  const commonFactor = rates.reduce(gcd);

  const specs: ConvSpec[] = rates.map((dilation) => ({
    type: 'Conv1d',
    inChannels: 1,
    outChannels: 1,
    kernelSize,
    dilation,
  }));
  const size = receptiveField(specs).layers.at(-1)!.dims[0]!.size;
  // On an input exactly one field wide the stack has one output, fed by its whole field.
  const coverage = inputCoverage(specs, [1, 1, size], { outputIndex: [0] });
  return {
    rates: [...rates],
    kernelSize,
    commonFactor,
    maxDistance,
    distances: distances.slice(1),
    receptiveFieldSize: size,
    coverage: coverage.mask,
    holes: size - coverage.count,
    passes: commonFactor === 1 && maxDistance <= kernelSize,
  };
}
