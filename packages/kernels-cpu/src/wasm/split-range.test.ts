import { describe, expect, it } from 'vitest';
import { splitRange } from './split-range';

describe('splitRange', () => {
  it('cuts a range into even parts on multiples, the last taking the rest', () => {
    expect(splitRange(56, 6, 1)).toEqual([
      [0, 9],
      [9, 19],
      [19, 28],
      [28, 37],
      [37, 47],
      [47, 56],
    ]);
    expect(splitRange(3136, 3, 8)).toEqual([
      [0, 1048],
      [1048, 2088],
      [2088, 3136],
    ]);
    expect(splitRange(7, 1, 1)).toEqual([[0, 7]]);
  });

  it('covers every item exactly once, whatever the counts (empty parts allowed)', () => {
    for (let count = 0; count < 60; count++)
      for (let parts = 1; parts < 8; parts++)
        for (const multiple of [1, 8]) {
          const ranges = splitRange(count, parts, multiple);
          expect(ranges).toHaveLength(parts);
          expect(ranges[0]![0]).toBe(0);
          expect(ranges.at(-1)![1]).toBe(count);
          for (let i = 1; i < parts; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
          for (const [a, b] of ranges) expect(b).toBeGreaterThanOrEqual(a);
        }
  });
});
