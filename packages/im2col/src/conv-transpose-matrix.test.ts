import {
  ArgumentError,
  assertClose,
  type ConvGeometry,
  ConvkitError,
  convGeometry,
  convGeometryFromShapes,
  createRng,
  ResourceError,
  type Rng,
  type Tensor,
  tensor,
  UnsupportedError,
} from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { loadGoldens } from '../../../tooling/goldens/load';
import { foreignTensor, plainTensor } from '../test/foreign-tensor';
import { applyPerSample, naiveConvTranspose, sparseMatVec } from '../test/naive';
import { convMatrix } from './conv-matrix';
import { type ConvTransposeMatrixOptions, convTransposeMatrix } from './conv-transpose-matrix';

/** A valid random transposed-convolution geometry, outputPadding included. */
function randomTransposed(rng: Rng): ConvGeometry {
  for (;;) {
    const dims = rng.int(1, 3);
    const per = (low: number, high: number) => Array.from({ length: dims }, () => rng.int(low, high));
    const groups = rng.int(1, 2);
    const stride = per(1, 3);
    const dilation = per(1, 2);
    try {
      return convGeometry({
        transposed: true,
        inChannels: groups * rng.int(1, 2),
        outChannels: groups * rng.int(1, 2),
        groups,
        inputSpatial: per(1, dims === 3 ? 3 : 4),
        kernelSize: per(1, 3),
        stride,
        dilation,
        padding: Array.from({ length: dims }, () => [rng.int(0, 2), rng.int(0, 2)] as [number, number]),
        outputPadding: stride.map((s, d) => rng.int(0, Math.max(s, dilation[d]!) - 1)),
      });
    } catch (error) {
      if (!ConvkitError.isInstance(error)) throw error;
    }
  }
}

function optionsOf(geometry: ConvGeometry): ConvTransposeMatrixOptions {
  return {
    stride: [...geometry.stride],
    dilation: [...geometry.dilation],
    padding: geometry.padBefore.map((b, d) => [b, geometry.padAfter[d]!] as [number, number]),
    outputPadding: [...geometry.outputPadding],
    groups: geometry.groups,
  };
}

/** The transpose of a row-major [rows, cols] matrix. */
function transposeOf(matrix: Tensor): Float32Array {
  return matrix.transpose(0, 1).toFloat32Array();
}

describe('convTransposeMatrix', () => {
  it('is C^T for the 2x2 kernel on 3x3 of TOPICS item 6: 2x2 -> 3x3', () => {
    const weight = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const t = convTransposeMatrix(weight, [2, 2]);
    expect(t.shape).toEqual([9, 4]);
    expect(t.toFloat32Array()).toEqual(transposeOf(convMatrix(weight, [3, 3])));
  });

  it('equals convMatrix(...)^T of the matching convolution on random geometries', () => {
    const rng = createRng(17);
    let compared = 0;
    for (let trial = 0; trial < 120; trial++) {
      const geometry = randomTransposed(rng);
      const weight = rng.uniformTensor(geometry.weightShape, -1, 1);
      const options = optionsOf(geometry);
      const t = convTransposeMatrix(weight, geometry.inputSpatial, options);
      const { outputPadding: _, ...forward } = options;
      const c = convMatrix(weight, geometry.outputSpatial, forward);
      // The convolution from the transposed output back has the transposed input's size
      // unless outputPadding >= stride (possible with dilation); then C has extra rows.
      if (c.shape[0] !== t.shape[1]) continue;
      expect(t.toFloat32Array()).toEqual(transposeOf(c));
      compared++;
    }
    expect(compared).toBeGreaterThan(80);
  });

  it("gives x' = T y on random geometries, outputPadding included", () => {
    const rng = createRng(19);
    for (let trial = 0; trial < 80; trial++) {
      const geometry = randomTransposed(rng);
      const weight = rng.uniformTensor(geometry.weightShape, -1, 1);
      const y = rng.uniformTensor(geometry.inputShape, -1, 1);
      const t = convTransposeMatrix(weight, geometry.inputSpatial, optionsOf(geometry));
      assertClose(sparseMatVec(t, y.toFloat32Array()), naiveConvTranspose(y, weight, geometry), {
        label: `trial ${trial}`,
      });
    }
  });

  describe('against the transposed-convolution goldens (tooling/goldens/conv-transpose.json)', () => {
    const cases = loadGoldens('conv-transpose').cases.filter((c) => c.op === 'convTranspose');
    it('has 1-D, 2-D and 3-D cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(30);
      for (const rank of [3, 4, 5]) expect(cases.some((c) => c.tensors.weight!.rank === rank)).toBe(true);
    });
    for (const c of cases) {
      it(`${c.name}: x' = C^T y + b`, () => {
        const { input, weight, bias, output } = c.tensors as Record<string, Tensor>;
        const options = c.options as ConvTransposeMatrixOptions;
        const geometry = convGeometryFromShapes({
          transposed: true,
          inputShape: input!.shape,
          weightShape: weight!.shape,
          ...options,
        });
        const t = convTransposeMatrix(weight!, geometry.inputSpatial, options);
        assertClose(applyPerSample(t, input!, bias, geometry.outChannels), output!, { label: c.name });
        // The same through the convolution's own matrix, transposed, where its sizes match.
        const { outputPadding: _, ...forward } = options;
        const matrix = convMatrix(weight!, geometry.outputSpatial, forward);
        if (matrix.shape[0] === t.shape[1]) {
          assertClose(applyPerSample(matrix, input!, bias, geometry.outChannels, true), output!, {
            label: `${c.name} via C^T`,
          });
        } else {
          // Only outputPadding >= stride (with dilation) makes the sizes differ.
          expect(geometry.outputPadding.some((p, d) => p >= geometry.stride[d]!)).toBe(true);
        }
      });
    }
    it('leaves few cases to T alone (outputPadding >= stride, where C has extra rows)', () => {
      const onlyT = cases.filter((c) => {
        const g = convGeometryFromShapes({
          transposed: true,
          inputShape: c.tensors.input!.shape,
          weightShape: c.tensors.weight!.shape,
          ...c.options,
        });
        return g.outputPadding.some((p, d) => p >= g.stride[d]!);
      });
      expect(onlyT.length).toBeLessThanOrEqual(4);
    });
  });

  it('accepts a weight from another copy of @convkit/tensor, or a structural one', () => {
    const weight = createRng(6).uniformTensor([4, 3, 3, 2]).permute([0, 1, 3, 2]);
    const options: ConvTransposeMatrixOptions = { stride: 2, padding: 1, outputPadding: 1 };
    const expected = convTransposeMatrix(weight, [3, 4], options);
    assertClose(convTransposeMatrix(foreignTensor(weight), [3, 4], options), expected);
    assertClose(convTransposeMatrix(plainTensor(weight), [3, 4], options), expected);
  });

  describe('refuses bad input with typed errors', () => {
    const weight = createRng(1).uniformTensor([4, 2, 3, 3]);
    // [64 * 66 * 66, 64 * 64 * 64] would be 272 GiB.
    const big = createRng(2).uniformTensor([64, 64, 3, 3]);
    it('a padding mode other than zeros, as convTranspose does, instead of ignoring it', () => {
      const reflect = { paddingMode: 'reflect' } as unknown as ConvTransposeMatrixOptions;
      expect(() => convTransposeMatrix(weight, [5, 5], reflect)).toThrow(UnsupportedError);
      expect(() => convTransposeMatrix(weight, [5, 5], reflect)).toThrow(
        /^convTransposeMatrix: paddingMode 'reflect' is not defined for transposed convolution/,
      );
      assertClose(
        convTransposeMatrix(weight, [5, 5], { paddingMode: 'zeros' }),
        convTransposeMatrix(weight, [5, 5]),
      );
    });
    it('an unknown option key, instead of ignoring it', () => {
      const misspelt = { output_padding: 1 } as ConvTransposeMatrixOptions;
      expect(() => convTransposeMatrix(weight, [5, 5], misspelt)).toThrow(ArgumentError);
      expect(() => convTransposeMatrix(weight, [5, 5], misspelt)).toThrow(
        /^convTransposeMatrix: unknown option 'output_padding'; the options are 'stride', 'padding', 'outputPadding',/,
      );
      expect(convTransposeMatrix(weight, [5, 5], { algorithm: 'direct', bias: null }).shape).toEqual([
        98, 100,
      ]);
    });
    it('a matrix above the memory limit even when maxElements allows it', () => {
      const unlimited = { maxElements: Number.POSITIVE_INFINITY };
      expect(() => convTransposeMatrix(big, [64, 64], unlimited)).toThrow(ResourceError);
      expect(() => convTransposeMatrix(big, [64, 64], unlimited)).toThrow(
        /^convTransposeMatrix: the matrix \[278784, 262144\] needs .* above the memory limit of 2\.0 GiB per buffer/,
      );
    });
    it('bad arguments before sizes: a bad layout on a size above the cap is an ArgumentError', () => {
      const badLayout = { layout: 'nhwc' as 'channels-last' };
      expect(() => convTransposeMatrix(big, [64, 64], badLayout)).toThrow(ArgumentError);
      expect(() => convTransposeMatrix(big, [64, 64], badLayout)).toThrow(
        /^convTransposeMatrix: layout must be/,
      );
    });
    it('per-dim lists of the wrong length, counted in words', () => {
      const weight1d = createRng(3).uniformTensor([2, 2, 3]);
      expect(() => convTransposeMatrix(weight1d, [5], { stride: 2, outputPadding: [1, 1] })).toThrow(
        /^convTransposeMatrix: outputPadding must be a non-negative integer or 1 of them \(one per spatial dim\), got \[1, 1\]$/,
      );
    });
    it('a matrix above maxElements', () => {
      expect(() => convTransposeMatrix(weight, [5, 5], { maxElements: 1000 })).toThrow(ResourceError);
      expect(() => convTransposeMatrix(weight, [5, 5], { maxElements: 1000 })).toThrow(
        /^convTransposeMatrix: the matrix would be \[98, 100\] = 9800 elements/,
      );
    });
    it('bad options from the transposed geometry', () => {
      expect(() => convTransposeMatrix(weight, [5, 5], { outputPadding: 1 })).toThrow(
        /outputPadding 1 in spatial dim 0 must be smaller than max\(stride, dilation\) = 1/,
      );
      expect(() => convTransposeMatrix(weight, [5, 5], { padding: 'same' as 'valid' })).toThrow(
        UnsupportedError,
      );
      expect(() => convTransposeMatrix(weight, [5, 5], { groups: 3 })).toThrow(
        /groups=3 must divide the 4 input channels/,
      );
      expect(() => convTransposeMatrix(weight, [5, 5, 5])).toThrow(/inputSpatial must list 2 sizes/);
      expect(() => convTransposeMatrix(weight, [5, 5], { bias: tensor([1], [1]) })).toThrow(
        /bias is not part of the matrix/,
      );
    });
  });
});
