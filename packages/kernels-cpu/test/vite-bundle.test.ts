/**
 * The pool's worker under Vite: a tiny app that imports createCpuContext from the BUILT
 * package is built with Vite's defaults (workers as classic scripts), and the output holds
 * the worker as its own file, which the app's chunk loads by URL, with the pool's task runner
 * inside it and no Node module pulled in. (esbuild does not follow `new URL(..., import.meta.url)`:
 * the package README says what esbuild users do, and browser.test.ts does it.) Without a
 * build of the package (`pnpm test` builds first), one line says why it skips.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const DIST = join(here, '../dist');
const built = existsSync(join(DIST, 'cpu-worker.js'));

describe.skipIf(!built)(
  `createCpuContext under Vite${built ? '' : ' (skipped: no build of @convkit/kernels-cpu; run pnpm --filter @convkit/kernels-cpu build)'}`,
  () => {
    it('emits the worker as its own file that the app loads, with the task runner and no Node modules', async () => {
      const root = mkdtempSync(join(tmpdir(), 'convkit-vite-'));
      try {
        writeFileSync(
          join(root, 'main.js'),
          "import { createCpuContext } from '@convkit/kernels-cpu';\nconst cpu = await createCpuContext({ threads: 2 });\nconsole.log(cpu.threads);\n",
        );
        await build({
          root,
          configFile: false,
          logLevel: 'silent',
          resolve: { alias: { '@convkit/kernels-cpu': join(DIST, 'index.js') } },
          build: {
            outDir: join(root, 'out'),
            minify: false,
            target: 'es2022',
            rollupOptions: { input: join(root, 'main.js') },
          },
        });
        const assets = readdirSync(join(root, 'out/assets'));
        const worker = assets.find((name) => /^cpu-worker-.*\.js$/.test(name));
        expect(worker, assets.join(', ')).toBeDefined();
        const app = assets.filter((name) => name !== worker && name.endsWith('.js'));
        const appText = app.map((name) => readFileSync(join(root, 'out/assets', name), 'utf8')).join('\n');
        expect(appText).toContain(worker);
        const workerText = readFileSync(join(root, 'out/assets', worker!), 'utf8');
        expect(workerText).toContain('parentPort');
        expect(workerText).toContain('onmessage');
        expect(workerText).not.toMatch(/from\s+["']node:/);
        expect(workerText).not.toMatch(/import\s*\(\s*["']node:/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }, 120_000);
  },
);
