import {
  ArgumentError,
  assertClose,
  convGeometry,
  createRng,
  ResourceError,
  UnsupportedError,
} from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { naiveUnfold, randomGeometry } from '../test/naive';
import { im2colInto } from './im2col-into';
import type { LoweringArgs } from './lowering-args';

describe('im2colInto', () => {
  it('fills any tile of columns and channels exactly as the full unfold, touching nothing else', () => {
    const rng = createRng(21);
    for (let trial = 0; trial < 100; trial++) {
      const geometry = randomGeometry(rng, { batch: 1, maxGroups: 3 });
      const x = rng.uniformTensor(geometry.inputShape, -1, 1);
      const full = naiveUnfold(x, geometry);
      const length = geometry.outputVolume;
      const columnStart = rng.int(0, length - 1);
      const columnCount = rng.int(1, length - columnStart);
      const channelStart = rng.int(0, geometry.inChannels - 1);
      const channelCount = rng.int(1, geometry.inChannels - channelStart);
      const rows = channelCount * geometry.kernelVolume;
      const rowStride = columnCount + rng.int(0, 3);
      const offset = rng.int(0, 5);
      // NaN everywhere: the tile must be written in full (zeros included) and nothing outside it.
      const columns = new Float32Array(offset + rows * rowStride + 3).fill(Number.NaN);
      im2colInto({
        geometry,
        input: x.data,
        columns,
        columnsOffset: offset,
        columnsRowStride: rowStride,
        columnStart,
        columnCount,
        channelStart,
        channelCount,
      });
      for (let i = 0; i < columns.length; i++) {
        const rel = i - offset;
        const row = Math.floor(rel / rowStride);
        const j = rel - row * rowStride;
        const inside = rel >= 0 && row < rows && j < columnCount;
        if (!inside) {
          expect(Number.isNaN(columns[i]!)).toBe(true);
          continue;
        }
        const fullRow = channelStart * geometry.kernelVolume + row;
        expect(columns[i]).toBe(Math.fround(full[fullRow * length + columnStart + j]!));
      }
    }
  });

  it('reads channels-last input through the geometry layout, and explicit strides', () => {
    const rng = createRng(5);
    const args = {
      inChannels: 3,
      outChannels: 1,
      inputSpatial: [4, 5],
      kernelSize: 3,
      padding: 1,
      paddingMode: 'replicate',
    } as const;
    const geometry = convGeometry(args);
    const last = convGeometry({ ...args, layout: 'channels-last' });
    const x = rng.uniformTensor([1, 3, 4, 5]);
    const expected = naiveUnfold(x, geometry);
    const nhwc = x.permute([0, 2, 3, 1]).contiguous();
    const a = new Float32Array(27 * 20);
    im2colInto({ geometry: last, input: nhwc.data, columns: a });
    assertClose(a, expected, { atol: 0, rtol: 0 });
    const b = new Float32Array(27 * 20);
    im2colInto({ geometry, input: nhwc.data, inputStrides: [1, 15, 3], columns: b });
    assertClose(b, expected, { atol: 0, rtol: 0 });
  });

  it('does nothing for an empty tile', () => {
    const geometry = convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [4], kernelSize: 2 });
    const columns = new Float32Array(4).fill(7);
    im2colInto({ geometry, input: new Float32Array(4), columns, columnStart: 3, columnCount: 0 });
    expect(Array.from(columns)).toEqual([7, 7, 7, 7]);
  });

  describe('checks its ranges once, with typed errors', () => {
    const geometry = convGeometry({ inChannels: 2, outChannels: 1, inputSpatial: [4, 4], kernelSize: 3 });
    const input = new Float32Array(32);
    const columns = new Float32Array(18 * 4);
    it('column and channel ranges', () => {
      expect(() => im2colInto({ geometry, input, columns, columnStart: 5 })).toThrow(
        /im2colInto: columnStart must be an integer in \[0, 4\], got 5/,
      );
      expect(() => im2colInto({ geometry, input, columns, columnStart: 2, columnCount: 3 })).toThrow(
        /columnCount .* \[0, 2\], got 3/,
      );
      expect(() => im2colInto({ geometry, input, columns, channelStart: 1, channelCount: 2 })).toThrow(
        /channelCount .* \[0, 1\], got 2/,
      );
      expect(() => im2colInto({ geometry, input, columns, columnsRowStride: 3 })).toThrow(
        /columnsRowStride .* \[4, /,
      );
      expect(() => im2colInto({ geometry, input, columns, columnStart: 0.5 })).toThrow(ArgumentError);
    });
    it('buffers too small for the tile', () => {
      expect(() => im2colInto({ geometry, input, columns: new Float32Array(71) })).toThrow(
        /columns holds 71 elements but the tile \[18, 4\]/,
      );
      expect(() => im2colInto({ geometry, input: new Float32Array(31), columns })).toThrow(
        /input holds 31 elements/,
      );
      expect(() => im2colInto({ geometry, input, inputOffset: 1, columns })).toThrow(/reach index 32/);
    });
    it('bad strides, buffers or geometry', () => {
      expect(() => im2colInto({ geometry, input, columns, inputStrides: [16, 4] })).toThrow(
        /inputStrides must be 3 non-negative integers/,
      );
      expect(() => im2colInto({ geometry, input, columns, inputStrides: [16, -4, 1] })).toThrow(
        ArgumentError,
      );
      expect(() => im2colInto({ geometry, input: [] as unknown as Float32Array, columns })).toThrow(
        /input must be a Float32Array, got array of length 0/,
      );
      expect(() =>
        im2colInto({ geometry, input, columns: new Float64Array(72) as unknown as Float32Array }),
      ).toThrow(/^im2colInto: columns must be a Float32Array, got Float64Array object/);
      expect(() => im2colInto({ geometry: {} as typeof geometry, input, columns })).toThrow(
        /geometry must be a ConvGeometry/,
      );
    });
    it('an unknown argument key, missing arguments or a non-geometry', () => {
      const misspelt = { geometry, input, columns, column_start: 1 } as LoweringArgs;
      expect(() => im2colInto(misspelt)).toThrow(ArgumentError);
      expect(() => im2colInto(misspelt)).toThrow(
        /^im2colInto: unknown option 'column_start' in args; the options are .*; did you mean 'columnStart'\?$/,
      );
      expect(() => im2colInto(undefined as unknown as LoweringArgs)).toThrow(
        /^im2colInto: args \{ geometry, input, columns, \.\.\. \} must be a plain object, got undefined/,
      );
      // The null rule: a null argument is a missing one.
      expect(() => im2colInto({ geometry: null as unknown as typeof geometry, input, columns })).toThrow(
        /^im2colInto: geometry must be a ConvGeometry from convGeometry\(\), got undefined/,
      );
    });
    it('index tables above the memory limit, with a ResourceError before allocating', () => {
      // One input element padded by 3e9 on each side: the table of 6e9 + 1 output positions.
      const padded = convGeometry({
        inChannels: 1,
        outChannels: 1,
        inputSpatial: [1],
        kernelSize: 1,
        padding: 3e9,
      });
      const tile = {
        geometry: padded,
        input: new Float32Array(1),
        columns: new Float32Array(1),
        columnCount: 1,
      };
      expect(() => im2colInto(tile)).toThrow(ResourceError);
      expect(() => im2colInto(tile)).toThrow(
        /^im2colInto: the source index table of spatial dim 0 \[1, 6000000001\] needs/,
      );
    });
    it('geometries this lowering does not describe: transposed, deformable, ceilMode with a padding mode', () => {
      const transposed = convGeometry({
        transposed: true,
        inChannels: 2,
        outChannels: 1,
        inputSpatial: [4, 4],
        kernelSize: 3,
      });
      expect(() => im2colInto({ geometry: transposed, input, columns })).toThrow(
        /im2colInto: geometry is a transposed convolution's \(convTranspose2d\)/,
      );
      const deformable = convGeometry({
        inChannels: 2,
        outChannels: 1,
        inputSpatial: [4, 4],
        kernelSize: 3,
        offsetGroups: 1,
      });
      expect(() => im2colInto({ geometry: deformable, input, columns })).toThrow(UnsupportedError);
      const pooled = convGeometry({
        inChannels: 2,
        outChannels: 1,
        inputSpatial: [4, 4],
        kernelSize: 2,
        stride: 3,
        padding: 1,
        ceilMode: true,
        paddingMode: 'replicate',
      });
      expect(() => im2colInto({ geometry: pooled, input, columns })).toThrow(/ceilMode/);
    });
  });
});
