import { afterEach, describe, expect, it } from 'vitest';
import {
  CONV_OPTION_KEYS,
  checkBias,
  checkGradOutput,
  DEFORM_CONV_OPTION_KEYS,
  opNameForWeight,
  resolveConvCall,
  resolveConvTransposeCall,
  resolveDeformConvCall,
} from './conv-call';
import { ArgumentError, ResourceError, ShapeError, UnsupportedError } from './errors';
import { DEFAULT_MEMORY_LIMIT, setMemoryLimit } from './memory-limit';
import { Tensor, tensor, zeros } from './tensor';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

/** What another copy of @convkit/tensor would hand over: the same fields, another class. */
function foreign(t: Tensor, overrides: Record<string, unknown> = {}): Tensor {
  return Object.assign(
    Object.create({ permute: t.permute, contiguous: t.contiguous, toFloat32Array: t.toFloat32Array }),
    { data: t.data, shape: [...t.shape], strides: [...t.strides], offset: t.offset, ...overrides },
  ) as Tensor;
}

describe('resolveConvCall', () => {
  const x = zeros([1, 2, 5, 5]);
  const w = zeros([3, 2, 3, 3]);

  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });

  it('returns the geometry, local tensors, the bias and the algorithm name', () => {
    const bias = zeros([3]);
    const call = resolveConvCall('conv2d', x, w, { padding: 1, bias, algorithm: 'im2col' }, 2);
    expect(call.geometry.outputShape).toEqual([1, 3, 5, 5]);
    expect(call.bias).toBe(bias);
    expect(call.algorithm).toBe('im2col');
    expect(call.input).toBe(x);
    expect(Object.isFrozen(call)).toBe(true);
  });

  it('treats null like undefined for the options object and every option', () => {
    const call = resolveConvCall('conv2d', x, w, {
      stride: null,
      padding: null,
      dilation: null,
      groups: null,
      paddingMode: null,
      layout: null,
      bias: null,
      algorithm: null,
    });
    expect(call.geometry.outputShape).toEqual([1, 3, 3, 3]);
    expect(call.bias).toBeNull();
    expect(resolveConvCall('conv2d', x, w, null).geometry.outputShape).toEqual([1, 3, 3, 3]);
  });

  it('ignores a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.padding = 1;
    proto.stride = 'x';
    try {
      expect(resolveConvCall('conv2d', x, w, {}).geometry.outputShape).toEqual([1, 3, 3, 3]);
      expect(resolveConvCall('conv2d', x, w, undefined).geometry.outputShape).toEqual([1, 3, 3, 3]);
    } finally {
      delete proto.padding;
      delete proto.stride;
    }
  });

  it('re-describes a foreign tensor as a local one and refuses a broken one', () => {
    const call = resolveConvCall('conv2d', foreign(x), foreign(w), undefined);
    expect(call.input).toBeInstanceOf(Tensor);
    expect(call.weight).toBeInstanceOf(Tensor);
    const short = foreign(x, { data: new Float32Array(10) });
    const e = thrown(() => resolveConvCall('conv2d', short, w, undefined));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toBe(
      'conv2d: input shape [1, 2, 5, 5] with strides [50, 25, 5, 1] and offset 0 reaches index 49, outside data of length 10',
    );
    const badShape = foreign(x, { shape: [1, 2, 5, '5'] });
    expect(thrown(() => resolveConvCall('conv2d', badShape, w, undefined)).message).toBe(
      "conv2d: input shape [1, 2, 5, '5'] must hold non-negative integers",
    );
  });

  it('names the option, what was expected and what came', () => {
    expect(thrown(() => resolveConvCall('conv2d', x, w, { stride: '22' })).message).toBe(
      "conv2d: stride must be a positive integer or 2 of them (one per spatial dim), got '22'",
    );
    expect(thrown(() => resolveConvCall('conv2d', x, w, { dilation: 'same' })).message).toBe(
      "conv2d: dilation must be a positive integer or 2 of them (one per spatial dim), got 'same'",
    );
    expect(thrown(() => resolveConvCall('conv2d', x, w, { algorithm: 1 })).message).toBe(
      'conv2d: algorithm must be a string, got number 1',
    );
    expect(thrown(() => resolveConvCall('conv2d', x, w, { outputPadding: 1 })).message).toMatch(
      /^conv2d: unknown option 'outputPadding'/,
    );
  });

  it('checks the output and every tensor that may be copied against the memory budget', () => {
    setMemoryLimit(100 * 4);
    const e = thrown(() => resolveConvCall('conv2d', x, w, { padding: 2 }));
    expect(ResourceError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/^conv2d: output \[1, 3, 7, 7\] needs 588 bytes .*setMemoryLimit/);
    // A stride-0 view describes more elements than its data: its copy is counted.
    const broadcast = new Tensor(new Float32Array(1), [1, 2, 100, 100], [0, 0, 0, 0]);
    const kernel = new Tensor(new Float32Array(1), [1, 2, 100, 100], [0, 0, 0, 0]);
    expect(thrown(() => resolveConvCall('conv2d', broadcast, kernel, undefined)).message).toMatch(
      /^conv2d: input \[1, 2, 100, 100\] needs/,
    );
  });

  it('transposed: its own keys, and the shared bias check', () => {
    const call = resolveConvTransposeCall('convTranspose2d', x, zeros([2, 4, 3, 3]), { outputPadding: 0 });
    expect(call.geometry.outputShape).toEqual([1, 4, 7, 7]);
    const e = thrown(() =>
      resolveConvTransposeCall('convTranspose2d', x, zeros([2, 4, 3, 3]), { bias: zeros([3]) }),
    );
    expect(e.message).toBe(
      'convTranspose2d: bias must have shape [4] (one value per output channel), got [3]',
    );
    expect(CONV_OPTION_KEYS).not.toContain('outputPadding');
  });
});

describe('resolveDeformConvCall', () => {
  const x = zeros([1, 2, 4, 4]);
  const w = zeros([3, 2, 3, 3]);
  const offset = zeros([1, 18, 2, 2]);

  it('reads offset groups from the offset and checks the mask', () => {
    const call = resolveDeformConvCall('deformConv2d', x, w, offset, { mask: zeros([1, 9, 2, 2]) });
    expect(call.geometry.offsetGroups).toBe(1);
    expect(call.mask?.shape).toEqual([1, 9, 2, 2]);
    expect(DEFORM_CONV_OPTION_KEYS).toContain('mask');
    const e = thrown(() =>
      resolveDeformConvCall('deformConv2d', x, w, offset, { mask: zeros([1, 9, 3, 3]) }),
    );
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/^deformConv2d: mask must be .* = \[1, 9, 2, 2\] .*got \[1, 9, 3, 3\]$/);
  });

  it('refuses layouts and padding modes deformable convolution does not have', () => {
    const e = thrown(() => resolveDeformConvCall('deformConv2d', x, w, offset, { layout: 'channels-last' }));
    expect(UnsupportedError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/got 'channels-last'$/);
    expect(
      thrown(() => resolveDeformConvCall('deformConv2d', x, w, offset, { offsetGroups: 2 })).message,
    ).toMatch(/options.offsetGroups is 2$/);
  });
});

describe('checkBias, checkGradOutput, opNameForWeight', () => {
  it('checkBias refuses non-tensors and wrong shapes', () => {
    expect(checkBias('op', undefined, 2)).toBeNull();
    expect(thrown(() => checkBias('conv2d', 'b', 2)).message).toBe(
      "conv2d: bias must be a Tensor or null, got string 'b'",
    );
    expect(thrown(() => checkBias('conv2d', {}, 2)).message).toBe(
      'conv2d: bias must be a Tensor or null, got Object object',
    );
    expect(ArgumentError.isInstance(thrown(() => checkBias('conv2d', [1, 2], 2)))).toBe(true);
  });

  it('checkGradOutput returns the gradient as a local tensor', () => {
    const g = tensor([1, 2], [1, 2]);
    expect(checkGradOutput('b', g, [1, 2], 'f')).toBe(g);
    expect(checkGradOutput('b', foreign(g), [1, 2], 'f')).toBeInstanceOf(Tensor);
  });

  it('opNameForWeight never throws on odd values', () => {
    expect(opNameForWeight('conv', null)).toBe('conv');
    expect(opNameForWeight('conv', { shape: 'abc' })).toBe('conv');
    const hostile = {
      get shape(): never {
        throw new Error('boom');
      },
    };
    expect(opNameForWeight('conv', hostile)).toBe('conv');
  });
});
