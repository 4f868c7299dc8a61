import { createRng } from '@convkit/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deformBilinearCoordinateGradient,
  deformBilinearSample,
  deformBilinearScatter,
} from './deform-bilinear';

// A 3 x 4 plane at offset 2 of a larger buffer (the two leading values must never be read):
//   row 0:  1  2  3  4
//   row 1:  5  6  7  8
//   row 2:  9 10 11 12
const BUFFER = Float64Array.from([100, 200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const BASE = 2;
const H = 3;
const W = 4;
const sample = (y: number, x: number) => deformBilinearSample(BUFFER, BASE, H, W, y, x);
const coordinateGradient = (y: number, x: number) => {
  const out = new Float64Array(2);
  deformBilinearCoordinateGradient(BUFFER, BASE, H, W, y, x, out);
  return [out[0], out[1]];
};

describe('deformBilinearSample', () => {
  it('reads integer positions exactly', () => {
    expect(sample(0, 0)).toBe(1);
    expect(sample(1, 2)).toBe(7);
    expect(sample(2, 3)).toBe(12);
  });

  it('interpolates inside the plane (hand-checked)', () => {
    // (0.5, 0.5): mean of 1, 2, 5, 6.
    expect(sample(0.5, 0.5)).toBeCloseTo(3.5, 14);
    // (1.25, 2.75): rows 1-2, cols 2-3: 0.75*(0.25*7 + 0.75*8) + 0.25*(0.25*11 + 0.75*12)
    expect(sample(1.25, 2.75)).toBeCloseTo(0.75 * (0.25 * 7 + 0.75 * 8) + 0.25 * (0.25 * 11 + 0.75 * 12), 14);
  });

  it('reads zeros for corners outside the plane', () => {
    // (-0.5, 0): corner row -1 is outside, so half of row 0's value.
    expect(sample(-0.5, 0)).toBeCloseTo(0.5, 14);
    // (2.25, 3.5): rows 2-3, cols 3-4: only (2, 3) = 12 is inside, weight 0.75 * 0.5.
    expect(sample(2.25, 3.5)).toBeCloseTo(12 * 0.75 * 0.5, 14);
    // (-0.75, -0.25): only (0, 0) = 1 is inside, weight 0.25 * 0.75.
    expect(sample(-0.75, -0.25)).toBeCloseTo(0.25 * 0.75, 14);
  });

  it('is 0 at and beyond y <= -1, y >= H, x <= -1, x >= W (torchvision bilinear_interpolate)', () => {
    for (const [y, x] of [
      [-1, 1],
      [-1.5, 1],
      [3, 1],
      [3.2, 1],
      [1, -1],
      [1, -7],
      [1, 4],
      [1, 40],
      [1e9, -1e9],
    ] as const) {
      expect(sample(y, x)).toBe(0);
    }
    // Just inside the border the value is small but not 0.
    expect(sample(-0.999, 0)).toBeCloseTo(0.001, 10);
    expect(sample(1, 3.999)).toBeCloseTo(8 * 0.001, 10);
  });
});

describe('deformBilinearCoordinateGradient', () => {
  it('is the bilinear derivative inside a cell (hand-checked)', () => {
    // At (0.5, 0.25): d/dy = 0.75*(5-1) + 0.25*(6-2) = 4; d/dx = 0.5*(2-1) + 0.5*(6-5) = 1.
    const [gy, gx] = coordinateGradient(0.5, 0.25);
    expect(gy).toBeCloseTo(4, 14);
    expect(gx).toBeCloseTo(1, 14);
  });

  it('is the derivative from the right at integer positions', () => {
    // At y = 2 (last row), the cell below is outside: d/dy = 0 - v(2, x).
    const [gy, gx] = coordinateGradient(2, 1);
    expect(gy).toBe(-10);
    expect(gx).toBe(1);
  });

  it('follows torchvision at y = -1: the derivative of the branch just inside, though the sample is 0', () => {
    // Rows -1 (outside) and 0: d/dy = (1 - 0.5)*(1 - 0) + 0.5*(2 - 0) = 1.5; d/dx = 1*(0 - 0) = 0.
    const [gy, gx] = coordinateGradient(-1, 0.5);
    expect(sample(-1, 0.5)).toBe(0);
    expect(gy).toBeCloseTo(1.5, 14);
    expect(gx).toBe(0);
  });

  it('is 0 once every corner is outside', () => {
    expect(coordinateGradient(-1.5, 1)).toEqual([0, 0]);
    expect(coordinateGradient(1, 5)).toEqual([0, 0]);
    expect(coordinateGradient(3, 1)).toEqual([0, 0]);
  });

  it('matches central finite differences of the sample away from cell edges', () => {
    const rng = createRng(7);
    for (let k = 0; k < 200; k++) {
      // Fractional parts in [0.01, 0.99]: the sample is bilinear there, so the central
      // difference is exact up to rounding.
      const y = rng.int(-1, 3) + rng.uniform(0.01, 0.99);
      const x = rng.int(-1, 4) + rng.uniform(0.01, 0.99);
      const step = 1e-5;
      const [gy, gx] = coordinateGradient(y, x);
      expect(gy).toBeCloseTo((sample(y + step, x) - sample(y - step, x)) / (2 * step), 8);
      expect(gx).toBeCloseTo((sample(y, x + step) - sample(y, x - step)) / (2 * step), 8);
    }
  });
});

describe('deformBilinearScatter', () => {
  it('is the adjoint of the sample: <sample(v), a> = <v, scatter(a)> for every position', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -2, max: 5, noNaN: true }),
        fc.double({ min: -2, max: 6, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        (y, x, a) => {
          const grad = new Float64Array(BUFFER.length);
          deformBilinearScatter(grad, BASE, H, W, y, x, a);
          // Nothing lands outside the plane.
          expect(grad[0]).toBe(0);
          expect(grad[1]).toBe(0);
          let dot = 0;
          for (let k = BASE; k < BUFFER.length; k++) dot += BUFFER[k]! * grad[k]!;
          expect(dot).toBeCloseTo(sample(y, x) * a, 10);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it('adds the bilinear weights to the four corners', () => {
    const grad = new Float64Array(BUFFER.length);
    deformBilinearScatter(grad, BASE, H, W, 0.25, 1.5, 2);
    // Corners (0,1), (0,2), (1,1), (1,2) with weights 0.75*0.5, 0.75*0.5, 0.25*0.5, 0.25*0.5, times 2.
    expect(Array.from(grad.subarray(BASE))).toEqual([0, 0.75, 0.75, 0, 0, 0.25, 0.25, 0, 0, 0, 0, 0]);
    // Out of range: nothing at all.
    const none = new Float64Array(BUFFER.length);
    deformBilinearScatter(none, BASE, H, W, -1, 1.5, 2);
    deformBilinearScatter(none, BASE, H, W, 1, 4, 2);
    expect(Array.from(none).every((v) => v === 0)).toBe(true);
  });
});
