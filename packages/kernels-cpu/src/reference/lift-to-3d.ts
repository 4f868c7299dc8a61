/**
 * liftTo3d: the reference kernels are written once, for three spatial dims (D, H, W). A 1-D
 * or 2-D geometry becomes 3-D by leading spatial dims of size 1 with kernel 1, stride 1,
 * dilation 1 and no padding, which leaves every sum unchanged (PyTorch does the same when it
 * runs conv1d as conv2d with a unit height).
 */
import type { ConvGeometry } from '@convkit/tensor';

type Triple = readonly [number, number, number];

/** The per-dim sizes of a geometry as exactly three (D, H, W) entries. */
export interface Lifted3d {
  readonly inputSize: Triple;
  readonly outputSize: Triple;
  readonly kernelSize: Triple;
  readonly stride: Triple;
  readonly dilation: Triple;
  readonly padBefore: Triple;
}

/** 1-3 per-dim values as three (D, H, W), the missing leading dims set to `fill`. */
export function liftSizesTo3d(values: readonly number[], fill: number): Triple {
  const padded = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [padded[0]!, padded[1]!, padded[2]!];
}

/** Lifts the spatial fields of a 1-D, 2-D or 3-D geometry to three dims. */
export function liftTo3d(geometry: ConvGeometry): Lifted3d {
  return {
    inputSize: liftSizesTo3d(geometry.inputSpatial, 1),
    outputSize: liftSizesTo3d(geometry.outputSpatial, 1),
    kernelSize: liftSizesTo3d(geometry.kernelSize, 1),
    stride: liftSizesTo3d(geometry.stride, 1),
    dilation: liftSizesTo3d(geometry.dilation, 1),
    padBefore: liftSizesTo3d(geometry.padBefore, 0),
  };
}
