import { convGeometry } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { tapSources } from './tap-sources';

describe('tapSources', () => {
  it('lists the input position each tap reads at each output position, -1 in zero padding', () => {
    // 1-D: input 4, kernel 3, stride 2, padding 1, dilation 1 -> outputs at -1..1 and 1..3.
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [4],
      kernelSize: 3,
      stride: 2,
      padding: 1,
    });
    expect(Array.from(tapSources(g))).toEqual([-1, 0, 1, 1, 2, 3]);
  });

  it('maps reflect padding and flattens 2-D positions row-major', () => {
    // 2-D: input 2x3, kernel 1x2, dilation 2, padding [[0, 0], [1, 1]] reflect -> output 2x3.
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [2, 3],
      kernelSize: [1, 2],
      dilation: 2,
      padding: [
        [0, 0],
        [1, 1],
      ],
      paddingMode: 'reflect',
    });
    expect(g.outputSpatial).toEqual([2, 3]);
    // Columns read -1 -> 1 (reflected) and 1; 0 and 2; 1 and 3 -> 1 (reflected); rows add 3.
    expect(Array.from(tapSources(g))).toEqual([1, 1, 0, 2, 1, 1, 4, 4, 3, 5, 4, 4]);
  });
});
