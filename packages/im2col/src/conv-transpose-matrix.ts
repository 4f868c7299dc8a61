/**
 * convTransposeMatrix: transposed convolution as a matrix, x' = T y for one sample, with
 * T = C^T where C is the matrix (convMatrix) of the convolution whose input gradient this
 * transposed convolution computes. Built directly from the transposed geometry, so
 * outputPadding (which C cannot see) is honoured:
 *
 *   T[co * prod(out) + (i * stride - padBefore + tap * dilation), ci * prod(in) + i]
 *       += W[ci, co - g * C_out/g, tap]     for co in ci's group g, where that position lies in the output
 *
 * for weight [C_in, C_out/groups, ...k] (PyTorch's ConvTranspose layout). Shape
 * [C_out * prod(out), C_in * prod(in)], out = (in - 1) * stride - padding + dilation * (k - 1)
 * + 1 + outputPadding per dim (from convGeometry). Dumoulin & Visin, arXiv 1603.07285, 4.1.
 */
import { convGeometryFromShapes, type Layout, Tensor } from '@convkit/tensor';
import { checkMatrixArgs, checkMatrixSize } from './matrix-args';

export interface ConvTransposeMatrixOptions {
  stride?: number | readonly number[];
  /** The padding of the forward convolution: number, per dim, [before, after] pairs or 'valid'. */
  padding?: number | readonly number[] | readonly (readonly [number, number])[] | 'valid';
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  /**
   * Only 'zeros', as for convTranspose in @convkit/kernels-cpu (and PyTorch's ConvTranspose
   * layers): padding crops a transposed convolution's output. Others throw an UnsupportedError.
   */
  paddingMode?: 'zeros';
  /** How x and x' are flattened: 'channels-first' (default) or 'channels-last' (s * C + c). */
  layout?: Layout;
  /** Refuse matrices with more elements than this (default 2^24). */
  maxElements?: number;
  /** Refused when set: the matrix is linear, add the bias yourself. */
  bias?: Tensor | null;
  /** Ignored: the matrix is the same whichever algorithm computes the op. */
  algorithm?: string;
}

/** Every key of ConvTransposeMatrixOptions (the compiler checks the list is exact). */
const CONV_TRANSPOSE_MATRIX_OPTION_KEYS = Object.keys({
  stride: true,
  padding: true,
  outputPadding: true,
  dilation: true,
  groups: true,
  paddingMode: true,
  layout: true,
  maxElements: true,
  bias: true,
  algorithm: true,
} satisfies Record<keyof ConvTransposeMatrixOptions, true>);

/** Per dim: the output position each (tap, input position) writes, or -1 outside the output. */
function targetTable(
  inSize: number,
  outSize: number,
  taps: number,
  stride: number,
  padBefore: number,
  dilation: number,
): Int32Array {
  const table = new Int32Array(taps * inSize);
  for (let tap = 0; tap < taps; tap++) {
    for (let i = 0; i < inSize; i++) {
      const position = i * stride - padBefore + tap * dilation;
      table[tap * inSize + i] = position >= 0 && position < outSize ? position : -1;
    }
  }
  return table;
}

/** The dense matrix of one sample's transposed convolution: [C_out * prod(out), C_in * prod(in)]. */
export function convTransposeMatrix(
  weightArg: Tensor,
  inputSpatial: readonly number[],
  options: ConvTransposeMatrixOptions = {},
): Tensor {
  const op = 'convTransposeMatrix';
  const call = checkMatrixArgs(op, weightArg, inputSpatial, options, CONV_TRANSPOSE_MATRIX_OPTION_KEYS);
  const { maxElements, weight } = call;
  const opts = call.options as Readonly<ConvTransposeMatrixOptions>;
  const geometry = convGeometryFromShapes({
    op,
    transposed: true,
    inputShape: [1, weight.shape[0]!, ...inputSpatial],
    weightShape: weight.shape,
    stride: opts.stride,
    padding: opts.padding,
    outputPadding: opts.outputPadding,
    dilation: opts.dilation,
    groups: opts.groups,
    paddingMode: opts.paddingMode,
  });
  const {
    inChannels,
    outChannels,
    inChannelsPerGroup,
    outChannelsPerGroup,
    inputVolume,
    outputVolume,
    kernelVolume,
  } = geometry;
  const rows = outChannels * outputVolume;
  const cols = inChannels * inputVolume;
  checkMatrixSize(op, rows, cols, maxElements);
  const channelsLast = opts.layout === 'channels-last';

  const w = weight.toFloat32Array();
  const matrix = new Float32Array(rows * cols);
  const pad = 3 - geometry.dims;
  const widen = (values: readonly number[], fill: number) => [
    ...new Array<number>(pad).fill(fill),
    ...values,
  ];
  const [inD, inH, inW] = widen(inputSpatial, 1) as [number, number, number];
  const [, outH, outW] = widen(geometry.outputSpatial, 1) as [number, number, number];
  const [kernelD, kernelH, kernelW] = widen(geometry.kernelSize, 1) as [number, number, number];
  const tables = [0, 1, 2].map((d) => {
    const real = d - pad;
    if (real < 0) return new Int32Array([0]);
    return targetTable(
      inputSpatial[real]!,
      geometry.outputSpatial[real]!,
      geometry.kernelSize[real]!,
      geometry.stride[real]!,
      geometry.padBefore[real]!,
      geometry.dilation[real]!,
    );
  });
  const [tableD, tableH, tableW] = tables as [Int32Array, Int32Array, Int32Array];

  // ci: input channel; id, ih, iw: input position; co: output channel; kd, kh, kw: tap.
  for (let ci = 0; ci < inChannels; ci++) {
    const firstOut = Math.floor(ci / inChannelsPerGroup) * outChannelsPerGroup;
    for (let id = 0, i = 0; id < inD; id++) {
      for (let ih = 0; ih < inH; ih++) {
        for (let iw = 0; iw < inW; iw++, i++) {
          const col = channelsLast ? i * inChannels + ci : ci * inputVolume + i;
          for (let cl = 0; cl < outChannelsPerGroup; cl++) {
            const co = firstOut + cl;
            let tap = (ci * outChannelsPerGroup + cl) * kernelVolume;
            for (let kd = 0; kd < kernelD; kd++) {
              const od = tableD[kd * inD + id]!;
              for (let kh = 0; kh < kernelH; kh++) {
                const oh = tableH[kh * inH + ih]!;
                for (let kw = 0; kw < kernelW; kw++, tap++) {
                  const ow = tableW[kw * inW + iw]!;
                  if (od < 0 || oh < 0 || ow < 0) continue;
                  const o = (od * outH + oh) * outW + ow;
                  const row = channelsLast ? o * outChannels + co : co * outputVolume + o;
                  matrix[row * cols + col] += w[tap]!;
                }
              }
            }
          }
        }
      }
    }
  }
  return new Tensor(matrix, [rows, cols]);
}
