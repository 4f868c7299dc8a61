/**
 * ReferenceCache: convkit's reference output of each problem, computed once per process.
 * The reference kernels are direct loops with float64 accumulation: the truth, and slow
 * (seconds on the big configs), so every engine is checked against one cached run.
 */
import { isUnsupported } from './engine';
import { convkitEngine, ORACLE_ALGORITHM } from './engines/convkit';
import type { Problem } from './problem';

export interface ReferenceOutput {
  /** The outputs flattened and concatenated, as engines return them. */
  output: Float32Array;
  /** Milliseconds of the run that computed it (a cold run of convkit's reference). */
  ms: number;
}

export class ReferenceCache {
  private readonly entries = new Map<string, Promise<ReferenceOutput>>();
  private readonly oracle = convkitEngine(ORACLE_ALGORITHM);

  /** The reference output of `problem`, computed on first request. */
  get(problem: Problem): Promise<ReferenceOutput> {
    let entry = this.entries.get(problem.key);
    if (!entry) {
      entry = this.compute(problem);
      this.entries.set(problem.key, entry);
      entry.catch(() => this.entries.delete(problem.key));
    }
    return entry;
  }

  private async compute(problem: Problem): Promise<ReferenceOutput> {
    const prepared = await this.oracle.prepare(problem);
    if (isUnsupported(prepared))
      throw new Error(`convkit's reference cannot run ${problem.key}: ${prepared.unsupported}`);
    try {
      const { ms, output } = await prepared.run({ keepOutput: true });
      return { ms, output: output! };
    } finally {
      await prepared.dispose();
    }
  }
}

/** The cache shared by every run in this process. */
export const referenceCache = new ReferenceCache();
