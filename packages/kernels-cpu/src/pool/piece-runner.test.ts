import { assertClose, createRng, ShapeError } from '@convkit/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { conv, convInto } from '../conv';
import { PieceRunner } from './piece-runner';
import type { PoolPiece } from './pool-task';
import { StagingArenas } from './staging-arenas';
import { WorkerPool } from './worker-pool';

const rng = createRng(79);
const pool = new WorkerPool(1, null);
afterAll(() => pool.dispose());

/** A conv piece writing into `out` (its input channels need not match the weight's). */
function convPiece(channels: number, out = rng.normalTensor([1, 8, 20, 20])): PoolPiece {
  return {
    op: 'conv',
    args: [rng.normalTensor([1, channels, 20, 20]), rng.normalTensor([8, 4, 3, 3])],
    options: { padding: 1 },
    tensorOptions: { bias: null },
    outputs: { output: out },
  };
}

describe('PieceRunner', () => {
  it("throws a worker's error from its error slot when blocking, and rejects with it when awaited", async () => {
    const runner = new PieceRunner(pool, new StagingArenas(2), () => false);
    runner.setAdaptive(false); // the worker runs its piece (the bad one)
    // A piece whose output view is contiguous runs convInto (the error names it).
    const want = (() => {
      try {
        convInto(
          rng.normalTensor([1, 8, 20, 20]),
          rng.normalTensor([1, 5, 20, 20]),
          rng.normalTensor([8, 4, 3, 3]),
        );
      } catch (error) {
        return error as Error;
      }
    })()!;
    expect(() => runner.runSync([convPiece(4), convPiece(5)])).toThrow(ShapeError);
    expect(() => runner.runSync([convPiece(4), convPiece(5)])).toThrow(want.message);
    await expect(runner.run([convPiece(4), convPiece(5)], undefined)).rejects.toThrow(want.message);
    // The worker goes on: a good call, its piece's result copied in.
    const pieces = [convPiece(4), convPiece(4)];
    runner.runSync(pieces);
    for (const p of pieces)
      assertClose(p.outputs.output!, conv(p.args[0]!, p.args[1]!, { padding: 1 }), { atol: 0, rtol: 0 });
  });
});
