/**
 * createCpuContext in a real browser: Debian's headless Chromium (playwright-core,
 * /usr/bin/chromium) opens a page served from 127.0.0.1 that is an esbuild bundle of
 * browser/pool-page.ts importing the BUILT package (dist/), with the pool's worker bundled
 * beside it as cpu-worker.js (what an esbuild user does). Served with the two
 * cross-origin-isolation headers, every op is split between the page and a module worker and
 * matches the synchronous op; served without them, the context warns once and runs on the page, with the
 * same bits as the synchronous ops; served without cpu-worker.js (a bundle that did not ship
 * it), the context gives its worker up, warns once and runs on the page. Without Chromium, or without a build of the package
 * (`pnpm test` builds first), one line says why it skips.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const DIST_WORKER = join(here, '../dist/cpu-worker.js');
const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

interface PoolReport {
  threads: number;
  splitCalls: number;
  isolated: boolean;
  warnings: string[];
  errors: Record<string, number>;
  exact: Record<string, boolean>;
}

const skipReason = !existsSync(CHROMIUM)
  ? `no ${CHROMIUM}`
  : !existsSync(DIST_WORKER)
    ? 'no build of @convkit/kernels-cpu (run pnpm --filter @convkit/kernels-cpu build)'
    : '';

let server: Server | undefined;
let browser: Browser | undefined;

/**
 * Serves the bundles: under /isolated/ with COOP/COEP, under /plain/ without, under
 * /no-worker/ with COOP/COEP but no cpu-worker.js (404).
 */
async function serve(): Promise<string> {
  const bundle = await build({
    entryPoints: {
      page: join(here, 'browser/pool-page.ts'),
      'team-worker': join(here, 'browser/team-worker.ts'),
      'cpu-worker': DIST_WORKER,
    },
    bundle: true,
    write: false,
    outdir: '/out',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const files = new Map(bundle.outputFiles.map((f) => [f.path.slice('/out/'.length), f.text]));
  server = createServer((request, response) => {
    const [, area, name] = /^\/(isolated|plain|no-worker)\/(.*)$/.exec(request.url ?? '') ?? [];
    if (area === 'isolated' || area === 'no-worker') {
      response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    const script = name && !(area === 'no-worker' && name === 'cpu-worker.js') ? files.get(name) : undefined;
    if (script !== undefined) {
      response.setHeader('content-type', 'text/javascript');
      response.end(script);
    } else if (area && name === '') {
      response.setHeader('content-type', 'text/html');
      response.end('<!doctype html><html><body><script type="module" src="page.js"></script></body></html>');
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function runPage(url: string): Promise<PoolReport> {
  const page = await browser!.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'runPool' in globalThis);
    return await page.evaluate(() => (globalThis as unknown as { runPool(): Promise<PoolReport> }).runPool());
  } finally {
    await page.close();
  }
}

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe.skipIf(skipReason !== '')(
  `createCpuContext in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let origin = '';
    const ops = [
      'conv (batch split)',
      'conv2d (row bands)',
      'conv1d',
      'convBackward',
      'convTranspose (channel blocks)',
      'convTransposeBackward',
      'deformConv',
      'deformConvBackward',
    ];

    it('splits every op between the page and a module worker on a cross-origin isolated page, matching the synchronous ops', async () => {
      origin = await serve();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      const report = await runPage(`${origin}/isolated/`);
      expect(report.isolated).toBe(true);
      expect(report.threads).toBe(2);
      // Every op's call is large enough to be split between the page and the worker.
      expect(report.splitCalls).toBe(ops.length);
      expect(report.warnings).toEqual([]);
      expect(Object.keys(report.errors).sort()).toEqual([...ops].sort());
      for (const op of ops) expect(report.errors[op], op).toBeLessThanOrEqual(1);
      // A batch split runs each sample exactly as one thread does.
      expect(report.exact['conv (batch split)']).toBe(true);
    }, 120_000);

    it("runs dense convolutions on a context's team inside a Web Worker (a thread that may block), the same bits as one thread", async () => {
      if (!browser) browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      if (!origin) origin = await serve();
      const page = await browser.newPage();
      try {
        await page.goto(`${origin}/isolated/`);
        await page.waitForFunction(() => 'runTeamWorker' in globalThis);
        const report = (await page.evaluate(() =>
          (globalThis as unknown as { runTeamWorker(): Promise<unknown> }).runTeamWorker(),
        )) as {
          threads: number;
          syncThreads: number;
          team: boolean;
          workerParts: number;
          exact: Record<string, boolean>;
        };
        expect(report).toMatchObject({ threads: 2, syncThreads: 2, team: true });
        expect(report.exact).toEqual({
          'conv (Winograd)': true,
          'conv (implicit GEMM)': true,
          'conv (packed GEMM)': true,
          'convBackward (input gradient)': true,
        });
        // The nested pool worker took part (it may lose a call to the caller, not all of them).
        expect(report.workerParts).toBeGreaterThan(0);
      } finally {
        await page.close();
      }
    }, 120_000);

    it('warns once and runs single-threaded (the same bits) on a page without the headers', async () => {
      if (!browser) browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      if (!origin) origin = await serve();
      const report = await runPage(`${origin}/plain/`);
      expect(report.isolated).toBe(false);
      expect(report.threads).toBe(0);
      expect(report.splitCalls).toBe(0);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toContain('Cross-Origin-Opener-Policy: same-origin');
      expect(report.warnings[0]).toContain('Cross-Origin-Embedder-Policy: require-corp');
      for (const op of ops) expect(report.exact[op], op).toBe(true);
    }, 120_000);

    it('gives its worker up, warns once and runs on the page (the same bits) when cpu-worker.js was not shipped', async () => {
      if (!browser) browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      if (!origin) origin = await serve();
      const report = await runPage(`${origin}/no-worker/`);
      expect(report.isolated).toBe(true);
      expect(report.threads).toBe(0);
      expect(report.splitCalls).toBe(0);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toContain(`${origin}/no-worker/cpu-worker.js`);
      expect(report.warnings[0]).toContain('runs every call on the calling thread only');
      expect(report.warnings[0]).toContain("new URL('./cpu-worker.js', import.meta.url)");
      for (const op of ops) expect(report.exact[op], op).toBe(true);
    }, 120_000);
  },
);
