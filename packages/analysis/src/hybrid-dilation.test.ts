import { ArgumentError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { hybridDilationCheck } from './hybrid-dilation';

const text = (mask: Uint8Array) => Array.from(mask, (v) => (v ? '#' : '.')).join('');

describe('hybridDilationCheck (Wang et al. 2018)', () => {
  it('rates 1, 2, 5 with 3x3 kernels pass: M_2 = 2 <= 3, no common factor, no holes', () => {
    const check = hybridDilationCheck([1, 2, 5]);
    expect(check.maxDistance).toBe(2);
    expect(check.distances).toEqual([2, 5]);
    expect(check.commonFactor).toBe(1);
    expect(check.receptiveFieldSize).toBe(17);
    expect(check.holes).toBe(0);
    expect(check.passes).toBe(true);
  });

  it('rates 2, 4, 8 fail: common factor 2 and M_2 = 4 > 3, and half the field is holes', () => {
    const check = hybridDilationCheck([2, 4, 8]);
    expect(check.commonFactor).toBe(2);
    expect(check.maxDistance).toBe(4);
    expect(check.passes).toBe(false);
    expect(check.receptiveFieldSize).toBe(29);
    expect(text(check.coverage)).toBe('#.#.#.#.#.#.#.#.#.#.#.#.#.#.#');
    expect(check.holes).toBe(14);
  });

  it('rates 1, 2, 9 fail the distance rule with M_2 = 5, as the paper says, and leave holes', () => {
    const check = hybridDilationCheck([1, 2, 9]);
    expect(check.maxDistance).toBe(5);
    expect(check.commonFactor).toBe(1);
    expect(check.passes).toBe(false);
    // Dense runs of 7 at offsets -9, 0, +9, with gaps of 2 between them.
    expect(text(check.coverage)).toBe('#######..#######..#######');
  });

  it("rates 1, 2, 3 (the paper's figure) pass; three rate-2 layers grid", () => {
    expect(hybridDilationCheck([1, 2, 3]).passes).toBe(true);
    expect(hybridDilationCheck([1, 2, 3]).holes).toBe(0);
    const same = hybridDilationCheck([2, 2, 2]);
    expect([same.commonFactor, same.passes, same.holes]).toEqual([2, false, 6]);
  });

  it('the rules assume a dense first layer: rates 2, 3 pass both yet leave holes', () => {
    const check = hybridDilationCheck([2, 3]);
    expect([check.commonFactor, check.maxDistance, check.passes]).toEqual([1, 3, true]);
    // Offsets {-2, 0, 2} + {-3, 0, 3} miss -4 and +4.
    expect(text(check.coverage)).toBe('#.#######.#');
    expect(check.holes).toBe(2);
  });

  it('takes other kernel sizes', () => {
    const check = hybridDilationCheck([1, 3, 7], 5);
    expect(check.receptiveFieldSize).toBe(1 + 4 * 11);
    expect(check.maxDistance).toBe(3);
    expect(check.passes).toBe(true);
    expect(check.holes).toBe(0);
  });

  it('refuses what is not a stack of rates', () => {
    expect(() => hybridDilationCheck([2])).toThrow(ArgumentError);
    expect(() => hybridDilationCheck([2])).toThrow(
      'hybridDilationCheck: rates must be 2 or more positive integers (one per layer), got [2]',
    );
    expect(() => hybridDilationCheck([1, 0])).toThrow('got [1, 0]');
    expect(() => hybridDilationCheck([1, 2], 1)).toThrow(
      'hybridDilationCheck: kernelSize must be an integer of at least 2, got 1',
    );
  });
});
