import {
  ArgumentError,
  assertClose,
  convGeometryFromShapes,
  createRng,
  ResourceError,
  ShapeError,
  type Tensor,
  tensor,
} from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { loadGoldens } from '../../../tooling/goldens/load';
import { foreignTensor, plainTensor } from '../test/foreign-tensor';
import { applyPerSample, naiveConv, randomGeometry, sparseMatVec } from '../test/naive';
import { type ConvMatrixOptions, convMatrix } from './conv-matrix';
import { DEFAULT_MAX_MATRIX_ELEMENTS } from './matrix-args';

describe('convMatrix', () => {
  it('is the 4 x 9 matrix of a 2x2 kernel on a 3x3 input (TOPICS item 6)', () => {
    const weight = tensor([1, 2, 3, 4], [1, 1, 2, 2]); // w11 w12 / w21 w22
    const c = convMatrix(weight, [3, 3]);
    expect(c.shape).toEqual([4, 9]);
    expect(c.toArray()).toEqual([
      [1, 2, 0, 3, 4, 0, 0, 0, 0],
      [0, 1, 2, 0, 3, 4, 0, 0, 0],
      [0, 0, 0, 1, 2, 0, 3, 4, 0],
      [0, 0, 0, 0, 1, 2, 0, 3, 4],
    ]);
  });

  it('folds reflected reads into C: several taps can land on one input', () => {
    // 1-D, k=3 [a, b, c], reflect padding 1 on 3 inputs: the padded row is [x1, x0, x1, x2, x1].
    const c = convMatrix(tensor([1, 10, 100], [1, 1, 3]), [3], { padding: 1, paddingMode: 'reflect' });
    expect(c.toArray()).toEqual([
      [10, 101, 0],
      [1, 10, 100],
      [0, 101, 10],
    ]);
  });

  it('gives y = C x on random geometries (1-3-D, groups, every padding form and mode)', () => {
    const rng = createRng(13);
    for (let trial = 0; trial < 80; trial++) {
      const geometry = randomGeometry(rng, { maxGroups: 3, batch: 1 });
      const weight = rng.uniformTensor(geometry.weightShape, -1, 1);
      const x = rng.uniformTensor(geometry.inputShape, -1, 1);
      const options: ConvMatrixOptions = {
        stride: [...geometry.stride],
        dilation: [...geometry.dilation],
        padding: geometry.padBefore.map((b, d) => [b, geometry.padAfter[d]!] as [number, number]),
        groups: geometry.groups,
        paddingMode: geometry.paddingMode,
      };
      const c = convMatrix(weight, geometry.inputSpatial, options);
      expect(c.shape).toEqual([
        geometry.outChannels * geometry.outputVolume,
        geometry.inChannels * geometry.inputVolume,
      ]);
      assertClose(sparseMatVec(c, x.toFloat32Array()), naiveConv(x, weight, geometry), {
        label: `trial ${trial}`,
      });
    }
  });

  it('flattens channels-last when asked: a permutation of the rows and columns', () => {
    const rng = createRng(4);
    const weight = rng.uniformTensor([4, 1, 3, 2]);
    const first = convMatrix(weight, [3, 4], { groups: 2, padding: 1 });
    const last = convMatrix(weight, [3, 4], { groups: 2, padding: 1, layout: 'channels-last' });
    // first: [4 channels * 3*5 positions, 2 * 12]; last indexes position * C + channel.
    for (let co = 0; co < 4; co++) {
      for (let o = 0; o < 15; o++) {
        for (let ci = 0; ci < 2; ci++) {
          for (let s = 0; s < 12; s++)
            expect(last.get(o * 4 + co, s * 2 + ci)).toBe(first.get(co * 15 + o, ci * 12 + s));
        }
      }
    }
  });

  describe('against the convolution goldens (tooling/goldens/conv.json)', () => {
    const cases = loadGoldens('conv').cases.filter((c) => c.op === 'conv');
    it('has 1-D, 2-D and 3-D cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(50);
      for (const rank of [3, 4, 5]) expect(cases.some((c) => c.tensors.weight!.rank === rank)).toBe(true);
    });
    for (const c of cases) {
      it(`${c.name}: y = C x + b`, () => {
        const { input, weight, bias, output } = c.tensors as Record<string, Tensor>;
        const options = c.options as ConvMatrixOptions;
        const geometry = convGeometryFromShapes({
          inputShape: input!.shape,
          weightShape: weight!.shape,
          ...options,
        });
        const matrix = convMatrix(weight!, geometry.inputSpatial, options);
        assertClose(applyPerSample(matrix, input!, bias, geometry.outChannels), output!, { label: c.name });
      });
    }
  });

  it('accepts a weight from another copy of @convkit/tensor, or a structural one', () => {
    const weight = createRng(5).uniformTensor([4, 3, 2, 3]).permute([0, 1, 3, 2]);
    const options: ConvMatrixOptions = { padding: 1, paddingMode: 'replicate' };
    const expected = convMatrix(weight, [4, 5], options);
    assertClose(convMatrix(foreignTensor(weight), [4, 5], options), expected);
    assertClose(convMatrix(plainTensor(weight), [4, 5], options), expected);
  });

  describe('refuses bad input with typed errors', () => {
    const weight = createRng(1).uniformTensor([4, 2, 3, 3]);
    // 64 channels of 64x64: [262144, 262144] would be 256 GiB.
    const big = createRng(2).uniformTensor([64, 64, 3, 3]);
    it('an unknown option key, instead of ignoring it (outputPadding is convTransposeMatrix only)', () => {
      const transposeOnly = { outputPadding: 1 } as ConvMatrixOptions;
      expect(() => convMatrix(weight, [5, 5], transposeOnly)).toThrow(ArgumentError);
      expect(() => convMatrix(weight, [5, 5], transposeOnly)).toThrow(
        /^convMatrix: unknown option 'outputPadding'; the options are 'stride', 'padding',/,
      );
      expect(() => convMatrix(weight, [5, 5], { padding_mode: 'reflect' } as ConvMatrixOptions)).toThrow(
        /unknown option 'padding_mode'/,
      );
      // The null rule: null options mean no options.
      expect(convMatrix(weight, [5, 5], null as unknown as ConvMatrixOptions).shape).toEqual([36, 50]);
      // The ConvOptions of the convolution ops fit, algorithm included.
      expect(convMatrix(weight, [5, 5], { algorithm: 'im2col', bias: null }).shape).toEqual([36, 50]);
    });
    it('a matrix above the memory limit even when maxElements allows it', () => {
      const unlimited = { padding: 1, maxElements: Number.POSITIVE_INFINITY };
      expect(() => convMatrix(big, [64, 64], unlimited)).toThrow(ResourceError);
      expect(() => convMatrix(big, [64, 64], unlimited)).toThrow(
        /^convMatrix: the matrix \[262144, 262144\] needs .* above the memory limit of 2\.0 GiB per buffer/,
      );
    });
    it('bad arguments before sizes: a bad layout on a size above the cap is an ArgumentError', () => {
      const badLayout = { padding: 1, layout: 'nhwc' as 'channels-last' };
      expect(() => convMatrix(big, [64, 64], badLayout)).toThrow(ArgumentError);
      expect(() => convMatrix(big, [64, 64], badLayout)).toThrow(/^convMatrix: layout must be/);
      expect(() => convMatrix(big, [64, 64], { padding: 1, stride: 0 })).toThrow(ArgumentError);
      expect(() => convMatrix(big, [64, 64], { padding: 1, maxElements: -1 })).toThrow(ArgumentError);
    });
    it('per-dim lists of the wrong length, counted in words', () => {
      const weight1d = createRng(3).uniformTensor([2, 2, 3]);
      expect(() => convMatrix(weight1d, [5, 5])).toThrow(
        /^convMatrix: inputSpatial must list 1 size \(one per kernel dim of weight \[2, 2, 3\]\), got \[5, 5\]$/,
      );
      expect(() => convMatrix(weight1d, [5], { dilation: [1, 1] })).toThrow(
        /^convMatrix: dilation must be a positive integer or 1 of them \(one per spatial dim\), got \[1, 1\]$/,
      );
    });
    it('a matrix above maxElements, naming its size', () => {
      expect(() => convMatrix(weight, [5, 5], { maxElements: 100 })).toThrow(ResourceError);
      expect(() => convMatrix(weight, [5, 5], { maxElements: 100 })).toThrow(
        /^convMatrix: the matrix would be \[36, 50\] = 1800 elements \(0\.0 MiB\), above maxElements = 100/,
      );
      // Refused before any allocation.
      expect(() => convMatrix(big, [64, 64], { padding: 1 })).toThrow(/above maxElements = 16777216/);
      expect(DEFAULT_MAX_MATRIX_ELEMENTS).toBe(2 ** 24);
    });
    it('an inputSpatial that does not match the kernel dims', () => {
      expect(() => convMatrix(weight, [5])).toThrow(ShapeError);
      expect(() => convMatrix(weight, [5])).toThrow(
        /inputSpatial must list 2 sizes \(one per kernel dim of weight \[4, 2, 3, 3\]\), got \[5\]/,
      );
    });
    it('a weight of the wrong rank or type', () => {
      expect(() => convMatrix(weight.reshape([72]), [5])).toThrow(/weight must have rank 3, 4 or 5/);
      expect(() => convMatrix({} as Tensor, [5, 5])).toThrow(ArgumentError);
    });
    it('groups that do not divide the channels, and bad hyper-parameters', () => {
      expect(() => convMatrix(weight, [5, 5], { groups: 3 })).toThrow(
        /groups=3 must divide the 4 output channels/,
      );
      expect(() => convMatrix(weight, [5, 5], { stride: 0 })).toThrow(
        /convMatrix: stride must be a positive integer or 2 of them/,
      );
      expect(() => convMatrix(weight, [2, 5])).toThrow(/convMatrix: output would be empty/);
      expect(() => convMatrix(weight, [5, 5], { layout: 'nhwc' as 'channels-last' })).toThrow(
        /layout must be/,
      );
      expect(() => convMatrix(weight, [5, 5], { maxElements: -1 })).toThrow(/maxElements/);
    });
    it('a bias, which is not linear', () => {
      expect(() => convMatrix(weight, [5, 5], { bias: tensor([1, 2, 3, 4], [4]) })).toThrow(
        /bias is not part of the matrix/,
      );
      expect(convMatrix(weight, [5, 5], { bias: null }).shape).toEqual([36, 50]);
    });
  });
});
