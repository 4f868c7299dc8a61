/**
 * The page of the browser pool test: imports the BUILT package (as an app does) and exposes
 * `runPool()`, which runs every op through createCpuContext({ threads: 2 }) and through the
 * synchronous op on the same inputs, and reports the worst error of each (scaled so 1 is the
 * 1e-4 abs + rel tolerance), the thread count, how many calls were split, and the warnings
 * the context printed.
 */
import {
  conv,
  convBackward,
  convTranspose,
  convTransposeBackward,
  createCpuContext,
  deformConv,
  deformConvBackward,
} from '@convkit/kernels-cpu';
import { createRng, type Tensor } from '@convkit/tensor';

interface PoolReport {
  threads: number;
  /** Calls the context split into pieces (the others ran whole on the page). */
  splitCalls: number;
  isolated: boolean;
  warnings: string[];
  /** op -> worst |got - want| / (1e-4 + 1e-4 |want|) over every result. */
  errors: Record<string, number>;
  /** op -> whether every result is the same bits as the synchronous op's. */
  exact: Record<string, boolean>;
}

function compare(got: Tensor, want: Tensor): { worst: number; exact: boolean } {
  const a = got.toFloat32Array();
  const b = want.toFloat32Array();
  if (a.length !== b.length || got.shape.join() !== want.shape.join())
    return { worst: Infinity, exact: false };
  let worst = 0;
  let exact = true;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) exact = false;
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1e-4 + 1e-4 * Math.abs(b[i]!)));
  }
  return { worst, exact };
}

async function runPool(): Promise<PoolReport> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
  const rng = createRng(9);
  const errors: Record<string, number> = {};
  const exact: Record<string, boolean> = {};
  const record = (name: string, pairs: [Tensor | null | undefined, Tensor | null | undefined][]) => {
    let worst = 0;
    let same = true;
    for (const [got, want] of pairs) {
      const r = compare(got!, want!);
      worst = Math.max(worst, r.worst);
      same &&= r.exact;
    }
    errors[name] = worst;
    exact[name] = same;
  };
  // Two contexts: the warning (if any) is printed once, not per context.
  const first = await createCpuContext({ threads: 2 });
  first.dispose();
  const cpu = await createCpuContext({ threads: 2 });
  // Split from 4M multiply-adds (its test hook), not from SPLIT_MIN_MS of one thread's work:
  // this page's tensors are small.
  (cpu as unknown as { setSplitMinMacsForTest(macs: number): void }).setSplitMinMacsForTest(1 << 22);
  try {
    const xb = rng.normalTensor([2, 16, 32, 32]);
    const w = rng.normalTensor([24, 16, 3, 3]);
    const bias = rng.normalTensor([24]);
    record('conv (batch split)', [
      [await cpu.conv(xb, w, { padding: 1, bias }), conv(xb, w, { padding: 1, bias })],
    ]);
    const x1 = rng.normalTensor([1, 16, 45, 37]);
    record('conv2d (row bands)', [
      [await cpu.conv2d(x1, w, { padding: 2, dilation: 2 }), conv(x1, w, { padding: 2, dilation: 2 })],
    ]);
    const x1d = rng.normalTensor([1, 32, 1000]);
    const w1d = rng.normalTensor([32, 32, 5]);
    record('conv1d', [[await cpu.conv1d(x1d, w1d, { padding: 2 }), conv(x1d, w1d, { padding: 2 })]]);
    const gy = rng.normalTensor([1, 24, 45, 37]);
    const gotB = await cpu.convBackward(gy, x1, w, { padding: 1 });
    const wantB = convBackward(gy, x1, w, { padding: 1 });
    record('convBackward', [
      [gotB.gradInput, wantB.gradInput],
      [gotB.gradWeight, wantB.gradWeight],
      [gotB.gradBias, wantB.gradBias],
    ]);
    const wt = rng.normalTensor([16, 32, 4, 4]);
    record('convTranspose (channel blocks)', [
      [
        await cpu.convTranspose(x1, wt, { stride: 2, padding: 1 }),
        convTranspose(x1, wt, { stride: 2, padding: 1 }),
      ],
    ]);
    const xt = rng.normalTensor([2, 16, 20, 20]);
    const gyt = rng.normalTensor([2, 32, 40, 40]);
    const gotT = await cpu.convTransposeBackward(gyt, xt, wt, { stride: 2, padding: 1 });
    const wantT = convTransposeBackward(gyt, xt, wt, { stride: 2, padding: 1 });
    record('convTransposeBackward', [
      [gotT.gradInput, wantT.gradInput],
      [gotT.gradWeight, wantT.gradWeight],
      [gotT.gradBias, wantT.gradBias],
    ]);
    const xd = rng.normalTensor([2, 16, 28, 28]);
    const off = rng.normalTensor([2, 18, 28, 28]);
    const mask = rng.uniformTensor([2, 9, 28, 28], 0, 1);
    record('deformConv', [
      [await cpu.deformConv(xd, w, off, { padding: 1, mask }), deformConv(xd, w, off, { padding: 1, mask })],
    ]);
    const gyd = rng.normalTensor([2, 24, 28, 28]);
    const gotD = await cpu.deformConvBackward(gyd, xd, w, off, { padding: 1, mask });
    const wantD = deformConvBackward(gyd, xd, w, off, { padding: 1, mask });
    record('deformConvBackward', [
      [gotD.gradInput, wantD.gradInput],
      [gotD.gradWeight, wantD.gradWeight],
      [gotD.gradOffset, wantD.gradOffset],
      [gotD.gradMask, wantD.gradMask],
    ]);
    return {
      threads: cpu.threads,
      splitCalls: (cpu as unknown as { splitCallsForTest(): number }).splitCallsForTest(),
      isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      warnings,
      errors,
      exact,
    };
  } finally {
    cpu.dispose();
    console.warn = warn;
  }
}

/** Runs ./team-worker.ts in a dedicated module worker and resolves to its report. */
function runTeamWorker(): Promise<unknown> {
  const WorkerClass = (
    globalThis as unknown as { Worker: new (url: URL, options: { type: 'module' }) => BrowserWorker }
  ).Worker;
  const worker = new WorkerClass(new URL('./team-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve) => {
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      resolve({ error: event.message });
    };
    worker.postMessage('run');
  });
}

interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message: string }) => void) | null;
}

(globalThis as { runPool?: typeof runPool }).runPool = runPool;
(globalThis as { runTeamWorker?: typeof runTeamWorker }).runTeamWorker = runTeamWorker;
