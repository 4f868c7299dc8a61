import { ArgumentError, ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import {
  DUMOULIN_VISIN_RELATIONSHIPS,
  dilatedConvolution,
  fullPadding,
  halfPadding,
  noPaddingNonUnitStrides,
  noPaddingUnitStrides,
  poolingOutputSize,
  transposedAsConvolution,
  transposedFullPadding,
  transposedHalfPadding,
  transposedNoPaddingNonUnitStrides,
  transposedNoPaddingUnitStrides,
  transposedRemainder,
  transposedZeroPaddingNonUnitStrides,
  transposedZeroPaddingNonUnitStridesWithA,
  transposedZeroPaddingUnitStrides,
  zeroPaddingNonUnitStrides,
  zeroPaddingUnitStrides,
} from './dumoulin-visin';

describe("Dumoulin & Visin, the 15 relationships with the paper's examples", () => {
  it('lists 15 relationships in order, each reproducing its example', () => {
    expect(DUMOULIN_VISIN_RELATIONSHIPS.map((r) => r.number)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    ]);
    for (const r of DUMOULIN_VISIN_RELATIONSHIPS)
      expect(r.compute(r.example.args), `relationship ${r.number}`).toBe(r.example.output);
  });

  it('1: o = (i - k) + 1; a 3x3 kernel over 4x4 gives 2x2', () => {
    expect(noPaddingUnitStrides({ inputSize: 4, kernelSize: 3 })).toBe(2);
  });

  it('2: o = (i - k) + 2p + 1; a 4x4 kernel over 5x5 padded by 2 gives 6x6', () => {
    expect(zeroPaddingUnitStrides({ inputSize: 5, kernelSize: 4, padding: 2 })).toBe(6);
  });

  it('3: half padding keeps the size for odd kernels (i = 5, k = 3)', () => {
    expect(halfPadding({ inputSize: 5, kernelSize: 3 })).toBe(5);
    expect(halfPadding({ inputSize: 9, kernelSize: 7 })).toBe(9);
    expect(() => halfPadding({ inputSize: 5, kernelSize: 4 })).toThrow(ArgumentError);
    expect(() => halfPadding({ inputSize: 5, kernelSize: 4 })).toThrow(
      'relationship 3 (half padding): half padding needs an odd kernel size (k = 2n + 1), got 4',
    );
  });

  it('4: full padding grows the size by k - 1 (i = 5, k = 3 gives 7)', () => {
    expect(fullPadding({ inputSize: 5, kernelSize: 3 })).toBe(7);
  });

  it('5: o = floor((i - k) / s) + 1 (i = 5, k = 3, s = 2 gives 2)', () => {
    expect(noPaddingNonUnitStrides({ inputSize: 5, kernelSize: 3, stride: 2 })).toBe(2);
  });

  it('6: o = floor((i + 2p - k) / s) + 1, and i = 5 and i = 6 share o = 3', () => {
    expect(zeroPaddingNonUnitStrides({ inputSize: 5, kernelSize: 3, stride: 2, padding: 1 })).toBe(3);
    expect(zeroPaddingNonUnitStrides({ inputSize: 6, kernelSize: 3, stride: 2, padding: 1 })).toBe(3);
  });

  it('7: pooling, 3x3 over 5x5 with unit strides gives 3x3', () => {
    expect(poolingOutputSize({ inputSize: 5, kernelSize: 3, stride: 1 })).toBe(3);
  });

  it("8-11: transposed unit-stride convolutions recover the direct convolution's input size", () => {
    // Each: the direct convolution's output i' goes back to its input i.
    const i8 = noPaddingUnitStrides({ inputSize: 4, kernelSize: 3 });
    expect(transposedNoPaddingUnitStrides({ inputSize: i8, kernelSize: 3 })).toBe(4);
    const i9 = zeroPaddingUnitStrides({ inputSize: 5, kernelSize: 4, padding: 2 });
    expect(i9).toBe(6);
    expect(transposedZeroPaddingUnitStrides({ inputSize: i9, kernelSize: 4, padding: 2 })).toBe(5);
    expect(
      transposedHalfPadding({ inputSize: halfPadding({ inputSize: 5, kernelSize: 3 }), kernelSize: 3 }),
    ).toBe(5);
    const i11 = fullPadding({ inputSize: 5, kernelSize: 3 });
    expect(i11).toBe(7);
    expect(transposedFullPadding({ inputSize: i11, kernelSize: 3 })).toBe(5);
    expect(() => transposedHalfPadding({ inputSize: 5, kernelSize: 2 })).toThrow(ArgumentError);
  });

  it('12-13: strided transposed convolutions (i - k, i + 2p - k multiples of s)', () => {
    expect(transposedNoPaddingNonUnitStrides({ inputSize: 2, kernelSize: 3, stride: 2 })).toBe(5);
    expect(transposedZeroPaddingNonUnitStrides({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1 })).toBe(
      5,
    );
  });

  it('14: a = (i + 2p - k) mod s tells i = 5 from i = 6', () => {
    expect(transposedRemainder({ inputSize: 6, kernelSize: 3, stride: 2, padding: 1 })).toBe(1);
    expect(transposedRemainder({ inputSize: 5, kernelSize: 3, stride: 2, padding: 1 })).toBe(0);
    expect(
      transposedZeroPaddingNonUnitStridesWithA({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 1 }),
    ).toBe(6);
    expect(
      transposedZeroPaddingNonUnitStridesWithA({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 0 }),
    ).toBe(5);
    expect(() =>
      transposedZeroPaddingNonUnitStridesWithA({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 2 }),
    ).toThrow(
      'relationship 14 (zero padding, non-unit strides, transposed, with a): a must be an integer in {0, ..., s - 1} = {0, ..., 1}, got 2',
    );
  });

  it('14 round trip: for every i, k, s, p the transpose with a gives i back', () => {
    for (let i = 3; i <= 12; i++) {
      for (let k = 1; k <= 4; k++) {
        for (let s = 1; s <= 3; s++) {
          for (let p = 0; p < k; p++) {
            if (i + 2 * p < k) continue;
            const o = zeroPaddingNonUnitStrides({ inputSize: i, kernelSize: k, stride: s, padding: p });
            const a = transposedRemainder({ inputSize: i, kernelSize: k, stride: s, padding: p });
            expect(
              transposedZeroPaddingNonUnitStridesWithA({
                inputSize: o,
                kernelSize: k,
                stride: s,
                padding: p,
                a,
              }),
            ).toBe(i);
          }
        }
      }
    }
  });

  it('15: dilation d widens a k kernel to k + (k - 1)(d - 1) (i = 7, k = 3, d = 2 gives 3)', () => {
    expect(dilatedConvolution({ inputSize: 7, kernelSize: 3, dilation: 2 })).toBe(3);
    expect(dilatedConvolution({ inputSize: 7, kernelSize: 3, dilation: 2, padding: 2, stride: 2 })).toBe(4);
    expect(() => dilatedConvolution({ inputSize: 4, kernelSize: 3, dilation: 2 })).toThrow(ShapeError);
  });

  it('each transposed convolution equals a direct one over the stretched, padded input (section 4)', () => {
    const cases = [
      { args: { inputSize: 2, kernelSize: 3, stride: 1, padding: 0, a: 0 }, stretched: 2, pad: 2, out: 4 },
      { args: { inputSize: 6, kernelSize: 4, stride: 1, padding: 2, a: 0 }, stretched: 6, pad: 1, out: 5 },
      { args: { inputSize: 7, kernelSize: 3, stride: 1, padding: 2, a: 0 }, stretched: 7, pad: 0, out: 5 },
      { args: { inputSize: 2, kernelSize: 3, stride: 2, padding: 0, a: 0 }, stretched: 3, pad: 2, out: 5 },
      { args: { inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 0 }, stretched: 5, pad: 1, out: 5 },
      { args: { inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 1 }, stretched: 5, pad: 1, out: 6 },
    ];
    for (const { args, stretched, pad, out } of cases) {
      const equivalent = transposedAsConvolution(args);
      expect(equivalent).toEqual({
        stretchedInputSize: stretched,
        kernelSize: args.kernelSize,
        stride: 1,
        padBefore: pad,
        padAfter: pad + args.a,
        outputSize: out,
      });
      expect(transposedZeroPaddingNonUnitStridesWithA(args)).toBe(out);
    }
    expect(() =>
      transposedAsConvolution({ inputSize: 3, kernelSize: 3, stride: 2, padding: 3, a: 0 }),
    ).toThrow(
      'transposedAsConvolution: padding must be an integer in [0, k - 1] = [0, 2] for the equivalent convolution to pad, got 3',
    );
    expect(() =>
      transposedAsConvolution({ inputSize: 0, kernelSize: 3, stride: 2, padding: 1, a: 0 }),
    ).toThrow(ArgumentError);
    expect(() =>
      transposedAsConvolution({ inputSize: 3, kernelSize: 3, stride: 2, padding: 1, a: 3 }),
    ).toThrow(ArgumentError);
  });

  it('refuses sizes convGeometry refuses, naming the relationship', () => {
    expect(() => noPaddingUnitStrides({ inputSize: 2, kernelSize: 3 })).toThrow(
      'relationship 1 (no zero padding, unit strides): output would be empty in spatial dim 0',
    );
    expect(() => noPaddingNonUnitStrides({ inputSize: 5, kernelSize: 3, stride: 0 })).toThrow(ArgumentError);
    expect(() => transposedFullPadding({ inputSize: 2, kernelSize: 3 })).toThrow(
      'relationship 11 (full padding, transposed): output would be empty',
    );
  });
});
