import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conv2d, deformConv } from '@convkit/kernels-cpu';
import { allclose, createRng, tensor, zeros } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { writeOfflineWorker } from '../.vitepress/offline-worker';
import { cividis, textOn } from '../src/color-scale';
import { offsetBranch, tapPickerWeight } from '../src/deform-offsets';
import { directConv } from '../src/direct-conv';
import { expectedLogs } from '../src/expected-logs';
import { formatInt, formatPercent, formatValue } from '../src/format';
import { KERNEL_PRESETS, kernelPreset } from '../src/kernel-presets';
import { greyFromRgba, SAMPLE_IMAGES, sampleImage } from '../src/sample-images';

describe('directConv', () => {
  it('equals conv2d on random problems', () => {
    const rng = createRng(11);
    for (const [cin, h, w, cout, k] of [
      [1, 4, 4, 1, 2],
      [3, 7, 5, 2, 3],
      [2, 6, 6, 4, 1],
    ] as const) {
      const x = rng.normalTensor([1, cin, h, w]);
      const wt = rng.normalTensor([cout, cin, k, k]);
      const y = directConv(x.toFloat32Array(), [cin, h, w], wt.toFloat32Array(), [cout, cin, k]);
      expect(allclose(tensor(y, [1, cout, h - k + 1, w - k + 1]), conv2d(x, wt))).toBe(true);
    }
  });
});

describe('offsetBranch', () => {
  it('keeps the regular grid at scale 1, no rotation and no edge pull', () => {
    const { weight, bias } = offsetBranch({ scale: 1, rotation: 0, edgeGain: 0, dilation: 1 });
    expect(weight.shape).toEqual([18, 1, 3, 3]);
    expect(Array.from(weight.toFloat32Array()).every((v) => v === 0)).toBe(true);
    expect(Array.from(bias.toFloat32Array()).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('scales and turns the footprint about the centre tap', () => {
    const doubled = offsetBranch({ scale: 2, rotation: 0, edgeGain: 0, dilation: 1 }).bias.toFloat32Array();
    // Tap (0, 0) sits at (-1, -1) from the centre: at scale 2 it moves to (-2, -2).
    expect([doubled[0], doubled[1]]).toEqual([-1, -1]);
    expect([doubled[8], doubled[9]]).toEqual([0, 0]); // the centre tap stays
    const turned = offsetBranch({ scale: 1, rotation: 90, edgeGain: 0, dilation: 1 }).bias.toFloat32Array();
    // Tap (0, 1), above the centre at (-1, 0), turns to (0, -1): offset (+1, -1).
    expect(turned[2]).toBeCloseTo(1, 6);
    expect(turned[3]).toBeCloseTo(-1, 6);
  });

  it('samples what deformConv reads: the tap picker gives the shifted pixels', () => {
    const x = tensor(
      Array.from({ length: 25 }, (_, i) => i),
      [1, 1, 5, 5],
    );
    const samples = deformConv(x, tapPickerWeight(), zeros([1, 18, 5, 5]), { padding: 1 });
    // With zero offsets, channel t at (2, 2) is the pixel under tap t: rows 1-3, columns 1-3.
    expect(Array.from({ length: 9 }, (_, t) => samples.get(0, t, 2, 2))).toEqual([
      6, 7, 8, 11, 12, 13, 16, 17, 18,
    ]);
  });
});

describe('colour scale', () => {
  it('runs from dark blue to yellow and picks a readable text colour', () => {
    expect(cividis(0)).toBe('#00224e');
    expect(cividis(1)).toBe('#fdea45');
    expect(cividis(Number.NaN)).toBe('#00224e');
    expect(textOn(cividis(0))).toBe('#ffffff');
    expect(textOn(cividis(1))).toBe('#000000');
  });
});

describe('formats', () => {
  it('prints counts, values and ratios', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(1.23456)).toBe('1.235');
    expect(formatValue(-0.000012345)).toBe('-1.234e-5');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatPercent(0.118924)).toBe('11.89%');
  });
});

describe('images and kernels', () => {
  it('has the Fashion-MNIST photos and the patterns, with pixels in [0, 1]', () => {
    expect(SAMPLE_IMAGES.length).toBe(8);
    for (const image of SAMPLE_IMAGES) {
      expect(image.pixels.length).toBe(image.width * image.height);
      expect(image.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(sampleImage('ankle-boot').width).toBe(28);
  });
  it('refuses unknown names', () => {
    expect(() => sampleImage('cat')).toThrow(/unknown image 'cat'/);
    expect(() => kernelPreset('blur9')).toThrow(/unknown preset 'blur9'/);
  });
  it('turns RGBA into grey', () => {
    expect(Array.from(greyFromRgba([255, 255, 255, 255, 0, 0, 0, 255], 2, 1))).toEqual([1, 0]);
  });
  it('offers 3 x 3 kernels', () => {
    for (const p of KERNEL_PRESETS) expect(p.values).toHaveLength(9);
  });
});

describe('expectedLogs', () => {
  it('reads the comment of each console.log', () => {
    expect(expectedLogs('const a = 1;\nconsole.log(a); // 1\n  console.log([a, 2]); // [1, 2]\n')).toEqual([
      '1',
      '[1, 2]',
    ]);
  });
  it('refuses a console.log without an expected output', () => {
    expect(() => expectedLogs('console.log(1);\n')).toThrow(/unannotated/);
  });
});

describe('writeOfflineWorker', () => {
  it('lists every file under the base path and versions the cache by content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convkit-sw-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<html></html>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'x');
    writeFileSync(join(dir, 'assets', 'app.js.map'), '{}');
    await writeOfflineWorker(dir, '/convkit/');
    const first = readFileSync(join(dir, 'sw.js'), 'utf8');
    expect(first).toContain('["/convkit/assets/app.js","/convkit/"]');
    writeFileSync(join(dir, 'assets', 'app.js'), 'xy');
    await writeOfflineWorker(dir, '/convkit/');
    const second = readFileSync(join(dir, 'sw.js'), 'utf8');
    expect(/convkit-docs-(\w+)/.exec(second)![1]).not.toBe(/convkit-docs-(\w+)/.exec(first)![1]);
  });
});
