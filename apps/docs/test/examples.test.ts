/**
 * Runs every code sample the pages show (apps/docs/examples/*.ts) and checks each
 * `console.log(...); // expected` line against what the sample printed, in order, so no
 * sample on the site can rot. A sample must annotate every line it prints.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectedLogs } from '../src/expected-logs';

const dir = new URL('../examples/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

/** Samples that need a WebGPU adapter (in Node: the webgpu package and a Vulkan driver). */
const NEEDS_GPU = new Set(['gpu.ts']);
async function gpuMissing(): Promise<string> {
  try {
    const { createGpuContext } = await import('@convkit/kernels-gpu');
    (await createGpuContext()).dispose();
    return '';
  } catch (error) {
    const reason = `no WebGPU adapter: ${(error as Error).message}`;
    console.warn(`[docs] gpu.ts skipped, ${reason}`);
    return reason;
  }
}
const gpuSkip = await gpuMissing();

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
const squash = (s: string) => s.replace(/\s+/g, '');

describe('code samples on the pages', () => {
  afterEach(() => vi.restoreAllMocks());

  it('finds the samples', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of files) {
    it.skipIf(NEEDS_GPU.has(file) && gpuSkip !== '')(`${file} prints what its comments say`, async () => {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const expected = expectedLogs(source);
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
        printed.push(args.map(show).join(' '));
      });
      await import(new URL(file, dir).href);
      expect(printed.map(squash)).toEqual(expected.map(squash));
    });
  }
});

describe('the browser sample', () => {
  it('filters ImageData-like pixels with a kernel', async () => {
    const { filterImageData } = await import('../examples/getting-started-browser');
    const width = 4;
    const height = 3;
    const data = new Uint8ClampedArray(width * height * 4).fill(255);
    const identity = [0, 0, 0, 0, 1, 0, 0, 0, 0];
    const out = filterImageData({ width, height, data } as unknown as ImageData, identity);
    expect(Array.from(out)).toEqual(new Array(12).fill(1));
    const box = filterImageData({ width, height, data } as unknown as ImageData, new Array(9).fill(1));
    // 'same' padding: a corner sees 4 pixels, an edge 6, the middle 9.
    expect(Array.from(box)).toEqual([4, 6, 6, 4, 6, 9, 9, 6, 4, 6, 6, 4]);
  });
});
