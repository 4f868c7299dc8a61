/**
 * For the tests of the op-level pieces (./call-plans.ts, ./piece-runner.ts): a CPU context
 * with its team turned off, so that calls the team would take (every dense convolution, in
 * Node) are split into pieces as on a page's main thread. The team has tests of its own
 * (./wasm-team.test.ts).
 */
import { type CpuContext, type CpuContextOptions, createCpuContext } from './cpu-context';

export async function createPieceContext(options?: CpuContextOptions): Promise<CpuContext> {
  const context = await createCpuContext(options);
  (context as unknown as { setTeamForTest(on: boolean): void }).setTeamForTest(false);
  return context;
}
