import {
  ArgumentError,
  assertClose,
  createRng,
  ones,
  ResourceError,
  ShapeError,
  type Tensor,
  tensor,
} from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { loadGoldens } from '../../../tooling/goldens/load';
import { foreignTensor, plainTensor } from '../test/foreign-tensor';
import { dot, optionsOf, randomGeometry } from '../test/naive';
import { type Col2imOptions, col2im } from './col2im';
import { im2col } from './im2col';

const goldens = loadGoldens('im2col').cases.filter((c) => c.op === 'col2im');

describe('col2im against torch fold goldens', () => {
  it('has 1-D, 2-D and 3-D cases, and the adjoints of the padding modes', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(15);
    for (const dims of ['1d', '2d', '3d'])
      expect(goldens.some((c) => c.name.startsWith(`col2im${dims}`))).toBe(true);
    for (const mode of ['reflect', 'replicate', 'circular']) {
      expect(goldens.some((c) => c.options.paddingMode === mode)).toBe(true);
    }
  });

  for (const c of goldens) {
    const options = c.options as unknown as Col2imOptions;
    const { input, output } = c.tensors as { input: Tensor; output: Tensor };

    it(`${c.name}`, () => {
      const before = input.toFloat32Array();
      const folded = col2im(input, options);
      expect(folded.shape).toEqual(output.shape);
      assertClose(folded, output, { label: c.name });
      expect(input.toFloat32Array()).toEqual(before);
    });

    it(`${c.name} (channels-last result, transposed-view columns)`, () => {
      // Columns given as a non-contiguous view: the transpose of an [N, L, rows] buffer.
      const view = input.transpose(1, 2).contiguous().transpose(1, 2);
      const folded = col2im(view, { ...options, layout: 'channels-last' });
      const rank = output.rank;
      const expected = output.permute([0, ...output.shape.slice(2).map((_, i) => i + 2), 1]);
      expect(folded.shape).toEqual(expected.shape);
      assertClose(folded, expected, { label: c.name });
      expect(rank).toBe(folded.rank);
    });
  }
});

describe('col2im', () => {
  it('counts the windows covering each position: col2im(im2col(ones))', () => {
    const cover = col2im(im2col(ones([1, 1, 5]), { kernelSize: 3 }), { outputSize: [5], kernelSize: 3 });
    expect(Array.from(cover.toFloat32Array())).toEqual([1, 2, 3, 2, 1]);
    const cover2d = col2im(im2col(ones([1, 1, 3, 3]), { kernelSize: 2 }), {
      outputSize: [3, 3],
      kernelSize: 2,
    });
    expect(cover2d.toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('sends reflected reads back to the element they mirror', () => {
    // Reflect pads [x0, x1, x2] to [x1, x0, x1, x2, x1]; the windows read x0 twice, x1 five times, x2 twice.
    const cover = col2im(im2col(ones([1, 1, 3]), { kernelSize: 3, padding: 1, paddingMode: 'reflect' }), {
      outputSize: [3],
      kernelSize: 3,
      padding: 1,
      paddingMode: 'reflect',
    });
    expect(Array.from(cover.toFloat32Array())).toEqual([2, 5, 2]);
  });

  it('is the adjoint of im2col: <im2col(x), Y> = <x, col2im(Y)> for every padding mode', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 150; trial++) {
      const geometry = randomGeometry(rng);
      const options = optionsOf(geometry);
      const x = rng.uniformTensor(geometry.inputShape, -1, 1);
      const columns = im2col(x, options);
      const y = rng.uniformTensor(columns.shape, -1, 1);
      const folded = col2im(y, { ...options, outputSize: [...geometry.inputSpatial] });
      const left = dot(columns.toFloat32Array(), y.toFloat32Array());
      const right = dot(x.toFloat32Array(), folded.toFloat32Array());
      expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(left)));
    }
  });

  it('takes the number of spatial dims from the first per-dim option, else 2 as torch fold', () => {
    const rng = createRng(2);
    const columns = rng.uniformTensor([1, 4, 4]);
    expect(col2im(columns, { outputSize: 3, kernelSize: 2 }).shape).toEqual([1, 1, 3, 3]);
    expect(col2im(rng.uniformTensor([1, 4, 2]), { outputSize: 3, kernelSize: 2, stride: [1] }).shape).toEqual(
      [1, 2, 3],
    );
    expect(
      col2im(rng.uniformTensor([1, 8, 8]), { outputSize: 3, kernelSize: 2, padding: [0, 0, 0] }).shape,
    ).toEqual([1, 1, 3, 3, 3]);
  });

  it('accepts columns from another copy of @convkit/tensor, or a structural one', () => {
    const columns = createRng(4).uniformTensor([2, 25, 9]).permute([0, 2, 1]);
    const options: Col2imOptions = { outputSize: [5, 5], kernelSize: 3, padding: 1, paddingMode: 'circular' };
    const expected = col2im(columns, options);
    assertClose(col2im(foreignTensor(columns), options), expected);
    assertClose(col2im(plainTensor(columns), options), expected);
  });

  describe('refuses bad input with typed errors', () => {
    const columns = createRng(1).uniformTensor([2, 18, 9]);
    const options: Col2imOptions = { outputSize: [5, 5], kernelSize: 3 };
    it('an unknown option key, instead of ignoring it', () => {
      const misspelt = { ...options, padding: 1, padding_mode: 'reflect' } as Col2imOptions;
      expect(() => col2im(columns, misspelt)).toThrow(ArgumentError);
      expect(() => col2im(columns, misspelt)).toThrow(/^col2im: unknown option 'padding_mode'/);
      // Named even when it stands for a required key.
      expect(() =>
        col2im(columns, { output_size: [5, 5], kernelSize: 3 } as unknown as Col2imOptions),
      ).toThrow(/^col2im: unknown option 'output_size'/);
    });
    it('an output above the memory limit, with a ResourceError before allocating', () => {
      // One window of one column, spread over a 100000 x 100000 output.
      const huge: Col2imOptions = { outputSize: [1e5, 1e5], kernelSize: 1, stride: 1e5 };
      expect(() => col2im(tensor([1], [1, 1, 1]), huge)).toThrow(ResourceError);
      expect(() => col2im(tensor([1], [1, 1, 1]), huge)).toThrow(
        /^col2im: output \[1, 1, 100000, 100000\] needs/,
      );
    });
    it('per-dim lists that disagree on the number of dims, counted in words', () => {
      expect(() => col2im(columns, { outputSize: [5], kernelSize: [3, 3] })).toThrow(ArgumentError);
      expect(() => col2im(columns, { outputSize: [5], kernelSize: [3, 3] })).toThrow(
        /^col2im: kernelSize must be a positive integer or 1 of them \(one per spatial dim\), got \[3, 3\]$/,
      );
    });
    it('non-tensor columns, missing outputSize or kernelSize', () => {
      expect(() => col2im([1] as unknown as Tensor, options)).toThrow(ArgumentError);
      expect(() => col2im(columns, { kernelSize: 3 } as Col2imOptions)).toThrow(/outputSize/);
      expect(() => col2im(columns, { outputSize: [5, 5] } as unknown as Col2imOptions)).toThrow(
        /col2im: options.kernelSize is required/,
      );
    });
    it('columns of rank other than 3, with a hint for unbatched columns', () => {
      expect(() => col2im(columns.reshape([36, 9]), options)).toThrow(ShapeError);
      expect(() => col2im(columns.reshape([36, 9]), options)).toThrow(/unsqueeze\(0\)/);
    });
    it('rows that are not a multiple of prod(kernelSize)', () => {
      expect(() => col2im(tensor(new Array(20 * 9).fill(0), [1, 20, 9]), options)).toThrow(
        /col2im: columns dim 1 must be a positive multiple of prod\(kernelSize\) = 9 .* got 20/,
      );
    });
    it('a column count that does not match the sliding blocks', () => {
      expect(() => col2im(columns, { outputSize: [5, 6], kernelSize: 3 })).toThrow(
        /col2im: columns dim 2 must equal the number of sliding blocks 3 \* 4 = 12 for outputSize \[5, 6\], got 9/,
      );
    });
    it('per-dim options of different lengths, or too many dims', () => {
      expect(() => col2im(columns, { outputSize: [5, 5, 5], kernelSize: [3, 3] })).toThrow(
        /col2im: kernelSize must be a positive integer or 3 of them/,
      );
      expect(() => col2im(columns, { outputSize: [5, 5, 5, 5], kernelSize: 3 })).toThrow(
        /1 to 3 spatial dims/,
      );
    });
    it('padding too wide for a padding mode', () => {
      expect(() => col2im(columns, { ...options, padding: 5, paddingMode: 'reflect' })).toThrow(
        ArgumentError,
      );
    });
  });
});
