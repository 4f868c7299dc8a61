/**
 * im2col: torch.nn.functional.unfold, generalised to 1-D, 2-D and 3-D inputs, every padding
 * form of convGeometry (symmetric, per dim, [before, after] pairs, 'same', 'valid'), the
 * padding modes of Conv*d, and channels-last input.
 *
 * For input x of shape [N, C, ...spatial] (or [N, ...spatial, C] with layout 'channels-last')
 * the result has shape [N, C * prod(k), L] with L = prod(outputSpatial) and
 *
 *   out[n, c * prod(k) + tap, l] = xpad[n, c, o(l) * stride - padBefore + tap * dilation]
 *
 * tap and the output position o(l) both in C order over the spatial dims, exactly the row
 * and column order of torch unfold (so a convolution is W.view(C_out, -1) @ out[n]).
 */
import {
  ArgumentError,
  checkAllocation,
  formatShape,
  formatValue,
  LAYOUTS,
  type Layout,
  optionEnum,
  type Padding,
  type PaddingMode,
  readOptions,
  readTensor,
  ShapeError,
  Tensor,
} from '@convkit/tensor';
import { im2colInto } from './im2col-into';
import { loweringGeometry } from './lowering-geometry';
import { plural } from './plural';

export interface Im2colOptions {
  /** Kernel size: one number for every spatial dim, or one per dim. */
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  /** Symmetric per dim, [before, after] pairs, 'same' (extra after) or 'valid'. Default 0. */
  padding?: Padding;
  dilation?: number | readonly number[];
  /** What the padding reads: zeros (torch unfold) or reflected/replicated/wrapped values. */
  paddingMode?: PaddingMode;
  /** Layout of the input: 'channels-first' NC[D]HW (default) or 'channels-last' N[D]HWC. */
  layout?: Layout;
}

/** Every key of Im2colOptions (the compiler checks the list is exact). */
const IM2COL_OPTION_KEYS = Object.keys({
  kernelSize: true,
  stride: true,
  padding: true,
  dilation: true,
  paddingMode: true,
  layout: true,
} satisfies Record<keyof Im2colOptions, true>);

const RANK_NAMES: Record<number, string> = { 3: 'L', 4: 'H, W', 5: 'D, H, W' };

/** Unfolds every receptive field of `input` into a column: [N, C * prod(k), L]. */
export function im2col(inputArg: Tensor, optionsArg: Im2colOptions): Tensor {
  const input = readTensor('im2col', 'input', inputArg);
  if (optionsArg === undefined || optionsArg === null) {
    throw new ArgumentError(
      'im2col: options { kernelSize, stride?, padding?, dilation?, paddingMode?, layout? } are required',
    );
  }
  // Before the required key, so a misspelt one (kernel_size) is named.
  const options = readOptions('im2col', optionsArg, IM2COL_OPTION_KEYS as (keyof Im2colOptions)[]);
  if (options.kernelSize === undefined) throw new ArgumentError('im2col: options.kernelSize is required');
  const rank = input.shape.length;
  const layout = optionEnum('im2col', 'layout', options.layout, LAYOUTS, 'channels-first');
  if (rank < 3 || rank > 5) {
    const hint = rank === 2 ? '; add a batch dimension with unsqueeze(0)' : '';
    throw new ShapeError(
      `im2col: input must have rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W], channels-last [N, ..., C]), got shape ${formatShape(input.shape)}${hint}`,
    );
  }
  const channelAxis = layout === 'channels-last' ? rank - 1 : 1;
  const spatialAxes =
    layout === 'channels-last'
      ? input.shape.slice(1, rank - 1).map((_, i) => i + 1)
      : input.shape.slice(2).map((_, i) => i + 2);
  const kernelDims = Array.isArray(options.kernelSize) ? options.kernelSize.length : null;
  if (kernelDims !== null && kernelDims !== rank - 2) {
    throw new ShapeError(
      `im2col: kernelSize ${formatValue(options.kernelSize)} has ${plural(kernelDims, 'dim')} but input ${formatShape(input.shape)} has ${plural(rank - 2, 'spatial dim')} ([N, C, ${RANK_NAMES[rank]}])`,
    );
  }
  const batch = input.shape[0]!;
  const channels = input.shape[channelAxis]!;
  if (channels === 0) throw new ShapeError(`im2col: input ${formatShape(input.shape)} has no channels`);
  const geometry = loweringGeometry(
    'im2col',
    batch,
    channels,
    spatialAxes.map((a) => input.shape[a]!),
    options as Partial<Im2colOptions>,
  );

  const rows = channels * geometry.kernelVolume;
  const columns = geometry.outputVolume;
  checkAllocation('im2col', 'columns', [batch, rows, columns]);
  const out = new Float32Array(batch * rows * columns);
  // The input's own strides: any view (permuted, sliced, channels-last) is read in place.
  const inputStrides = [input.strides[channelAxis]!, ...spatialAxes.map((a) => input.strides[a]!)];
  for (let n = 0; n < batch; n++) {
    im2colInto({
      geometry,
      input: input.data,
      inputOffset: input.offset + n * input.strides[0]!,
      inputStrides,
      columns: out,
      columnsOffset: n * rows * columns,
    });
  }
  return new Tensor(out, [batch, rows, columns]);
}
