/**
 * Each op in a real browser: Debian's headless Chromium (playwright-core, executablePath
 * /usr/bin/chromium, --enable-unsafe-webgpu; its WebGPU runs on SwiftShader here), on a page
 * served from 127.0.0.1 (WebGPU needs a secure context) that bundles the package's sources
 * with esbuild. Every golden case (conv 1-D/2-D/3-D with padding modes, groups and dilation,
 * convTranspose 1-D/2-D/3-D, deformable v1 and v2), forward and every gradient, conv and
 * convTranspose in both layouts, checked at 1e-4. Without Chromium or without a WebGPU adapter
 * in it, one line says why it skips.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertClose, Tensor } from '@convkit/tensor';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type GoldenCase, loadGoldens } from '../../../tooling/goldens/load';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

interface Browsing {
  browser: Browser;
  page: Page;
  server: Server;
}

/** Bundles the page, serves it on 127.0.0.1 and opens it; null (and a reason) when it cannot. */
async function openBrowser(): Promise<{ browsing: Browsing | null; skipReason: string }> {
  if (!existsSync(CHROMIUM)) return { browsing: null, skipReason: `no ${CHROMIUM}` };
  const bundle = await build({
    entryPoints: [join(here, 'browser/page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['convkit-source'],
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  const server = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.setHeader('content-type', 'text/javascript');
      response.end(script);
    } else {
      response.setHeader('content-type', 'text/html');
      response.end('<!doctype html><html><body><script type="module" src="/page.js"></script></body></html>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => 'runGolden' in globalThis);
  const adapter = await page.evaluate(async () => {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    return gpu ? (await gpu.requestAdapter()) !== null : false;
  });
  if (!adapter) {
    await browser.close();
    server.close();
    return { browsing: null, skipReason: 'Chromium offers no WebGPU adapter' };
  }
  return { browsing: { browser, page, server }, skipReason: '' };
}

const { browsing, skipReason } = await openBrowser();
if (!browsing) console.warn(`[kernels-gpu] browser: GPU tests skipped: ${skipReason}`);
afterAll(async () => {
  await browsing?.browser.close();
  browsing?.server.close();
});

const all = [
  ...loadGoldens('conv').cases,
  ...loadGoldens('conv-transpose').cases,
  ...loadGoldens('deform-conv').cases,
];

/** Every golden case runs in the browser too (about 15 s on SwiftShader for all of them). */
const cases = all;

function encode(c: GoldenCase) {
  return {
    name: c.name,
    op: c.op,
    options: c.options,
    tensors: Object.fromEntries(
      Object.entries(c.tensors).map(([k, t]) => [
        k,
        { shape: [...t.shape], data: Array.from(t.toFloat32Array()) },
      ]),
    ),
  };
}

describe.skipIf(!browsing)(`each op in headless Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  const runs = cases.flatMap((c) =>
    c.op === 'deformConv'
      ? [[c.name, 'channels-first', c] as const]
      : (['channels-first', 'channels-last'] as const).map((layout) => [c.name, layout, c] as const),
  );

  it('covers every op family', () => {
    const families = new Set(cases.map((c) => c.name.split('/')[0]));
    for (const f of [
      'conv1d',
      'conv2d',
      'conv3d',
      'convTranspose1d',
      'convTranspose2d',
      'convTranspose3d',
      'deformConv2d',
    ]) {
      expect(families, f).toContain(f);
    }
  });

  it.each(runs)('%s [%s]', async (_name, layout, c) => {
    const { results, liveBuffers } = (await browsing!.page.evaluate(
      ([raw, l]) =>
        (globalThis as unknown as { runGolden: (c: unknown, l: string) => Promise<unknown> }).runGolden(
          raw,
          l,
        ),
      [encode(c), layout] as const,
    )) as { results: Record<string, { shape: number[]; data: number[] } | null>; liveBuffers: number };
    const names = ['output', 'gradInput', 'gradWeight', 'gradBias', 'gradOffset', 'gradMask'];
    let compared = 0;
    for (const name of names) {
      const expected = c.tensors[name];
      if (!expected) continue;
      const actual = results[name];
      expect(actual, `${c.name} ${name}`).toBeTruthy();
      assertClose(new Tensor(Float32Array.from(actual!.data), actual!.shape), expected, {
        atol: 1e-4,
        rtol: 1e-4,
        label: `${c.name} [browser, ${layout}] ${name}`,
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    expect(liveBuffers).toBe(0);
  });
});
