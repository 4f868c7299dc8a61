import { ArgumentError, assertClose, convGeometry, createRng } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { dot, randomGeometry } from '../test/naive';
import { col2imAccumulate } from './col2im-accumulate';
import { im2colInto } from './im2col-into';
import type { LoweringArgs } from './lowering-args';

describe('col2imAccumulate', () => {
  it('adds into the buffer without zeroing it first', () => {
    const geometry = convGeometry({ inChannels: 1, outChannels: 1, inputSpatial: [4], kernelSize: 2 });
    const input = new Float32Array([10, 20, 30, 40]);
    // Columns [2 taps, 3 positions]: tap 0 reads x[o], tap 1 reads x[o + 1].
    col2imAccumulate({ geometry, input, columns: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect(Array.from(input)).toEqual([11, 26, 38, 46]);
  });

  it('tiles over columns and channel ranges sum to the whole fold', () => {
    const rng = createRng(31);
    for (let trial = 0; trial < 60; trial++) {
      const geometry = randomGeometry(rng, { batch: 1, maxGroups: 3 });
      const rows = geometry.inChannels * geometry.kernelVolume;
      const length = geometry.outputVolume;
      const columns = rng.uniformTensor([rows, length], -1, 1).data;
      const whole = new Float32Array(geometry.inChannels * geometry.inputVolume);
      col2imAccumulate({ geometry, input: whole, columns });
      // Per channel, then in column tiles of random width copied out with a padded row stride.
      const tiled = new Float32Array(whole.length);
      for (let c = 0; c < geometry.inChannels; c++) {
        for (let start = 0; start < length; ) {
          const count = Math.min(rng.int(1, 4), length - start);
          const tile = new Float32Array(geometry.kernelVolume * (count + 1));
          for (let r = 0; r < geometry.kernelVolume; r++) {
            for (let j = 0; j < count; j++)
              tile[r * (count + 1) + j] = columns[(c * geometry.kernelVolume + r) * length + start + j]!;
          }
          col2imAccumulate({
            geometry,
            input: tiled,
            columns: tile,
            columnsRowStride: count + 1,
            columnStart: start,
            columnCount: count,
            channelStart: c,
            channelCount: 1,
          });
          start += count;
        }
      }
      assertClose(tiled, whole, { label: `trial ${trial}` });
    }
  });

  it('is the adjoint of im2colInto for every padding mode, also on tiles and strided input', () => {
    const rng = createRng(41);
    for (let trial = 0; trial < 100; trial++) {
      const geometry = randomGeometry(rng, { batch: 1 });
      const channels = geometry.inChannels;
      // A channels-last buffer with one spare slot per position: strides [1, ..., (C + 1)].
      const spatialStrides = geometry.inputSpatial.map((_, d) =>
        geometry.inputSpatial.slice(d + 1).reduce((a, b) => a * b, channels + 1),
      );
      const inputStrides = [1, ...spatialStrides];
      const size = geometry.inputVolume * (channels + 1);
      const x = rng.uniformTensor([size], -1, 1).data;
      const columnStart = rng.int(0, geometry.outputVolume - 1);
      const columnCount = rng.int(1, geometry.outputVolume - columnStart);
      const rows = channels * geometry.kernelVolume;
      const lowered = new Float32Array(rows * columnCount);
      im2colInto({ geometry, input: x, inputStrides, columns: lowered, columnStart, columnCount });
      const y = rng.uniformTensor([rows * columnCount], -1, 1).data;
      const back = new Float32Array(size);
      col2imAccumulate({ geometry, input: back, inputStrides, columns: y, columnStart, columnCount });
      const left = dot(lowered, y);
      const right = dot(x, back);
      expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(left)));
    }
  });

  it('checks its ranges with typed errors naming the op', () => {
    const geometry = convGeometry({ inChannels: 2, outChannels: 1, inputSpatial: [4, 4], kernelSize: 3 });
    const input = new Float32Array(32);
    expect(() => col2imAccumulate({ geometry, input, columns: new Float32Array(10) })).toThrow(
      /^col2imAccumulate: columns holds 10 elements/,
    );
    expect(() =>
      col2imAccumulate({ geometry, input: new Float32Array(8), columns: new Float32Array(72) }),
    ).toThrow(ArgumentError);
    expect(() =>
      col2imAccumulate({ geometry, input, columns: new Float32Array(72), channelStart: 3 }),
    ).toThrow(/channelStart/);
  });

  it('refuses an unknown argument key and a non-geometry with ArgumentErrors naming the op', () => {
    const geometry = convGeometry({ inChannels: 2, outChannels: 1, inputSpatial: [4, 4], kernelSize: 3 });
    const args = { geometry, input: new Float32Array(32), columns: new Float32Array(72) };
    expect(() => col2imAccumulate({ ...args, accumulate: false } as LoweringArgs)).toThrow(ArgumentError);
    expect(() => col2imAccumulate({ ...args, accumulate: false } as LoweringArgs)).toThrow(
      /^col2imAccumulate: unknown option 'accumulate'/,
    );
    expect(() => col2imAccumulate({ ...args, geometry: 'conv2d' as unknown as typeof geometry })).toThrow(
      /^col2imAccumulate: geometry must be a ConvGeometry from convGeometry\(\), got string 'conv2d'/,
    );
  });
});
