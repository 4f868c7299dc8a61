/**
 * A dedicated module worker of the browser pool test: a thread that may block, so a CPU
 * context made here runs dense convolutions on its team (threads sharing one WebAssembly
 * memory) with a nested pool worker. On any message it runs a few calls through `cpu.sync`
 * and through the synchronous ops, and posts back whether each result is the same bits, the
 * thread counts, and how many team calls a worker helped with.
 */
import { conv, convBackward, createCpuContext } from '@convkit/kernels-cpu';
import { createRng, type Tensor } from '@convkit/tensor';

interface TeamHooks {
  setSplitMinMacsForTest(macs: number): void;
  teamForTest(): { workerParts: number; takenBack: number } | null;
}

const same = (a: Tensor, b: Tensor) => {
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
};

async function run() {
  const cpu = await createCpuContext({ threads: 2 });
  const hooks = cpu as unknown as TeamHooks;
  hooks.setSplitMinMacsForTest(1 << 22);
  try {
    const rng = createRng(5);
    const weight = (shape: number[]) => {
      const bound = 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1));
      return rng.uniformTensor(shape, -bound, bound);
    };
    const exact: Record<string, boolean> = {};
    const x = rng.normalTensor([1, 32, 40, 40]);
    const w = weight([32, 32, 3, 3]);
    exact['conv (Winograd)'] = same(cpu.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
    const xs = rng.normalTensor([1, 3, 96, 96]);
    const ws = weight([16, 3, 7, 7]);
    const stem = { stride: 2, padding: 3 };
    exact['conv (implicit GEMM)'] = same(cpu.sync.conv(xs, ws, stem), conv(xs, ws, stem));
    const xp = rng.normalTensor([2, 96, 24, 24]);
    const wp = weight([96, 96, 1, 1]);
    exact['conv (packed GEMM)'] = same(cpu.sync.conv(xp, wp), conv(xp, wp));
    const gy = rng.normalTensor([1, 32, 40, 40]);
    exact['convBackward (input gradient)'] = same(
      cpu.sync.convBackward(gy, x, w, { padding: 1 }).gradInput,
      convBackward(gy, x, w, { padding: 1 }).gradInput,
    );
    // A worker that a loaded machine wakes late loses a call's work to the caller: give it a
    // few more calls to take part in (each checked too).
    const team = hooks.teamForTest();
    for (let i = 0; i < 20 && team !== null && team.workerParts === 0; i++)
      exact['conv (Winograd)'] &&= same(cpu.sync.conv(x, w, { padding: 1 }), conv(x, w, { padding: 1 }));
    return {
      threads: cpu.threads,
      syncThreads: cpu.sync.threads,
      team: team !== null,
      workerParts: team?.workerParts ?? 0,
      exact,
    };
  } finally {
    cpu.dispose();
  }
}

const scope = globalThis as unknown as {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
};
scope.onmessage = () => {
  run().then(
    (report) => scope.postMessage(report),
    (error: Error) => scope.postMessage({ error: `${error.name}: ${error.message}` }),
  );
};
