/**
 * For the tests of the op-level pieces (./call-plans.ts, ./piece-runner.ts): a CPU context
 * with its team turned off, so that calls the team would take (every dense convolution, in
 * Node) are split into pieces as on a page's main thread. The team has tests of its own
 * (./wasm-team.test.ts). Both split calls from TEST_SPLIT_MACS multiply-adds up, not from
 * SPLIT_MIN_MS of work (./call-cost.ts), so that small tensors exercise the splits.
 */
import { type CpuContext, type CpuContextOptions, createCpuContext } from './cpu-context';

/** The multiply-adds from which test contexts split calls (4M: about 0.1-0.3 ms of work). */
export const TEST_SPLIT_MACS = 1 << 22;

interface SplitHooks {
  setTeamForTest(on: boolean): void;
  setSplitMinMacsForTest(macs: number | null): void;
}

/** A context that splits calls of TEST_SPLIT_MACS or more (its team on). */
export async function createSplittingContext(options?: CpuContextOptions): Promise<CpuContext> {
  const context = await createCpuContext(options);
  (context as unknown as SplitHooks).setSplitMinMacsForTest(TEST_SPLIT_MACS);
  return context;
}

/** A context that splits calls of TEST_SPLIT_MACS or more into op-level pieces (its team off). */
export async function createPieceContext(options?: CpuContextOptions): Promise<CpuContext> {
  const context = await createSplittingContext(options);
  (context as unknown as SplitHooks).setTeamForTest(false);
  return context;
}
