/**
 * The built site in real Chromium (Debian's /usr/bin/chromium through playwright-core),
 * served from 127.0.0.1: every page loads with no console error and no failed request, axe
 * finds no serious or critical violation, every widget answers input with the numbers the
 * packages compute (computed again here and compared), the kernels stay out of the first
 * paint, and the site works offline once loaded. Screenshots at desktop and phone widths go
 * to apps/docs/test-results/.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import {
  analyzeModel,
  type ConvSpec,
  DUMOULIN_VISIN_RELATIONSHIPS,
  groupedCost,
  hybridDilationCheck,
  inputCoverage,
  receptiveField,
  separableCost,
} from '@convkit/analysis';
import { convMatrix, convTransposeMatrix } from '@convkit/im2col';
import { conv2d, convBackward, convTranspose2d, deformConv } from '@convkit/kernels-cpu';
import * as layers from '@convkit/layers';
import { arange, convGeometry, createRng, ones, tensor, zeros } from '@convkit/tensor';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offsetBranch, tapPickerWeight } from '../src/deform-offsets';
import { kernelPreset } from '../src/kernel-presets';
import { greyFromRgba, sampleImage } from '../src/sample-images';
import { buildModel, testCorrect, trainingBatch } from '../src/train-demo';
import { encodePng } from './encode-png';
import { type StaticServer, serveStatic } from './static-server';

const docs = new URL('../', import.meta.url).pathname;
const dist = join(docs, '.vitepress/dist');
const results = join(docs, 'test-results');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

function htmlPages(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...htmlPages(path));
    else if (entry.endsWith('.html') && entry !== '404.html') out.push(relative(dist, path));
  }
  return out.sort();
}

let server: StaticServer;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(results, { recursive: true });
  server = await serveStatic(dist);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block', reducedMotion: 'reduce' });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Watched {
  page: Page;
  problems: string[];
}

async function open(path: string, ctx: BrowserContext = context): Promise<Watched> {
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    // Two warnings are expected: Playwright's own where a test blocks the offline worker, and
    // Chromium's when the "run it" box asks for a WebGPU adapter in a browser without one.
    if (/blocked by Playwright|^No available adapters\.$/.test(msg.text())) return;
    if (msg.type() === 'error' || msg.type() === 'warning')
      problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(server.url + path, { waitUntil: 'load' });
  await settle(page);
  return { page, problems };
}

/** Waits until no widget is still loading the kernels. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !/Loading the kernels|Counting paths once|not computed yet/.test(document.body.textContent ?? ''),
    undefined,
    { timeout: 30_000 },
  );
}

async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}
async function num(page: Page, testId: string): Promise<number> {
  return Number.parseFloat((await text(page, testId)).replace(/,/g, ''));
}
async function setValue(page: Page, testId: string, value: number | string): Promise<void> {
  await page.getByTestId(testId).fill(String(value));
  await settle(page);
}
/** Equal to the 4 significant digits the widgets print. */
function close(shown: number, expected: number): void {
  expect(Math.abs(shown - expected)).toBeLessThanOrEqual(1e-6 + 6e-4 * Math.abs(expected));
}
async function matrixCells(page: Page, testId: string): Promise<number[][]> {
  return page.getByTestId(testId).evaluate((table) =>
    Array.from(table.querySelectorAll('tbody tr')).map((tr) =>
      Array.from(tr.querySelectorAll('td')).map((td) => {
        const t = td.textContent!.trim();
        return t === '·' ? 0 : Number.parseFloat(t);
      }),
    ),
  );
}

const pages = htmlPages(dist);

describe('every page', () => {
  it('the build has the pages', () => {
    for (const p of ['index.html', 'playground.html', 'api/index.html', 'guide/performance.html'])
      expect(pages).toContain(p);
    expect(pages.filter((p) => p.startsWith('topics/'))).toHaveLength(8);
  });

  for (const path of pages) {
    it(`${path} loads cleanly and passes axe`, async () => {
      const { page, problems } = await open(path);
      expect(await page.locator('h1').count()).toBeGreaterThan(0);
      await page.addScriptTag({ content: axeSource });
      const violations = await page.evaluate(async () => {
        // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global
        const axe = (window as any).axe;
        const report = await axe.run(document, { resultTypes: ['violations'] });
        return report.violations
          .filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical')
          .map(
            (v: { id: string; impact: string; nodes: { target: string[] }[] }) =>
              `${v.impact} ${v.id}: ${v.nodes
                .slice(0, 3)
                .map((n) => n.target.join(' '))
                .join(' | ')}`,
          );
      });
      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});

describe('screenshots', () => {
  const shots = [
    'index.html',
    'playground.html',
    'guide/performance.html',
    'guide/layers.html',
    ...pages.filter((p) => p.startsWith('topics/')),
  ];
  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`at ${label} width`, async () => {
      const ctx = await browser.newContext({ viewport, serviceWorkers: 'block', reducedMotion: 'reduce' });
      for (const path of shots) {
        const { page, problems } = await open(path, ctx);
        const name = `${label}-${path.replace(/\.html$/, '').replace(/\//g, '-')}.png`;
        await page.screenshot({ path: join(results, name), fullPage: true });
        expect(problems).toEqual([]);
        await page.close();
      }
      await ctx.close();
    });
  }
});

describe('first paint', () => {
  it('no page preloads the kernels chunk, and the arithmetic is in the served HTML', async () => {
    const assets = [
      ...readdirSync(join(dist, 'assets')).map((f) => `assets/${f}`),
      ...readdirSync(join(dist, 'assets/chunks')).map((f) => `assets/chunks/${f}`),
    ].filter((f) => f.endsWith('.js'));
    // The chunk that holds the CPU kernels: it inlines their WebAssembly module, whose base64
    // starts with the wasm magic number (text such as an op name can also sit in page data).
    const kernelChunks = assets.filter((f) => readFileSync(join(dist, f), 'utf8').includes('AGFzbQEAAAAB'));
    expect(kernelChunks.length).toBeGreaterThan(0);
    for (const path of pages) {
      const html = readFileSync(join(dist, path), 'utf8');
      for (const chunk of kernelChunks) expect(html, `${path} loads ${chunk}`).not.toContain(chunk);
    }
    const padding = readFileSync(join(dist, 'guide/padding.html'), 'utf8');
    expect(padding).toContain('data-testid="padding-arith-output"');
    expect(padding).toMatch(/data-testid="padding-arith-output"[^>]*>3 x 3</);
  });
});

describe('convolution arithmetic', () => {
  const relationship = (n: number) => DUMOULIN_VISIN_RELATIONSHIPS[n - 1]!;
  const size = (args: {
    i: number;
    k: number;
    s: number;
    p: number;
    d?: number;
    transposed?: boolean;
    a?: number;
  }) =>
    convGeometry({
      transposed: args.transposed,
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [args.i, args.i],
      kernelSize: args.k,
      stride: args.s,
      padding: args.p,
      dilation: args.d ?? 1,
      outputPadding: args.transposed ? (args.a ?? 0) : undefined,
    }).outputSpatial[0]!;

  it('follows the inputs, names the relationship and shows the package errors', async () => {
    const { page, problems } = await open('guide/padding.html');
    const id = 'padding-arith';
    const o = size({ i: 5, k: 3, s: 2, p: 1 });
    expect(await text(page, `${id}-output`)).toBe(`${o} x ${o}`);
    // The animation steps through the output positions.
    const before = await text(page, `${id}-position`);
    await page.getByTestId(`${id}-next`).click();
    expect(await text(page, `${id}-position`)).not.toBe(before);
    expect(await text(page, `${id}-position`)).toContain(`Step 2 of ${o * o}`);
    expect(await text(page, `${id}-relationship`)).toBe('6');
    expect(await num(page, `${id}-relationship-output`)).toBe(
      relationship(6).compute({ inputSize: 5, kernelSize: 3, stride: 2, padding: 1 }),
    );

    await setValue(page, `${id}-s`, 1);
    expect(await text(page, `${id}-relationship`)).toBe('3');
    expect(await num(page, `${id}-relationship-output`)).toBe(
      relationship(3).compute({ inputSize: 5, kernelSize: 3 }),
    );
    expect(await text(page, `${id}-output`)).toBe('5 x 5');

    await setValue(page, `${id}-p`, 0);
    await setValue(page, `${id}-d`, 2);
    const dilated = size({ i: 5, k: 3, s: 1, p: 0, d: 2 });
    expect(await text(page, `${id}-relationship`)).toBe('15');
    expect(await text(page, `${id}-output`)).toBe(`${dilated} x ${dilated}`);
    expect(await num(page, `${id}-relationship-output`)).toBe(
      relationship(15).compute({ inputSize: 5, kernelSize: 3, dilation: 2 }),
    );

    // A kernel larger than the padded input: the package's own message.
    await setValue(page, `${id}-i`, 2);
    await setValue(page, `${id}-d`, 1);
    await setValue(page, `${id}-k`, 5);
    let message = '';
    try {
      convGeometry({
        op: 'conv2d',
        inChannels: 1,
        outChannels: 1,
        inputSpatial: [2, 2],
        kernelSize: 5,
        stride: 1,
        padding: 0,
        dilation: 1,
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    expect(await text(page, `${id}-error`)).toBe(message);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows transposed convolutions as stretched inputs, with relationships 13 and 14', async () => {
    const { page, problems } = await open('topics/transposed.html');
    const id = 'transposed-arith';
    const o = size({ i: 3, k: 3, s: 2, p: 1, transposed: true });
    expect(await text(page, `${id}-output`)).toBe(`${o} x ${o}`);
    expect(await text(page, `${id}-relationship`)).toBe('13');
    await setValue(page, `${id}-a`, 1);
    const withA = size({ i: 3, k: 3, s: 2, p: 1, transposed: true, a: 1 });
    expect(await text(page, `${id}-output`)).toBe(`${withA} x ${withA}`);
    expect(await text(page, `${id}-relationship`)).toBe('14');
    expect(await num(page, `${id}-relationship-output`)).toBe(
      relationship(14).compute({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 1 }),
    );
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('im2col and matrix viewer', () => {
  it('shows C for the kernel the reader edits, and y = C x equals conv', async () => {
    const { page, problems } = await open('topics/convolution.html');
    const id = 'conv-matrix';
    const weights = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const expectC = () => convMatrix(tensor(weights, [1, 1, 3, 3]), [4, 4]).toArray() as number[][];
    expect(await matrixCells(page, `${id}-table`)).toEqual(expectC());
    await setValue(page, `${id}-w0`, -2);
    weights[0] = -2;
    expect(await matrixCells(page, `${id}-table`)).toEqual(expectC());
    const y = conv2d(
      arange(1, 17).reshape([1, 1, 4, 4]),
      tensor(weights, [1, 1, 3, 3]),
    ).toArray() as number[][][][];
    expect(await matrixCells(page, `${id}-result`)).toEqual(y[0]![0]);
    expect(await text(page, `${id}-check`)).toContain('largest difference 0');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows C^T and x' = C^T y, equal to convTranspose", async () => {
    const { page, problems } = await open('topics/transposed.html');
    const id = 'transposed-matrix';
    const w = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    expect(await text(page, `${id}-shape`)).toBe('9 x 4');
    expect(await matrixCells(page, `${id}-table`)).toEqual(convTransposeMatrix(w, [2, 2]).toArray());
    const y = conv2d(arange(1, 10).reshape([1, 1, 3, 3]), w);
    const back = convTranspose2d(y, w).toArray() as number[][][][];
    expect(await matrixCells(page, `${id}-result`)).toEqual(back[0]![0]);
    // Stride 2: the matrices follow.
    await setValue(page, `${id}-s`, 2);
    await setValue(page, `${id}-n`, 5);
    const T = convTransposeMatrix(w, [2, 2], { stride: 2, outputPadding: 1 }).toArray();
    expect(await matrixCells(page, `${id}-table`)).toEqual(T);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('three ways', () => {
  it('loops, conv and im2col + GEMM agree with conv2d computed here', async () => {
    const { page, problems } = await open('topics/convolution.html');
    for (const seed of [0, 7]) {
      await setValue(page, 'three-seed', seed);
      const rng = createRng(seed);
      const x = rng.normalTensor([1, 2, 5, 5]);
      const w = rng.normalTensor([2, 2, 3, 3]);
      const y = (conv2d(x, w).toArray() as number[][][][])[0]![0]!;
      for (const way of ['three-direct', 'three-api', 'three-im2col']) {
        const shown = await matrixCells(page, way);
        for (const [r, row] of shown.entries()) for (const [c, v] of row.entries()) close(v, y[r]![c]!);
      }
      expect(await num(page, 'three-diff-api')).toBeLessThan(1e-4);
      expect(await num(page, 'three-diff-im2col')).toBeLessThan(1e-4);
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('receptive field and gridding', () => {
  async function expectStack(page: Page, rates: number[]) {
    const specs: ConvSpec[] = rates.map((dilation) => ({
      type: 'Conv2d',
      inChannels: 1,
      outChannels: 1,
      kernelSize: 3,
      dilation,
      bias: false,
    }));
    const side = receptiveField(specs).layers.at(-1)!.dims[0]!.size;
    expect(await text(page, 'rf-size')).toBe(`${side} x ${side}`);
    const coverage = inputCoverage(specs, [1, 1, side, side]);
    expect(await num(page, 'rf-count')).toBe(coverage.count);
    expect(await num(page, 'rf-holes')).toBe(coverage.holes);
    const hdc = hybridDilationCheck(rates, 3);
    expect(await num(page, 'rf-hdc-factor')).toBe(hdc.commonFactor);
    expect(await num(page, 'rf-hdc-m2')).toBe(hdc.maxDistance);
    expect(await num(page, 'rf-hdc-holes')).toBe(hdc.holes);
    expect(await text(page, 'rf-hdc-passes')).toBe(hdc.passes ? 'passes' : 'fails');
    // Paths: the gradient of the unit with every weight 1, layer by layer.
    const model = analyzeModel(specs, [1, 1, side, side]);
    let grad = ones([1, 1, 1, 1]);
    for (let i = specs.length - 1; i >= 0; i--) {
      grad = convBackward(grad, zeros(model.layers[i]!.inputShape as number[]), ones([1, 1, 3, 3]), {
        dilation: rates[i],
      }).gradInput;
    }
    expect(await num(page, 'rf-max-paths')).toBe(Math.max(...grad.toFloat32Array()));
  }

  it("answers presets and edits with the analysis package's numbers", async () => {
    const { page, problems } = await open('topics/dilated.html');
    await expectStack(page, [2, 2, 2]);
    await page.getByTestId('rf-preset-0').click();
    await settle(page);
    await expectStack(page, [1, 2, 5]);
    await setValue(page, 'rf-d2', 3);
    await expectStack(page, [1, 2, 3]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('cost calculator', () => {
  it('matches separableCost and groupedCost, and shows their errors', async () => {
    const { page, problems } = await open('topics/separable.html');
    const id = 'separable-cost';
    const check = async (H: number, M: number, N: number, K: number, g: number) => {
      const window = { inputSpatial: [H, H], kernelSize: K, padding: 'same' as const };
      const s = separableCost({ ...window, inChannels: M, outChannels: N });
      const gr = groupedCost({ ...window, inChannels: M, outChannels: N, groups: g });
      expect(await num(page, `${id}-standard-macs`)).toBe(s.standard.macs);
      expect(await num(page, `${id}-standard-params`)).toBe(s.standard.params);
      expect(await num(page, `${id}-separable-macs`)).toBe(s.separable.macs);
      expect(await num(page, `${id}-separable-params`)).toBe(s.separable.params);
      expect(await num(page, `${id}-grouped-params`)).toBe(gr.grouped.params);
      close(await num(page, `${id}-ratio`), s.macsRatio);
      close(await num(page, `${id}-formula`), 1 / N + 1 / (K * K));
    };
    await check(56, 64, 128, 3, 4);
    await setValue(page, `${id}-n`, 256);
    await setValue(page, `${id}-k`, 5);
    await setValue(page, `${id}-h`, 20);
    await setValue(page, `${id}-w`, 20);
    await check(20, 64, 256, 5, 4);
    await setValue(page, `${id}-g`, 3);
    let message = '';
    try {
      groupedCost({
        inputSpatial: [20, 20],
        kernelSize: 5,
        padding: 'same',
        inChannels: 64,
        outChannels: 256,
        groups: 3,
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    expect(await text(page, `${id}-group-error`)).toBe(message);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('deformable sampling explorer', () => {
  function expected(image: string, scale: number, rotation: number, gain: number, row: number, col: number) {
    const img = sampleImage(image);
    const x = tensor(img.pixels, [1, 1, img.height, img.width]);
    const branch = offsetBranch({ scale, rotation, edgeGain: gain, dilation: 1 });
    const offset = conv2d(x, branch.weight, { bias: branch.bias, padding: 1 });
    const samples = deformConv(x, tapPickerWeight(), offset, { padding: 1 }).toArray() as number[][][][];
    const box = tensor(new Array(9).fill(1 / 9), [1, 1, 3, 3]);
    const out = deformConv(x, box, offset, { padding: 1 }).toArray() as number[][][][];
    const regular = conv2d(x, box, { padding: 1 }).toArray() as number[][][][];
    return {
      samples: samples[0]!.map((plane) => plane[row]![col]!),
      output: out[0]![0]![row]![col]!,
      regular: regular[0]![0]![row]![col]!,
    };
  }
  async function compare(page: Page, e: ReturnType<typeof expected>) {
    close(await num(page, 'deform-output'), e.output);
    close(await num(page, 'deform-regular'), e.regular);
    for (let t = 0; t < 9; t++) close(await num(page, `deform-sample${t}`), e.samples[t]!);
  }

  it('shows the samples and outputs deformConv computes, following the controls and the keyboard', async () => {
    const { page, problems } = await open('topics/deformable.html');
    await compare(page, expected('ankle-boot', 2, 0, 2, 14, 14));
    await setValue(page, 'deform-rotation', 30);
    await setValue(page, 'deform-row', 10);
    await setValue(page, 'deform-col', 8);
    await compare(page, expected('ankle-boot', 2, 30, 2, 10, 8));
    await page.getByTestId('deform-picture').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await compare(page, expected('ankle-boot', 2, 30, 2, 11, 9));
    await page.getByTestId('deform-image').selectOption('sneaker');
    await settle(page);
    await compare(page, expected('sneaker', 2, 30, 2, 11, 9));
    expect(problems).toEqual([]);
    await page.close();
  });
});

function expectedRun(
  image: string,
  kernel: readonly number[],
  options: { stride: number; padding: 'same' | 'valid' | number; dilation?: number },
) {
  const img = sampleImage(image);
  const y = conv2d(tensor(img.pixels, [1, 1, img.height, img.width]), tensor(kernel, [1, 1, 3, 3]), options);
  const values = y.toFloat32Array();
  const [, , h, w] = y.shape as number[];
  return {
    shape: `[${y.shape.join(', ')}]`,
    min: Math.min(...values),
    max: Math.max(...values),
    sum: values.reduce((a, b) => a + b, 0),
    center: values[Math.floor((h! - 1) / 2) * w! + Math.floor((w! - 1) / 2)]!,
  };
}
async function compareRun(page: Page, e: ReturnType<typeof expectedRun>) {
  expect(await text(page, 'run-shape')).toBe(e.shape);
  close(await num(page, 'run-min'), e.min);
  close(await num(page, 'run-max'), e.max);
  close(await num(page, 'run-sum'), e.sum);
  close(await num(page, 'run-center'), e.center);
}

describe('run it', () => {
  it('convolves the picked image with the edited kernel as conv2d does', async () => {
    const { page, problems } = await open('playground.html');
    await compareRun(
      page,
      expectedRun('ankle-boot', kernelPreset('sobel-x').values, { stride: 1, padding: 'same' }),
    );
    await page.getByTestId('run-preset').selectOption('gaussian');
    await page.getByTestId('run-padding').selectOption('valid');
    await setValue(page, 'run-stride', 2);
    await compareRun(
      page,
      expectedRun('ankle-boot', kernelPreset('gaussian').values, { stride: 2, padding: 'valid' }),
    );
    await page.getByTestId('run-image').selectOption('checkerboard');
    await setValue(page, 'run-w4', 2);
    const edited = [...kernelPreset('gaussian').values];
    edited[4] = 2;
    await compareRun(page, expectedRun('checkerboard', edited, { stride: 2, padding: 'valid' }));
    expect(await page.getByTestId('run-preset').inputValue()).toBe('custom');
    for (const algorithm of ['reference', 'im2col']) {
      await page.getByTestId('run-algorithm').selectOption(algorithm);
      await settle(page);
      await compareRun(page, expectedRun('checkerboard', edited, { stride: 2, padding: 'valid' }));
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('run it with a file of the reader', () => {
  it('turns an uploaded PNG grey and convolves it as conv2d does', async () => {
    const width = 20;
    const height = 12;
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      const x = i % width;
      const y = Math.floor(i / width);
      rgba.set([(x * 12) % 256, (y * 20) % 256, ((x + y) * 7) % 256, 255], 4 * i);
    }
    const { page, problems } = await open('playground.html');
    const before = Number(await page.locator('[data-runs]').getAttribute('data-runs'));
    await page
      .getByTestId('run-file')
      .setInputFiles({ name: 'pattern.png', mimeType: 'image/png', buffer: encodePng(width, height, rgba) });
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-runs]')?.getAttribute('data-runs')) > n,
      before,
    );
    expect(await page.getByTestId('run-image').inputValue()).toBe('upload');
    const grey = greyFromRgba(rgba, width, height);
    const y = conv2d(
      tensor(grey, [1, 1, height, width]),
      tensor(kernelPreset('sobel-x').values, [1, 1, 3, 3]),
      {
        padding: 'same',
      },
    );
    const values = y.toFloat32Array();
    expect(await text(page, 'run-shape')).toBe(`[${y.shape.join(', ')}]`);
    close(await num(page, 'run-min'), Math.min(...values));
    close(await num(page, 'run-max'), Math.max(...values));
    close(
      await num(page, 'run-sum'),
      values.reduce((a, b) => a + b, 0),
    );
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('run it on WebGPU', () => {
  it('runs the convolution on WebGPU where Chromium offers an adapter, with the CPU numbers', async (ctx) => {
    const gpuBrowser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [...ARGS, '--enable-unsafe-webgpu'],
    });
    try {
      const gpuContext = await gpuBrowser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
      const { page, problems } = await open('playground.html', gpuContext);
      const runs = () => page.locator('[data-runs]').getAttribute('data-runs').then(Number);
      /** Makes a change, then waits for the run it starts to finish on WebGPU. */
      const onGpu = async (change: () => Promise<void>) => {
        const before = await runs();
        await change();
        await page.waitForFunction(
          (n) => Number(document.querySelector('[data-runs]')?.getAttribute('data-runs')) > n,
          before,
        );
        expect(await text(page, 'run-ran-on')).toMatch(/^WebGPU/);
      };
      await page.waitForFunction(
        () =>
          !/checking/.test(
            document.querySelector('[data-testid="run-gpu-status"]')?.textContent ?? 'checking',
          ),
      );
      const status = await text(page, 'run-gpu-status');
      if (status !== 'WebGPU: available') {
        console.warn(`[docs e2e] WebGPU test skipped: ${status}`);
        ctx.skip();
        return;
      }
      await onGpu(async () => {
        await page.getByTestId('run-device').selectOption('webgpu');
      });
      await compareRun(
        page,
        expectedRun('ankle-boot', kernelPreset('sobel-x').values, { stride: 1, padding: 'same' }),
      );
      await onGpu(async () => {
        await page.getByTestId('run-preset').selectOption('laplacian');
      });
      await onGpu(async () => {
        await page.getByTestId('run-dilation').fill('2');
      });
      const laplacian = kernelPreset('laplacian').values;
      await compareRun(
        page,
        expectedRun('ankle-boot', laplacian, { stride: 1, padding: 'same', dilation: 2 }),
      );
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await gpuBrowser.close();
    }
  });
});

describe('training in the browser', () => {
  it('shows the losses and the accuracy that @convkit/layers computes for the same model and data', async () => {
    const { page, problems } = await open('guide/layers.html');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="train-status"]')?.textContent === 'ready',
    );
    // The same seeded model, the same batches, the same optimizer, here in Node.
    const model = buildModel(layers, 0);
    const lossFn = new layers.CrossEntropyLoss();
    const first = trainingBatch(0);
    close(
      await num(page, 'train-initial-loss'),
      layers.noGrad(() => lossFn.forward(model.forward(first.x), first.y)).item(),
    );
    expect(await num(page, 'train-correct')).toBe(testCorrect(layers, model));
    const optimizer = new layers.AdamW(model.parameters(), { lr: 0.01 });
    let last = 0;
    for (let step = 0; step < 10; step++) {
      const { x, y } = trainingBatch(step);
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(x), y);
      loss.backward();
      optimizer.step();
      last = loss.item();
    }
    await page.getByTestId('train-button').click();
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="train-steps"]')?.textContent === '10' &&
        document.querySelector('[data-testid="train-status"]')?.textContent === 'ready',
      undefined,
      { timeout: 60_000 },
    );
    // Ten optimizer steps amplify float32 rounding differences a little: 1e-3 relative.
    const shown = await num(page, 'train-loss');
    expect(Math.abs(shown - last)).toBeLessThanOrEqual(1e-3 * Math.abs(last) + 1e-4);
    expect(await num(page, 'train-correct')).toBe(testCorrect(layers, model));
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('performance chart', () => {
  it('draws the latest bench snapshot', async () => {
    const snapshots = readdirSync(join(docs, '../bench/snapshots'))
      .filter((f) => /^\d{4}-\d{2}-\d{2}.*\.md$/.test(f))
      .sort();
    const latest = snapshots.at(-1)!;
    const markdown = readFileSync(join(docs, '../bench/snapshots', latest), 'utf8');
    // Rows of the results tables whose GFLOP/s column (the fifth) is a number.
    const rows = markdown.split('\n').filter((l) => /^\| [^|]+ \| [\d.]+ \|[^|]*\|[^|]*\| [\d.]+ \|/.test(l));
    const { page, problems } = await open('guide/performance.html');
    expect(await text(page, 'bench-file')).toBe(latest);
    expect(await page.getByTestId('bench-bar').count()).toBe(rows.length);
    const c3x3 = markdown.slice(markdown.indexOf('## c3x3'));
    const im2colRow = c3x3.split('\n').find((l) => l.startsWith('| convkit im2col |'))!;
    const gflops = Number.parseFloat(im2colRow.split('|')[5]!);
    const cell = await page.getByTestId('bench-c3x3-convkit im2col').textContent();
    expect(Number.parseFloat(cell!)).toBe(gflops);
    // Hiding an engine removes its bars.
    const firstEngine = rows[0]!.split('|')[1]!.trim();
    const itsBars = rows.filter((l) => l.split('|')[1]!.trim() === firstEngine).length;
    await page.getByTestId('bench-engine-0').uncheck();
    expect(await page.getByTestId('bench-bar').count()).toBe(rows.length - itsBars);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('offline', () => {
  it('keeps working without a network once loaded', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'allow' });
    const page = await ctx.newPage();
    await page.goto(server.url, { waitUntil: 'load' });
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      if (registration.active?.state !== 'activated') {
        await new Promise<void>((resolve) =>
          registration.active!.addEventListener('statechange', () => resolve()),
        );
      }
    });
    await ctx.setOffline(true);
    await page.goto(`${server.url}topics/dilated.html`, { waitUntil: 'load' });
    await settle(page);
    expect(await text(page, 'rf-size')).toBe('13 x 13');
    await page.goto(`${server.url}playground.html`, { waitUntil: 'load' });
    await settle(page);
    expect(await text(page, 'run-shape')).toBe('[1, 1, 28, 28]');
    await ctx.close();
  });
});
