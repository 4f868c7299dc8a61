import { describe, expect, it } from 'vitest';
import { paddedIndex } from './padded-index';

/** The sources of positions -pad .. size - 1 + pad. */
const sources = (size: number, pad: number, mode: Parameters<typeof paddedIndex>[2]) =>
  Array.from({ length: size + 2 * pad }, (_, i) => paddedIndex(i - pad, size, mode));

describe('paddedIndex', () => {
  it('zeros: -1 outside the input', () => {
    expect(sources(3, 2, 'zeros')).toEqual([-1, -1, 0, 1, 2, -1, -1]);
  });
  it('reflect: mirrors without repeating the edge (numpy "reflect", torch reflect)', () => {
    expect(sources(4, 3, 'reflect')).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(sources(2, 1, 'reflect')).toEqual([1, 0, 1, 0]);
  });
  it('replicate: clamps to the edge', () => {
    expect(sources(3, 3, 'replicate')).toEqual([0, 0, 0, 0, 1, 2, 2, 2, 2]);
    expect(sources(1, 2, 'replicate')).toEqual([0, 0, 0, 0, 0]);
  });
  it('circular: wraps around, padding up to the input size', () => {
    expect(sources(3, 3, 'circular')).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(sources(4, 2, 'circular')).toEqual([2, 3, 0, 1, 2, 3, 0, 1]);
  });
});
