import { convGeometry } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { isIdentityLowering } from './is-identity-lowering';

const geometry = (extra: Partial<Parameters<typeof convGeometry>[0]>) =>
  convGeometry({ inChannels: 4, outChannels: 2, inputSpatial: [5, 6], kernelSize: 1, ...extra });

describe('isIdentityLowering', () => {
  it('holds for 1x1, stride 1, no padding, in every rank, whatever the dilation, groups or padding mode', () => {
    expect(isIdentityLowering(geometry({}))).toBe(true);
    expect(isIdentityLowering(geometry({ dilation: 3, groups: 2, paddingMode: 'reflect' }))).toBe(true);
    expect(isIdentityLowering(geometry({ inputSpatial: [7], kernelSize: [1] }))).toBe(true);
    expect(isIdentityLowering(geometry({ inputSpatial: [2, 3, 4], kernelSize: [1, 1, 1] }))).toBe(true);
    expect(isIdentityLowering(geometry({ layout: 'channels-last' }))).toBe(true);
  });

  it('fails for a larger kernel, a stride, any padding, or a transposed geometry', () => {
    expect(isIdentityLowering(geometry({ kernelSize: [1, 2] }))).toBe(false);
    expect(isIdentityLowering(geometry({ stride: [1, 2] }))).toBe(false);
    expect(
      isIdentityLowering(
        geometry({
          padding: [
            [0, 0],
            [0, 1],
          ],
        }),
      ),
    ).toBe(false);
    expect(
      isIdentityLowering(
        geometry({
          padding: [
            [1, 0],
            [0, 0],
          ],
        }),
      ),
    ).toBe(false);
    expect(isIdentityLowering(geometry({ transposed: true }))).toBe(false);
  });
});
