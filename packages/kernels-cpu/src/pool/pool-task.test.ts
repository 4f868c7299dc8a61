import { createRng, ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { claimWords, FAILED_BY_WORKER, readTaskError, runPoolTask } from './pool-task';
import { describeShared, toShared } from './shared-tensor';

const rng = createRng(80);

describe('runPoolTask', () => {
  it("marks a failed piece in its claim word and writes its error into the piece's slot", () => {
    const claims = claimWords(3);
    const x = toShared(rng.normalTensor([1, 5, 6, 6]));
    const w = toShared(rng.normalTensor([2, 4, 3, 3]));
    const task = {
      op: 'conv' as const,
      build: null,
      args: [describeShared(x), describeShared(w)],
      options: {},
      tensorOptions: {},
      outputs: { output: describeShared(toShared(rng.normalTensor([1, 2, 4, 4]))) },
      claim: { buffer: claims.buffer as SharedArrayBuffer, index: 1 },
    };
    let thrown: unknown;
    try {
      runPoolTask(task);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ShapeError);
    expect(Atomics.load(claims, 1)).toBe(FAILED_BY_WORKER);
    expect(Atomics.load(claims, 0)).toBe(0);
    const error = readTaskError(claims, 1);
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toBe((thrown as Error).message);
  });
});
