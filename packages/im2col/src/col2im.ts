/**
 * col2im: torch.nn.functional.fold, generalised to 1-D, 2-D and 3-D. The adjoint of im2col:
 * every column entry is added back to the input position it was read from, overlapping
 * receptive fields summed,
 *
 *   out[n, c, i] = sum over (tap, l) with o(l) * stride - padBefore + tap * dilation = i of
 *                  columns[n, c * prod(k) + tap, l]
 *
 * for columns of shape [N, C * prod(k), L] and out of shape [N, C, ...outputSize]. So
 * col2im(im2col(x)) multiplies each element of x by the number of windows that cover it.
 * Beyond fold: `paddingMode` gives the adjoint of im2col with that mode (values read from
 * mirrored/clamped/wrapped positions go back there), and `layout: 'channels-last'` returns
 * [N, ...outputSize, C].
 */
import {
  ArgumentError,
  checkAllocation,
  formatShape,
  formatValue,
  type Layout,
  type OptionRecord,
  optionIntList,
  type Padding,
  type PaddingMode,
  readOptions,
  readTensor,
  ShapeError,
  Tensor,
} from '@convkit/tensor';
import { col2imAccumulate } from './col2im-accumulate';
import { loweringGeometry } from './lowering-geometry';

export interface Col2imOptions {
  /** Spatial size of the result (the input size of the im2col this inverts). */
  outputSize: number | readonly number[];
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  /** Symmetric per dim, [before, after] pairs, 'same' or 'valid'. Default 0. */
  padding?: Padding;
  dilation?: number | readonly number[];
  /** The padding mode of the im2col this is the adjoint of (default 'zeros', torch fold). */
  paddingMode?: PaddingMode;
  /** Layout of the result: 'channels-first' [N, C, ...] (default) or 'channels-last' [N, ..., C]. */
  layout?: Layout;
}

/** Every key of Col2imOptions (the compiler checks the list is exact). */
const COL2IM_OPTION_KEYS = Object.keys({
  outputSize: true,
  kernelSize: true,
  stride: true,
  padding: true,
  dilation: true,
  paddingMode: true,
  layout: true,
} satisfies Record<keyof Col2imOptions, true>);

/** The number of spatial dims: the length of the first per-dim list, else 2 (as torch fold). */
function spatialDims(options: OptionRecord<keyof Col2imOptions>): number {
  const { padding } = options;
  for (const value of [options.outputSize, options.kernelSize, options.stride, options.dilation, padding]) {
    if (Array.isArray(value)) return value.length;
  }
  return 2;
}

/** Folds columns [N, C * prod(k), L] back into [N, C, ...outputSize], summing overlaps. */
export function col2im(columnsArg: Tensor, optionsArg: Col2imOptions): Tensor {
  const columns = readTensor('col2im', 'columns', columnsArg);
  const required =
    'col2im: options { outputSize, kernelSize, stride?, padding?, dilation?, paddingMode?, layout? } are required';
  if (optionsArg === undefined || optionsArg === null) throw new ArgumentError(required);
  // Before the required keys, so a misspelt one (output_size) is named.
  const options = readOptions('col2im', optionsArg, COL2IM_OPTION_KEYS as (keyof Col2imOptions)[]);
  if (options.outputSize === undefined) throw new ArgumentError(required);
  if (columns.shape.length !== 3) {
    const hint = columns.shape.length === 2 ? '; add a batch dimension with unsqueeze(0)' : '';
    throw new ShapeError(
      `col2im: columns must have rank 3 ([N, C * prod(kernelSize), L]), got shape ${formatShape(columns.shape)}${hint}`,
    );
  }
  const dims = spatialDims(options);
  if (dims < 1 || dims > 3) {
    throw new ShapeError(
      `col2im: outputSize must have 1 to 3 spatial dims, got ${formatValue(options.outputSize)}`,
    );
  }
  // Checked here, so that a bad size is named as outputSize (the geometry calls it the input).
  const outputSize = optionIntList('col2im', 'outputSize', options.outputSize, {
    length: dims,
    min: 1,
    fallback: [],
  });
  const [batch, rows, length] = columns.shape as [number, number, number];
  // The kernel volume comes from a one-channel geometry, so the checks below do no size arithmetic.
  const lowering = options as Partial<Col2imOptions>;
  const kernelVolume = loweringGeometry('col2im', batch, 1, outputSize, lowering).kernelVolume;
  if (rows === 0 || rows % kernelVolume !== 0) {
    throw new ShapeError(
      `col2im: columns dim 1 must be a positive multiple of prod(kernelSize) = ${kernelVolume} (C * prod(k) rows), got ${rows} (shape ${formatShape(columns.shape)})`,
    );
  }
  const channels = rows / kernelVolume;
  const geometry = loweringGeometry('col2im', batch, channels, outputSize, lowering);
  if (length !== geometry.outputVolume) {
    throw new ShapeError(
      `col2im: columns dim 2 must equal the number of sliding blocks ${geometry.outputSpatial.join(' * ')} = ${geometry.outputVolume} for outputSize ${formatShape(outputSize)}, got ${length} (shape ${formatShape(columns.shape)})`,
    );
  }

  checkAllocation('col2im', 'output', geometry.inputShape);
  checkAllocation('col2im', 'a contiguous copy of columns', columns.shape);
  const source = columns.contiguous();
  const sampleSize = channels * geometry.inputVolume;
  const out = new Float32Array(batch * sampleSize);
  for (let n = 0; n < batch; n++) {
    col2imAccumulate({
      geometry,
      input: out,
      inputOffset: n * sampleSize,
      columns: source.data,
      columnsOffset: source.offset + n * rows * length,
    });
  }
  return new Tensor(out, geometry.inputShape);
}
