import {
  ArgumentError,
  arange,
  assertClose,
  convGeometry,
  createRng,
  ResourceError,
  ShapeError,
  Tensor,
  tensor,
} from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { loadGoldens } from '../../../tooling/goldens/load';
import { foreignTensor, plainTensor } from '../test/foreign-tensor';
import { naiveUnfold, optionsOf, randomGeometry } from '../test/naive';
import { type Im2colOptions, im2col } from './im2col';

const goldens = loadGoldens('im2col').cases.filter((c) => c.op === 'im2col');
const exact = { atol: 0, rtol: 0 };

/** [N, C, ...s] channels-first -> a contiguous [N, ...s, C] copy. */
function toChannelsLast(x: Tensor): Tensor {
  const order = [0, ...x.shape.slice(2).map((_, i) => i + 2), 1];
  return x.permute(order).contiguous();
}

describe('im2col against torch unfold goldens', () => {
  it('has 1-D, 2-D and 3-D cases with every padding mode', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(25);
    for (const dims of ['1d', '2d', '3d'])
      expect(goldens.some((c) => c.name.startsWith(`im2col${dims}`))).toBe(true);
    for (const mode of ['reflect', 'replicate', 'circular']) {
      expect(goldens.some((c) => c.options.paddingMode === mode)).toBe(true);
    }
  });

  for (const c of goldens) {
    const options = c.options as unknown as Im2colOptions;
    const { input, output } = c.tensors as { input: Tensor; output: Tensor };

    it(`${c.name}`, () => {
      const before = input.toFloat32Array();
      const columns = im2col(input, options);
      expect(columns.shape).toEqual(output.shape);
      assertClose(columns, output, { ...exact, label: c.name });
      expect(input.toFloat32Array()).toEqual(before);
    });

    it(`${c.name} (channels-last input)`, () => {
      const columns = im2col(toChannelsLast(input), { ...options, layout: 'channels-last' });
      assertClose(columns, output, { ...exact, label: c.name });
    });

    it(`${c.name} (strided view input)`, () => {
      // A channels-first view over channels-last storage: read in place, strides and all.
      const view = toChannelsLast(input).permute([
        0,
        input.rank - 1,
        ...input.shape.slice(2).map((_, i) => i + 1),
      ]);
      expect(view.isContiguous).toBe(input.shape[1] === 1);
      assertClose(im2col(view, options), output, { ...exact, label: c.name });
    });
  }
});

describe('im2col', () => {
  it('unfolds a 3x3 input with a 2x2 kernel into 4 columns of 4 taps', () => {
    const x = arange(1, 10).reshape([1, 1, 3, 3]);
    const columns = im2col(x, { kernelSize: 2 });
    expect(columns.shape).toEqual([1, 4, 4]);
    // Rows are the taps (0,0), (0,1), (1,0), (1,1); columns the 4 output positions.
    expect(columns.toArray()).toEqual([
      [
        [1, 2, 4, 5],
        [2, 3, 5, 6],
        [4, 5, 7, 8],
        [5, 6, 8, 9],
      ],
    ]);
  });

  it('orders rows channel-major, then kernel taps in C order (1-D, two channels)', () => {
    const x = tensor([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 4]);
    const columns = im2col(x, { kernelSize: 3, padding: 1, paddingMode: 'reflect' });
    // Reflect pads [1,2,3,4] to [2,1,2,3,4,3].
    expect(columns.toArray()).toEqual([
      [
        [2, 1, 2, 3],
        [1, 2, 3, 4],
        [2, 3, 4, 3],
        [20, 10, 20, 30],
        [10, 20, 30, 40],
        [20, 30, 40, 30],
      ],
    ]);
  });

  it('matches a naive unfold on random geometries (1-3-D, every padding form and mode)', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 120; trial++) {
      const geometry = randomGeometry(rng);
      const x = rng.uniformTensor(geometry.inputShape, -1, 1);
      const columns = im2col(x, optionsOf(geometry));
      expect(columns.shape).toEqual([
        geometry.batch,
        geometry.inChannels * geometry.kernelVolume,
        geometry.outputVolume,
      ]);
      assertClose(columns, naiveUnfold(x, geometry), { ...exact, label: `trial ${trial}` });
    }
  });

  it('resolves padding the way convGeometry does (same, valid, pairs)', () => {
    const rng = createRng(3);
    const x = rng.uniformTensor([1, 2, 5, 7]);
    for (const padding of [
      'same',
      'valid',
      [
        [0, 2],
        [1, 0],
      ],
      [1, 2],
      1,
    ] as const) {
      const geometry = convGeometry({
        inChannels: 2,
        outChannels: 1,
        inputSpatial: [5, 7],
        kernelSize: [2, 3],
        stride: 2,
        padding,
      });
      assertClose(im2col(x, { kernelSize: [2, 3], stride: 2, padding }), naiveUnfold(x, geometry), exact);
    }
  });

  it('accepts a tensor from another copy of @convkit/tensor, or a structural one', () => {
    const x = createRng(3).uniformTensor([2, 3, 5, 4]).permute([0, 1, 3, 2]);
    const options: Im2colOptions = { kernelSize: 2, padding: 1, paddingMode: 'reflect' };
    const expected = im2col(x, options);
    assertClose(im2col(foreignTensor(x), options), expected);
    assertClose(im2col(plainTensor(x), options), expected);
  });

  it('handles an empty batch', () => {
    const columns = im2col(new Tensor(new Float32Array(0), [0, 3, 4, 4]), { kernelSize: 3 });
    expect(columns.shape).toEqual([0, 27, 4]);
  });

  describe('refuses bad input with typed errors', () => {
    const x = createRng(1).uniformTensor([1, 2, 4, 4]);
    it('a non-tensor input or missing options', () => {
      expect(() => im2col([1, 2, 3] as unknown as Tensor, { kernelSize: 2 })).toThrow(ArgumentError);
      expect(() => im2col(x, undefined as unknown as Im2colOptions)).toThrow(/kernelSize/);
      expect(() => im2col(x, {} as Im2colOptions)).toThrow(/im2col: options.kernelSize is required/);
    });
    it('an unknown option key, instead of ignoring it', () => {
      const misspelt = { kernelSize: 2, padding: 1, padding_mode: 'reflect' } as Im2colOptions;
      expect(() => im2col(x, misspelt)).toThrow(ArgumentError);
      expect(() => im2col(x, misspelt)).toThrow(/^im2col: unknown option 'padding_mode'; the options are/);
      expect(() => im2col(x, { kernel_size: 2 } as unknown as Im2colOptions)).toThrow(
        /unknown option 'kernel_size'/,
      );
      // An undefined value is the same as leaving the key out.
      expect(im2col(x, { kernelSize: 2, groups: undefined } as Im2colOptions).shape).toEqual([1, 8, 9]);
    });
    it('columns above the memory limit, with a ResourceError before allocating', () => {
      expect(() => im2col(x, { kernelSize: 1, padding: 1e5 })).toThrow(ResourceError);
      expect(() => im2col(x, { kernelSize: 1, padding: 1e5 })).toThrow(
        /^im2col: columns \[1, 2, 40001600016\] needs/,
      );
    });
    it('per-dim lists of the wrong length, counted in words', () => {
      const x1 = createRng(2).uniformTensor([1, 2, 6]);
      expect(() => im2col(x1, { kernelSize: 2, stride: [1, 1] })).toThrow(
        /^im2col: stride must be a positive integer or 1 of them \(one per spatial dim\), got \[1, 1\]$/,
      );
      expect(() => im2col(x1, { kernelSize: 2, padding: [[1, 1]] })).not.toThrow();
      expect(() => im2col(x, { kernelSize: 2, padding: [[1, 1]] })).toThrow(
        /^im2col: padding must be a non-negative integer, 2 of them \(one per spatial dim\), 2 \[before, after\] pairs, 'same' or 'valid', got \[\[1, 1\]\]$/,
      );
      expect(() => im2col(x, { kernelSize: [2] })).toThrow(/kernelSize \[2\] has 1 dim but input/);
      expect(() => im2col(x1, { kernelSize: [2, 2] })).toThrow(
        /has 2 dims but input \[1, 2, 6\] has 1 spatial dim \(/,
      );
    });
    it('a rank outside 3-5, with a hint for an unbatched input', () => {
      expect(() => im2col(x.reshape([2, 16]), { kernelSize: 2 })).toThrow(ShapeError);
      expect(() => im2col(x.reshape([2, 16]), { kernelSize: 2 })).toThrow(/unsqueeze\(0\)/);
      expect(() => im2col(x.reshape([1, 1, 1, 2, 4, 4]), { kernelSize: 2 })).toThrow(/rank 3, 4 or 5/);
    });
    it('a kernel with the wrong number of dims', () => {
      expect(() => im2col(x, { kernelSize: [2, 2, 2] })).toThrow(
        /kernelSize \[2, 2, 2\] has 3 dims but input \[1, 2, 4, 4\] has 2/,
      );
    });
    it('a kernel wider than the padded input', () => {
      expect(() => im2col(x, { kernelSize: 5 })).toThrow(ShapeError);
      expect(() => im2col(x, { kernelSize: 5 })).toThrow(/^im2col: output would be empty/);
    });
    it('bad hyper-parameters', () => {
      expect(() => im2col(x, { kernelSize: 2, stride: 0 })).toThrow(ArgumentError);
      expect(() => im2col(x, { kernelSize: 2, padding: -1 })).toThrow(ArgumentError);
      expect(() => im2col(x, { kernelSize: 2, padding: 4, paddingMode: 'reflect' })).toThrow(/reflect/);
      expect(() => im2col(x, { kernelSize: 2, paddingMode: 'mirror' as 'reflect' })).toThrow(/paddingMode/);
    });
    it('an input without channels', () => {
      expect(() => im2col(new Tensor(new Float32Array(0), [1, 0, 4, 4]), { kernelSize: 2 })).toThrow(
        /no channels/,
      );
    });
  });
});
