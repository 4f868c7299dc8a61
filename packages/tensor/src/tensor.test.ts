import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from './errors';
import { arange, full, ones, Tensor, tensor, zeros } from './tensor';

const t23 = () => tensor([1, 2, 3, 4, 5, 6], [2, 3]);

describe('Tensor', () => {
  it('builds from flat values and reads elements', () => {
    const t = t23();
    expect(t.shape).toEqual([2, 3]);
    expect(t.strides).toEqual([3, 1]);
    expect(t.get(1, 2)).toBe(6);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('copies the values it is given', () => {
    const values = [1, 2];
    const t = tensor(values, [2]);
    values[0] = 9;
    expect(t.get(0)).toBe(1);
  });

  it('makes permute, transpose, slice, squeeze and unsqueeze views without copying', () => {
    const t = t23();
    const p = t.transpose(0, 1);
    expect(p.data).toBe(t.data);
    expect(p.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(p.isContiguous).toBe(false);
    const s = t.slice(1, 1, 3);
    expect(s.data).toBe(t.data);
    expect(s.toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(t.slice(1, 0, 3, 2).toArray()).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(t.slice(0, -1).toArray()).toEqual([[4, 5, 6]]);
    const u = t.unsqueeze(0).unsqueeze(3);
    expect(u.shape).toEqual([1, 2, 3, 1]);
    expect(u.squeeze().shape).toEqual([2, 3]);
    expect(u.squeeze(0).shape).toEqual([2, 3, 1]);
    expect(u.data).toBe(t.data);
  });

  it('reshapes contiguous tensors as views and copies strided ones', () => {
    const t = t23();
    const r = t.reshape([3, -1]);
    expect(r.shape).toEqual([3, 2]);
    expect(r.data).toBe(t.data);
    const strided = t.transpose(0, 1).reshape([6]);
    expect(strided.toArray()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => t.reshape([4, 2])).toThrow(ShapeError);
    expect(() => t.reshape([-1, -1])).toThrow(ArgumentError);
  });

  it('copies in logical order with contiguous() and toFloat32Array()', () => {
    const x = arange(24).reshape([2, 3, 4]).permute([2, 0, 1]);
    expect(x.shape).toEqual([4, 2, 3]);
    const c = x.contiguous();
    expect(c.isContiguous).toBe(true);
    expect(Array.from(c.toFloat32Array().slice(0, 6))).toEqual([0, 4, 8, 12, 16, 20]);
    expect(c.get(3, 1, 2)).toBe(x.get(3, 1, 2));
    const sliced = arange(10).slice(0, 2, 8, 3);
    expect(Array.from(sliced.toFloat32Array())).toEqual([2, 5]);
    expect(sliced.contiguous().data.length).toBe(2);
  });

  it('has zeros, ones, full and arange', () => {
    expect(Array.from(zeros([2]).data)).toEqual([0, 0]);
    expect(Array.from(ones([1, 2]).data)).toEqual([1, 1]);
    expect(Array.from(full([3], 2.5).data)).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(arange(1, 7, 2).data)).toEqual([1, 3, 5]);
    expect(arange(0).shape).toEqual([0]);
  });

  it('rejects bad shapes, indices and views with typed errors', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('tensor: 3 values do not fill shape [2, 2] (4 elements)');
    expect(() => tensor([1], [1.5])).toThrow(ShapeError);
    expect(() => t23().get(2, 0)).toThrow(/index 2 is out of range for dimension 0 of size 2/);
    expect(() => t23().get(0)).toThrow(/expected 2 indices, got 1/);
    expect(() => t23().permute([0, 0])).toThrow(ArgumentError);
    expect(() => new Tensor(new Float32Array(4), [2, 3])).toThrow(/outside data of length 4/);
    expect(() => arange(0, 1, 0)).toThrow(ArgumentError);
    expect(() => t23().slice(5, 0)).toThrow(/dimension 5 does not exist/);
    expect(() => t23().slice(0, 1.5)).toThrow('slice: start and end must be integers, got 1.5 and 2');
    expect(() => t23().transpose(0, 5)).toThrow('transpose: dimension 5 does not exist in shape [2, 3]');
    expect(() => t23().squeeze(5)).toThrow(ArgumentError);
  });

  it('checks the data, offset and strides it is built on', () => {
    expect(() => new Tensor(new Float64Array(4) as unknown as Float32Array, [4])).toThrow(
      /data must be a Float32Array .* got Float64Array object; use tensor\(values, shape\)/,
    );
    expect(() => new Tensor([1, 2] as unknown as Float32Array, [2])).toThrow(/got array of length 2/);
    expect(() => new Tensor(new Float32Array(4), [2, 2], [2.5, 1])).toThrow(
      'Tensor: strides must be integers, got [2.5, 1]',
    );
    expect(() => new Tensor(new Float32Array(4), [2], [1], 0.5)).toThrow(
      /offset must be a non-negative integer, got 0.5/,
    );
    expect(() => new Tensor(new Float32Array(4), [2], [1], Number.NaN)).toThrow(ArgumentError);
    expect(new Tensor(new Float32Array(4), [2, 2], [-2, 1], 2).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
});
