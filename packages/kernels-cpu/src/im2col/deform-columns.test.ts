import { assertClose, convGeometry, createRng } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deformBilinearSample } from '../reference/deform-bilinear';
import { randomDeformCase } from '../reference/random-deform-case';
import { deformCol2imAccumulate, deformIm2colInto, modulateColumns } from './deform-columns';

/** Splits [0, L) into tiles of `width` columns (the last one shorter). */
function tilesOf(length: number, width: number): [number, number][] {
  const tiles: [number, number][] = [];
  for (let start = 0; start < length; start += width) tiles.push([start, Math.min(width, length - start)]);
  return tiles;
}

describe('deformIm2colInto', () => {
  it('writes mask * bilinear sample at p * stride - pad + i * dilation + dy (and likewise x), tile by tile', () => {
    fc.assert(
      fc.property(randomDeformCase(), fc.integer({ min: 1, max: 5 }), (c, width) => {
        const g = c.geometry;
        const { inChannels, offsetGroups, kernelVolume: taps, outputVolume } = g;
        const [height, w] = g.inputSpatial as [number, number];
        const [, outWidth] = g.outputSpatial as [number, number];
        const [, kernelWidth] = g.kernelSize as [number, number];
        const rows = inChannels * taps;
        const input = c.input.data;
        const offset = c.offset.data;
        const mask = c.mask?.data ?? null;
        for (let n = 0; n < g.batch; n++) {
          for (const [columnStart, columnCount] of tilesOf(outputVolume, width)) {
            const columns = new Float32Array(rows * columnCount).fill(Number.NaN);
            deformIm2colInto({
              geometry: g,
              sample: n,
              input,
              offset,
              mask,
              columns,
              columnStart,
              columnCount,
            });
            // The definition, element by element: c channel, t tap, k column of the tile.
            for (let ch = 0; ch < inChannels; ch++) {
              const group = Math.floor(ch / (inChannels / offsetGroups));
              for (let t = 0; t < taps; t++) {
                const [i, j] = [Math.floor(t / kernelWidth), t % kernelWidth];
                for (let k = 0; k < columnCount; k++) {
                  const l = columnStart + k;
                  const [p, q] = [Math.floor(l / outWidth), l % outWidth];
                  const dy = offset[((n * offsetGroups + group) * 2 * taps + 2 * t) * outputVolume + l]!;
                  const dx = offset[((n * offsetGroups + group) * 2 * taps + 2 * t + 1) * outputVolume + l]!;
                  const y = p * g.stride[0]! - g.padBefore[0]! + i * g.dilation[0]! + dy;
                  const x = q * g.stride[1]! - g.padBefore[1]! + j * g.dilation[1]! + dx;
                  const m = mask ? mask[((n * offsetGroups + group) * taps + t) * outputVolume + l]! : 1;
                  const want =
                    m * deformBilinearSample(input, (n * inChannels + ch) * height * w, height, w, y, x);
                  expect(columns[(ch * taps + t) * columnCount + k]).toBe(Math.fround(want));
                }
              }
            }
          }
        }
      }),
      { numRuns: 40, seed: 3401 },
    );
  });
});

describe('deformCol2imAccumulate', () => {
  it('is the adjoint of deformIm2colInto in the input: <columns(x), Y> = <x, gradInput(Y)>', () => {
    fc.assert(
      fc.property(randomDeformCase(), (c) => {
        const g = c.geometry;
        const rows = g.inChannels * g.kernelVolume;
        const L = g.outputVolume;
        const rng = createRng(g.batch * 31 + rows);
        const common = {
          geometry: g,
          input: c.input.data,
          offset: c.offset.data,
          mask: c.mask?.data ?? null,
        };
        for (let n = 0; n < g.batch; n++) {
          const columns = new Float32Array(rows * L);
          deformIm2colInto({ ...common, sample: n, columns, columnStart: 0, columnCount: L });
          const gradColumns = rng.normalTensor([rows * L]).data;
          const gradInput = new Float64Array(g.inChannels * g.inputVolume);
          deformCol2imAccumulate({
            ...common,
            sample: n,
            columns,
            columnStart: 0,
            columnCount: L,
            gradColumns,
            gradInput,
            gradOffset: new Float32Array(c.offset.data.length),
            gradMask: c.mask ? new Float32Array(c.mask.data.length) : null,
          });
          let left = 0;
          let scale = 0;
          for (let k = 0; k < columns.length; k++) {
            left += columns[k]! * gradColumns[k]!;
            scale += Math.abs(columns[k]! * gradColumns[k]!);
          }
          let right = 0;
          const plane = g.inChannels * g.inputVolume;
          for (let k = 0; k < plane; k++) right += c.input.data[n * plane + k]! * gradInput[k]!;
          expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-5 * (1 + scale));
        }
      }),
      { numRuns: 40, seed: 3402 },
    );
  });

  it('writes the same offset and mask gradients tile by tile as in one tile, and the same input gradient', () => {
    fc.assert(
      fc.property(randomDeformCase(), fc.integer({ min: 1, max: 4 }), (c, width) => {
        const g = c.geometry;
        const rows = g.inChannels * g.kernelVolume;
        const L = g.outputVolume;
        const rng = createRng(width * 7 + rows);
        const gradColumnsAll = rng.normalTensor([rows * L]).data;
        const common = {
          geometry: g,
          input: c.input.data,
          offset: c.offset.data,
          mask: c.mask?.data ?? null,
        };
        const run = (tileWidth: number) => {
          const gradOffset = new Float32Array(c.offset.data.length).fill(Number.NaN);
          const gradMask = c.mask ? new Float32Array(c.mask.data.length).fill(Number.NaN) : null;
          const gradInputs: Float64Array[] = [];
          for (let n = 0; n < g.batch; n++) {
            const gradInput = new Float64Array(g.inChannels * g.inputVolume);
            for (const [columnStart, columnCount] of tilesOf(L, tileWidth)) {
              // The tile's block of the full gradient matrix, rows columnCount apart.
              const gradColumns = new Float32Array(rows * columnCount);
              for (let r = 0; r < rows; r++) {
                gradColumns.set(
                  gradColumnsAll.subarray(r * L + columnStart, r * L + columnStart + columnCount),
                  r * columnCount,
                );
              }
              const columns = new Float32Array(rows * columnCount);
              deformCol2imAccumulate({
                ...common,
                sample: n,
                columns,
                columnStart,
                columnCount,
                gradColumns,
                gradInput,
                gradOffset,
                gradMask,
              });
            }
            gradInputs.push(gradInput);
          }
          return { gradOffset, gradMask, gradInputs };
        };
        const tiled = run(width);
        const whole = run(L);
        // Every entry is written (no NaN left), and each is one sum over the same channels.
        expect(tiled.gradOffset.some(Number.isNaN)).toBe(false);
        expect(Array.from(tiled.gradOffset)).toEqual(Array.from(whole.gradOffset));
        if (tiled.gradMask) expect(Array.from(tiled.gradMask)).toEqual(Array.from(whole.gradMask!));
        tiled.gradInputs.forEach((gi, n) => {
          assertClose(gi, whole.gradInputs[n]!, { atol: 1e-10, rtol: 1e-10 });
        });
      }),
      { numRuns: 30, seed: 3403 },
    );
  });

  it('leaves gradMask alone without a mask and reads modulation 1', () => {
    const g = convGeometry({
      op: 'deformConv2d',
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [2, 2],
      kernelSize: 1,
      offsetGroups: 1,
    });
    const input = Float32Array.from([1, 2, 3, 4]);
    const offset = Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const gradOffset = new Float32Array(8);
    const gradInput = new Float64Array(4);
    const common = { geometry: g, sample: 0, input, offset, mask: null, columnStart: 0, columnCount: 4 };
    deformCol2imAccumulate({
      ...common,
      columns: new Float32Array(4),
      gradColumns: Float32Array.from([1, 0, 0, 0]),
      gradInput,
      gradOffset,
      gradMask: null,
    });
    // Position (0, 0) samples (0.5, 0.5): the four corners get 1/4 each; d/dy = (3 + 4 - 1 - 2) / 2 = 2, d/dx = 1.
    expect(Array.from(gradInput)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(gradOffset[0]).toBe(2);
    expect(gradOffset[4]).toBe(1);
    const columns = new Float32Array(4);
    deformIm2colInto({ ...common, columns });
    expect(columns[0]).toBe(2.5);
  });

  it('takes gradMask from the unmodulated samples, and modulateColumns turns them into the forward columns', () => {
    fc.assert(
      fc.property(randomDeformCase(), (c) => {
        const g = c.geometry;
        if (!c.mask) return;
        const rows = g.inChannels * g.kernelVolume;
        const L = g.outputVolume;
        const { kernelVolume: taps, offsetGroups, inChannels } = g;
        const rng = createRng(rows + L);
        const common = {
          geometry: g,
          input: c.input.data,
          offset: c.offset.data,
          mask: c.mask.data,
          columnStart: 0,
          columnCount: L,
        };
        for (let n = 0; n < g.batch; n++) {
          const samples = new Float32Array(rows * L);
          deformIm2colInto({ ...common, sample: n, columns: samples, mask: null });
          const gradColumns = rng.normalTensor([rows * L]).data;
          const gradMask = new Float32Array(c.mask.data.length).fill(Number.NaN);
          deformCol2imAccumulate({
            ...common,
            sample: n,
            columns: samples,
            gradColumns,
            gradInput: new Float64Array(inChannels * g.inputVolume),
            gradOffset: new Float32Array(c.offset.data.length),
            gradMask,
          });
          // gradMask[n, group, tap, l] = sum over the group's channels of gradColumns * sample.
          const perGroup = inChannels / offsetGroups;
          for (let group = 0; group < offsetGroups; group++) {
            for (let t = 0; t < taps; t++) {
              for (let l = 0; l < L; l++) {
                let want = 0;
                for (let ch = group * perGroup; ch < (group + 1) * perGroup; ch++) {
                  want += gradColumns[(ch * taps + t) * L + l]! * samples[(ch * taps + t) * L + l]!;
                }
                const got = gradMask[((n * offsetGroups + group) * taps + t) * L + l]!;
                expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want)));
              }
            }
          }
          const modulated = new Float32Array(rows * L);
          deformIm2colInto({ ...common, sample: n, columns: modulated });
          modulateColumns({ ...common, sample: n, columns: samples, mask: c.mask.data });
          assertClose(samples, modulated, { atol: 1e-6, rtol: 1e-6 });
        }
      }),
      { numRuns: 30, seed: 3404 },
    );
  });
});
