/**
 * Differentiable upsampling (F.interpolate): 'nearest' for 1-3 spatial dims and 'bilinear'
 * for 2, to a given size or by a scale factor (output = floor(in * scaleFactor)).
 */
import { ArgumentError, formatShape, ShapeError, UnsupportedError } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

export interface InterpolateOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  mode?: 'nearest' | 'bilinear';
  /** bilinear only (false). */
  alignCorners?: boolean;
}

export function interpolate(x: Input, options: InterpolateOptions): Variable {
  const v = asVariable('interpolate', 'input', x);
  const dims = v.shape.length - 2;
  if (dims < 1 || dims > 3) {
    throw new ShapeError(
      `interpolate: input must be [N, C, ...] with 1-3 spatial dims, got ${formatShape(v.shape)}`,
    );
  }
  const mode = options.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') {
    throw new UnsupportedError(`interpolate: mode must be 'nearest' or 'bilinear', got ${String(mode)}`);
  }
  if (mode === 'bilinear' && dims !== 2) {
    throw new ShapeError(
      `interpolate: mode 'bilinear' needs a 4-D input [N, C, H, W], got ${formatShape(v.shape)}`,
    );
  }
  if ((options.size === undefined) === (options.scaleFactor === undefined)) {
    throw new ArgumentError('interpolate: give exactly one of size and scaleFactor');
  }
  const inSpatial = v.shape.slice(2);
  const perDim = (value: number | readonly number[], name: string) => {
    const list = typeof value === 'number' ? new Array<number>(dims).fill(value) : [...value];
    if (list.length !== dims || list.some((s) => typeof s !== 'number' || !(s > 0) || !Number.isFinite(s))) {
      throw new ArgumentError(
        `interpolate: ${name} must be a positive number or ${dims} of them, got ${JSON.stringify(value)}`,
      );
    }
    return list;
  };
  let outSpatial: number[];
  let scales: number[];
  if (options.size !== undefined) {
    outSpatial = perDim(options.size, 'size');
    if (outSpatial.some((s) => !Number.isInteger(s))) {
      throw new ArgumentError(`interpolate: size must hold integers, got ${JSON.stringify(options.size)}`);
    }
    scales = outSpatial.map((o, d) => inSpatial[d]! / o);
  } else {
    const factors = perDim(options.scaleFactor!, 'scaleFactor');
    outSpatial = factors.map((f, d) => Math.floor(inSpatial[d]! * f));
    scales = factors.map((f) => 1 / f);
  }
  const alignCorners = options.alignCorners ?? false;
  const be = getBackend();
  if (mode === 'nearest') {
    const y = be.upsampleNearest(v.data, outSpatial, scales);
    return record('upsampleNearest', y, [v], (g) => [be.upsampleNearestBackward(g, v.shape, scales)]);
  }
  const y = be.upsampleBilinear(v.data, outSpatial, scales, alignCorners);
  return record('upsampleBilinear', y, [v], (g) => [
    be.upsampleBilinearBackward(g, v.shape, scales, alignCorners),
  ]);
}
