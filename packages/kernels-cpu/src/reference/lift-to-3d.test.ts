import { convGeometry } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { liftTo3d } from './lift-to-3d';

describe('liftTo3d', () => {
  it('prepends size-1 dims with kernel 1, stride 1, dilation 1, no padding', () => {
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [9],
      kernelSize: 3,
      stride: 2,
      dilation: 2,
      padding: [[3, 1]],
    });
    expect(liftTo3d(g)).toEqual({
      inputSize: [1, 1, 9],
      outputSize: [1, 1, 5], // (9 + 3 + 1 - 5) / 2 + 1
      kernelSize: [1, 1, 3],
      stride: [1, 1, 2],
      dilation: [1, 1, 2],
      padBefore: [0, 0, 3],
    });
    const g2 = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [5, 6],
      kernelSize: [2, 3],
      padding: 1,
    });
    expect(liftTo3d(g2).inputSize).toEqual([1, 5, 6]);
    expect(liftTo3d(g2).padBefore).toEqual([0, 1, 1]);
  });

  it('leaves a 3-D geometry as it is', () => {
    const g = convGeometry({
      inChannels: 1,
      outChannels: 1,
      inputSpatial: [4, 5, 6],
      kernelSize: [1, 2, 3],
      stride: [3, 2, 1],
    });
    const lifted = liftTo3d(g);
    expect(lifted.inputSize).toEqual([4, 5, 6]);
    expect(lifted.outputSize).toEqual([...g.outputSpatial]);
    expect(lifted.stride).toEqual([3, 2, 1]);
  });
});
