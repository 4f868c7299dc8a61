import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convGeometry } from './conv-geometry';
import { convRowBand, convRowBands } from './conv-row-band';
import { ArgumentError } from './errors';

describe('convRowBand', () => {
  it('gives each band an input slice and padding whose convolution has exactly the band rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        (size, k, stride, dilation, before, after, parts) => {
          fc.pre(size + before + after >= (k - 1) * dilation + 1);
          const g = convGeometry({
            inChannels: 1,
            outChannels: 1,
            inputSpatial: [size, 3],
            kernelSize: [k, 1],
            stride: [stride, 1],
            dilation: [dilation, 1],
            padding: [
              [before, after],
              [0, 0],
            ],
          });
          const bands = convRowBands(g, parts);
          if (bands.length === 0) {
            // Only when the whole output reads padding alone.
            const whole = convRowBand(g, 0, g.outputSpatial[0]!);
            expect(whole.inputEnd).toBe(whole.inputStart);
            return;
          }
          expect(bands[0]!.rowStart).toBe(0);
          expect(bands[bands.length - 1]!.rowEnd).toBe(g.outputSpatial[0]);
          for (let b = 1; b < bands.length; b++) expect(bands[b]!.rowStart).toBe(bands[b - 1]!.rowEnd);
          for (const band of bands) {
            expect(band.padBefore).toBeGreaterThanOrEqual(0);
            expect(band.padAfter).toBeGreaterThanOrEqual(0);
            expect(band.inputEnd).toBeGreaterThan(band.inputStart);
            const sub = convGeometry({
              inChannels: 1,
              outChannels: 1,
              inputSpatial: [band.inputEnd - band.inputStart, 3],
              kernelSize: [k, 1],
              stride: [stride, 1],
              dilation: [dilation, 1],
              padding: [
                [band.padBefore, band.padAfter],
                [0, 0],
              ],
            });
            expect(sub.outputSpatial[0]).toBe(band.rowEnd - band.rowStart);
          }
        },
      ),
      { numRuns: 300, seed: 41 },
    );
  });

  it('refuses rows outside the output, transposed geometries and other padding modes', () => {
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [8, 8],
      kernelSize: 3,
      padding: 1,
    });
    expect(() => convRowBand(g, 0, 9)).toThrow(ArgumentError);
    expect(() => convRowBand(g, 3, 3)).toThrow('convRowBand: rows must satisfy 0 <= rowStart < rowEnd <= 8');
    const reflect = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [8, 8],
      kernelSize: 3,
      padding: 1,
      paddingMode: 'reflect',
    });
    expect(() => convRowBand(reflect, 0, 4)).toThrow("got paddingMode 'reflect'");
    expect(convRowBands(reflect, 2)).toEqual([]);
  });
});
