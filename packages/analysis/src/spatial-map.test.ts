import { convGeometry } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { affineStep, dimSources, type SpatialMap } from './spatial-map';

const upsample = (
  mode: 'nearest' | 'nearest-exact' | 'linear' | 'bicubic',
  inputSize: number,
  outputSize: number,
  scale: number | null,
  alignCorners = false,
): SpatialMap => ({
  kind: 'upsample',
  mode,
  alignCorners,
  scaleFactors: [scale],
  inputSpatial: [inputSize],
  outputSpatial: [outputSize],
});
const sources = (map: SpatialMap, n: number) => Array.from({ length: n }, (_, u) => dimSources(map, 0, u));

describe('dimSources', () => {
  it('nearest copies floor(u * in / out) (float32, as PyTorch), nearest-exact rounds to the centre', () => {
    expect(sources(upsample('nearest', 2, 5, 2.5), 5)).toEqual([[0], [0], [0], [1], [1]]);
    expect(sources(upsample('nearest-exact', 2, 5, 2.5), 5)).toEqual([[0], [0], [1], [1], [1]]);
    expect(sources(upsample('nearest', 3, 6, null), 6)).toEqual([[0], [0], [1], [1], [2], [2]]);
  });

  it('linear reads the taps with non-zero weight, clamped at the borders', () => {
    // x2: sources u / 2 - 0.25, clamped at 0.
    expect(sources(upsample('linear', 3, 6, 2), 6)).toEqual([[0], [0, 1], [0, 1], [1, 2], [1, 2], [2]]);
    // alignCorners: u * (in - 1) / (out - 1) hits input 0 and 2 exactly.
    expect(sources(upsample('linear', 3, 5, null, true), 5)).toEqual([[0], [0, 1], [1], [1, 2], [2]]);
  });

  it('bicubic reads four taps, one at exact integer sources', () => {
    expect(sources(upsample('bicubic', 4, 4, null, true), 4)).toEqual([[0], [1], [2], [3]]);
    // x2 without alignCorners: sources -0.25, 0.25, ...: four clamped taps each.
    expect(sources(upsample('bicubic', 4, 8, 2), 2)).toEqual([
      [0, 1],
      [0, 1, 2],
    ]);
  });

  it('adaptive windows overlap when the sizes do not divide', () => {
    const map: SpatialMap = { kind: 'adaptive', inputSpatial: [7], outputSpatial: [3] };
    expect(sources(map, 3)).toEqual([
      [0, 1, 2],
      [2, 3, 4],
      [4, 5, 6],
    ]);
  });

  it('has no positions for flattened features', () => {
    expect(() => dimSources({ kind: 'flatten' }, 0, 0)).toThrow(
      'dimSources: flattened features have no spatial positions',
    );
  });
});

describe('affineStep', () => {
  it('reads windows off the geometry', () => {
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [9],
      kernelSize: 3,
      dilation: 2,
      stride: 2,
      padding: 1,
    });
    expect(affineStep({ kind: 'window', geometry: g }, 0, 'x')).toEqual({
      kind: 'conv',
      extent: 5,
      stride: 2,
      padBefore: 1,
    });
    expect(affineStep({ kind: 'transposed', geometry: g }, 0, 'x')).toEqual({
      kind: 'transposed',
      extent: 5,
      stride: 2,
      padBefore: 1,
    });
    expect(affineStep({ kind: 'pointwise' }, 0, 'x')).toEqual({ kind: 'identity' });
  });

  it('writes adaptive pooling and integer upsampling as windows', () => {
    expect(affineStep({ kind: 'adaptive', inputSpatial: [3], outputSpatial: [6] }, 0, 'x')).toEqual({
      kind: 'transposed',
      extent: 2,
      stride: 2,
      padBefore: 0,
    });
    expect(affineStep(upsample('nearest-exact', 3, 9, 3), 0, 'x')).toEqual({
      kind: 'transposed',
      extent: 3,
      stride: 3,
      padBefore: 0,
    });
    expect(affineStep(upsample('linear', 3, 12, 4), 0, 'x')).toEqual({
      kind: 'transposed',
      extent: 8,
      stride: 4,
      padBefore: 2,
    });
    expect(affineStep(upsample('linear', 3, 3, 1), 0, 'x')).toEqual({ kind: 'identity' });
    expect(() => affineStep(upsample('linear', 3, 6, 2, true), 0, "Upsample 'u'")).toThrow(
      "Upsample 'u': linear upsampling from 3 to 6 positions (spatial dim 0, alignCorners) is not a regular window",
    );
    expect(() => affineStep(upsample('nearest', 2, 5, 2.5), 0, 'x')).toThrow(
      'x: nearest upsampling from 2 to 5 positions',
    );
  });
});
