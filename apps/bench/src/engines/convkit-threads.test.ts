import { describe, expect, it } from 'vitest';
import { BENCH_CONFIGS } from '../bench-configs';
import { isUnsupported } from '../engine';
import { createProblem } from '../problem';
import { referenceCache } from '../reference-cache';
import { convkitThreadEngine, convkitThreadEngines } from './convkit-threads';

const smoke = (id: string) => createProblem(BENCH_CONFIGS.find((c) => c.id === id)!, { smoke: true });

describe('convkitThreadEngines', () => {
  it('has convkit 2T, labelled with its two threads beside the peers', () => {
    const [twoT] = convkitThreadEngines();
    expect(twoT!.info).toMatchObject({ id: 'convkit-2t', label: 'convkit 2T', threads: 2, convkit: true });
    expect(twoT!.info.oracle).toBeFalsy();
  });

  it('matches the reference output of every op through the pool, and closes its workers', async () => {
    const engine = convkitThreadEngine(2);
    await engine.init();
    try {
      for (const id of ['c3x3', 'tconv4x4', 'deform3x3', 'c3x3-bwd']) {
        const problem = smoke(id);
        const made = await engine.prepare(problem);
        if (isUnsupported(made)) throw new Error(made.unsupported);
        const { output, ms } = await made.run({ keepOutput: true });
        expect(ms, id).toBeGreaterThanOrEqual(0);
        const want = (await referenceCache.get(problem)).output;
        expect(output!.length, id).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++)
          worst = Math.max(worst, Math.abs(output![i]! - want[i]!) / (1e-4 + 1e-4 * Math.abs(want[i]!)));
        expect(worst, id).toBeLessThanOrEqual(1);
        expect((await made.run()).output, id).toBeUndefined();
      }
    } finally {
      await engine.close();
    }
  });
});
