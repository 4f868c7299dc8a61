/**
 * Differentiable pooling on channels-first activations: maxPool and avgPool (1-3-D, the
 * window from convGeometry with groups = channels, so output sizes follow the same formula
 * as convolution, ceil mode included) and adaptiveAvgPool (output size given).
 */
import { ArgumentError, convGeometry, formatShape, optionIntList, ShapeError } from '@convkit/tensor';
import { asVariable, type Input, record } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';

export interface MaxPoolOptions {
  kernelSize: number | readonly number[];
  /** The kernel size when absent (PyTorch). */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
}

export interface AvgPoolOptions {
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  ceilMode?: boolean;
  /** Count padded positions in the divisor (true, PyTorch's default). */
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

function poolGeometry(
  op: string,
  x: Variable,
  dims: number,
  o: { kernelSize: unknown; stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown },
) {
  if (x.shape.length !== dims + 2) {
    throw new ShapeError(
      `${op}: input must be [N, C, ${['L', 'H, W', 'D, H, W'][dims - 1]}], got ${formatShape(x.shape)}`,
    );
  }
  const kernelSize = optionIntList(op, 'kernelSize', o.kernelSize, { length: dims, min: 1, fallback: [] });
  if (kernelSize.length !== dims) throw new ArgumentError(`${op}: kernelSize is required`);
  const padding = optionIntList(op, 'padding', o.padding, {
    length: dims,
    min: 0,
    fallback: new Array(dims).fill(0),
  });
  // PyTorch: padding at most half the kernel (the window always holds an input element).
  padding.forEach((p, d) => {
    if (p > Math.floor(kernelSize[d]! / 2)) {
      throw new ArgumentError(
        `${op}: padding ${p} must be at most half the kernel size ${kernelSize[d]} (dim ${d})`,
      );
    }
  });
  const channels = x.shape[1]!;
  return convGeometry({
    op,
    batch: x.shape[0]!,
    inChannels: channels,
    outChannels: channels,
    groups: channels,
    inputSpatial: x.shape.slice(2),
    kernelSize,
    stride: (o.stride ?? kernelSize) as number[],
    padding,
    dilation: (o.dilation ?? 1) as number,
    ceilMode: (o.ceilMode ?? false) as boolean,
  });
}

export function maxPool(x: Input, dims: 1 | 2 | 3, options: MaxPoolOptions): Variable {
  const op = `maxPool${dims}d`;
  const v = asVariable(op, 'input', x);
  const geometry = poolGeometry(op, v, dims, options);
  const be = getBackend();
  const { output, argmax } = be.maxPool(v.data, geometry);
  // The argmax is read by the backward pass only: recycled once the node is dropped.
  return record(
    op,
    output,
    [v],
    (g) => [be.maxPoolBackward(g, argmax, geometry)],
    () => be.releaseArgmax?.(argmax),
  );
}

export function avgPool(x: Input, dims: 1 | 2 | 3, options: AvgPoolOptions): Variable {
  const op = `avgPool${dims}d`;
  const v = asVariable(op, 'input', x);
  const geometry = poolGeometry(op, v, dims, options);
  const divisor = options.divisorOverride ?? null;
  if (divisor !== null && (!Number.isInteger(divisor) || divisor < 1)) {
    throw new ArgumentError(`${op}: divisorOverride must be a positive integer, got ${String(divisor)}`);
  }
  const poolOptions = { countIncludePad: options.countIncludePad ?? true, divisorOverride: divisor };
  const be = getBackend();
  const y = be.avgPool(v.data, geometry, poolOptions);
  return record(op, y, [v], (g) => [be.avgPoolBackward(g, geometry, poolOptions)]);
}

/** Average pooling to a fixed output size (null entries keep the input's size). */
export function adaptiveAvgPool(
  x: Input,
  dims: 1 | 2 | 3,
  outputSize: number | readonly (number | null)[],
): Variable {
  const op = `adaptiveAvgPool${dims}d`;
  const v = asVariable(op, 'input', x);
  if (v.shape.length !== dims + 2) {
    throw new ShapeError(
      `${op}: input must have ${dims} spatial dims after [N, C], got ${formatShape(v.shape)}`,
    );
  }
  const list = typeof outputSize === 'number' ? new Array(dims).fill(outputSize) : [...outputSize];
  const spatial = list.map((s, d) => (s === null ? v.shape[2 + d]! : s));
  if (spatial.length !== dims || spatial.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ArgumentError(
      `${op}: outputSize must be a positive integer or ${dims} of them (null keeps a size), got ${JSON.stringify(outputSize)}`,
    );
  }
  const be = getBackend();
  const y = be.adaptiveAvgPool(v.data, spatial);
  return record(op, y, [v], (g) => [be.adaptiveAvgPoolBackward(g, v.shape)]);
}
