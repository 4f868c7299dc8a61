import { CONV_ALGORITHMS, wasmSupport } from '@convkit/kernels-cpu';
import { describe, expect, it } from 'vitest';
import { BENCH_CONFIGS } from '../bench-configs';
import { isUnsupported, type PreparedRun } from '../engine';
import { EngineUnsupportedError } from '../engine-unsupported-error';
import { createProblem } from '../problem';
import { referenceCache } from '../reference-cache';
import { convkitEngine, convkitEngines } from './convkit';

const smoke = (id: string) => createProblem(BENCH_CONFIGS.find((c) => c.id === id)!, { smoke: true });

async function prepared(algorithm: string, id: string): Promise<PreparedRun> {
  const made = await convkitEngine(algorithm).prepare(smoke(id));
  if (isUnsupported(made)) throw new Error(made.unsupported);
  return made;
}

describe('convkitEngines', () => {
  it("has 'auto' (also on the plain SIMD build where relaxed SIMD is the default) and one engine per registered algorithm, the reference first and marked as the oracle", () => {
    const engines = convkitEngines();
    const expected = ['auto', ...CONV_ALGORITHMS].map((a) => `convkit-${a}`);
    if (wasmSupport().relaxedSimd) expected.push('convkit-auto-simd');
    expect(engines.map((e) => e.info.id).sort()).toEqual(expected.sort());
    expect(engines[0]!.info).toMatchObject({ id: 'convkit-reference', oracle: true, convkit: true });
    expect(engines.slice(1).every((e) => !e.info.oracle)).toBe(true);
  });

  it('returns the reference output of every op, the backward pass as gradInput then gradWeight', async () => {
    for (const id of ['c3x3', 'tconv4x4', 'deform3x3', 'c3x3-bwd']) {
      const problem = smoke(id);
      const { output } = await (await prepared('reference', id)).run({ keepOutput: true });
      const expectedLength = problem.outputShapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
      expect(output!.length, id).toBe(expectedLength);
      expect([...output!], id).toEqual([...(await referenceCache.get(problem)).output]);
    }
  });

  it('keeps the output only when asked', async () => {
    expect((await (await prepared('reference', 'c3x3')).run()).output).toBeUndefined();
  });

  it('reports an algorithm kernels-cpu does not have as unsupported, with the library message', async () => {
    const run = (await prepared('no-such-algorithm', 'c3x3')).run();
    await expect(run).rejects.toBeInstanceOf(EngineUnsupportedError);
    await expect(run).rejects.toThrow(
      /algorithm must be 'auto' or one of 'reference'.*got 'no-such-algorithm'/,
    );
  });
});
