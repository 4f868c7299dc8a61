/**
 * The BUILT package in Node, as an app uses it: a child `node` (with a V8 flag on its command
 * line, which a worker must not inherit) imports dist/index.js (ESM) or requires dist/index.cjs
 * (CommonJS), starts createCpuContext({ threads: 2 }), awaits a conv that its team splits (a test
 * hook lowers the split threshold; the workers compute in the caller's shared memory), and
 * prints it beside the synchronous conv's result; the workers load dist/cpu-worker.js. Without
 * a build of the package (`pnpm test` builds first), one line says why it skips.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const PACKAGE = join(here, '..');
const built = ['index.js', 'index.cjs', 'cpu-worker.js'].every((f) => existsSync(join(PACKAGE, 'dist', f)));
const dir = mkdtempSync(join(tmpdir(), 'convkit-built-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The script body after `createCpuContext`, `conv` and `Tensor` are in scope. */
const BODY = `
const fill = (n, f) => Float32Array.from({ length: n }, (_, i) => f(i));
const x = new Tensor(fill(2 * 16 * 40 * 40, (i) => Math.sin(i)), [2, 16, 40, 40]);
const w = new Tensor(fill(32 * 16 * 9, (i) => Math.cos(i)), [32, 16, 3, 3]);
const cpu = await createCpuContext({ threads: 2 });
cpu.setSplitMinMacsForTest(1 << 22); // a test hook: split this small call (on the team, in Node)
const y = await cpu.conv(x, w, { padding: 1 });
const team = cpu.teamForTest();
const want = conv(x, w, { padding: 1 });
let same = y.shape.join() === want.shape.join();
for (let i = 0; i < want.size; i++) same &&= y.data[i] === want.data[i];
console.log(JSON.stringify({ threads: cpu.threads, shape: y.shape, same, team: team !== null && team.workerParts + team.takenBack > 0 }));
cpu.dispose();
`;

function runNode(script: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', script],
      { cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

describe.skipIf(!built)(
  `the built package in Node${built ? '' : ' (skipped: no build of @convkit/kernels-cpu; run pnpm --filter @convkit/kernels-cpu build)'}`,
  () => {
    const expected = { threads: 2, shape: [2, 32, 40, 40], same: true, team: true };

    it('ESM: dist/index.js runs a pooled conv on two workers, the same bits as conv', async () => {
      const script = join(dir, 'esm.mjs');
      const { pathToFileURL } = await import('node:url');
      const from = (path: string) => JSON.stringify(pathToFileURL(join(PACKAGE, path)).href);
      writeFileSync(
        script,
        `import { createCpuContext, conv } from ${from('dist/index.js')};\nimport { Tensor } from ${from('node_modules/@convkit/tensor/dist/index.js')};\n${BODY}`,
      );
      expect(JSON.parse(await runNode(script))).toEqual(expected);
    }, 70_000);

    it('CommonJS: dist/index.cjs finds the worker without import.meta and runs the same conv', async () => {
      const script = join(dir, 'cjs.cjs');
      writeFileSync(
        script,
        `const { createCpuContext, conv } = require(${JSON.stringify(join(PACKAGE, 'dist/index.cjs'))});\nconst { Tensor } = require(${JSON.stringify(join(PACKAGE, 'node_modules/@convkit/tensor'))});\n(async () => {${BODY}})();\n`,
      );
      expect(JSON.parse(await runNode(script))).toEqual(expected);
    }, 70_000);
  },
);
