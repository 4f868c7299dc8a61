/**
 * convMatrix: convolution as a matrix. For one sample, with x the input flattened in C order
 * ([C_in, ...inputSpatial]) and y the output flattened likewise ([C_out, ...outputSpatial]),
 * the convolution is y = C x with C of shape [C_out * prod(out), C_in * prod(in)]:
 *
 *   C[co * prod(out) + o, ci * prod(in) + src(o * stride - padBefore + tap * dilation)]
 *       += W[co, ci - g * C_in/g, tap]      for ci in co's group g and every kernel tap
 *
 * Each row holds one output position's kernel, shifted, zeros where the kernel does not
 * cover (Dumoulin & Visin, arXiv 1603.07285, section 4.1: a 2x2 kernel on a 3x3 input is a
 * 4 x 9 matrix). Its transpose C^T is the transposed convolution (x' = C^T y; see
 * convTransposeMatrix). With a padding mode, src() maps a padded position to the input
 * element it mirrors, clamps to or wraps to, and the weight is added there, so y = C x still
 * holds; several taps can then land on one entry. Meant for teaching and tests: the matrix
 * is dense, and sizes above `maxElements` are refused with a ResourceError.
 */
import { convGeometryFromShapes, type Layout, type Padding, type PaddingMode, Tensor } from '@convkit/tensor';
import { checkMatrixArgs, checkMatrixSize } from './matrix-args';
import { sourceIndexTables } from './padded-source-index';

export interface ConvMatrixOptions {
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  paddingMode?: PaddingMode;
  /**
   * How x and y are flattened: 'channels-first' (default) index c * prod(spatial) + s,
   * 'channels-last' index s * C + c.
   */
  layout?: Layout;
  /** Refuse matrices with more elements than this (default DEFAULT_MAX_MATRIX_ELEMENTS, 2^24). */
  maxElements?: number;
  /** Refused when set: C is linear, add the bias to C x yourself. Here so ConvOptions fit. */
  bias?: Tensor | null;
  /** Ignored: C is the same whichever algorithm computes the convolution. */
  algorithm?: string;
}

/** Every key of ConvMatrixOptions (the compiler checks the list is exact). */
const CONV_MATRIX_OPTION_KEYS = Object.keys({
  stride: true,
  padding: true,
  dilation: true,
  groups: true,
  paddingMode: true,
  layout: true,
  maxElements: true,
  bias: true,
  algorithm: true,
} satisfies Record<keyof ConvMatrixOptions, true>);

/** The dense matrix C of one sample's convolution, y = C x: [C_out * prod(out), C_in * prod(in)]. */
export function convMatrix(
  weightArg: Tensor,
  inputSpatial: readonly number[],
  options: ConvMatrixOptions = {},
): Tensor {
  const op = 'convMatrix';
  const call = checkMatrixArgs(op, weightArg, inputSpatial, options, CONV_MATRIX_OPTION_KEYS);
  const { maxElements, weight } = call;
  const opts = call.options as Readonly<ConvMatrixOptions>;
  const groups = opts.groups ?? 1;
  const geometry = convGeometryFromShapes({
    op,
    inputShape: [
      1,
      weight.shape[1]! * (Number.isInteger(groups) && groups > 0 ? groups : 1),
      ...inputSpatial,
    ],
    weightShape: weight.shape,
    stride: opts.stride,
    padding: opts.padding,
    dilation: opts.dilation,
    groups,
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

  const w = weight.toFloat32Array();
  const matrix = new Float32Array(rows * cols);
  const pad = 3 - geometry.dims;
  const [, inH, inW] = [...new Array<number>(pad).fill(1), ...inputSpatial];
  const [kernelD, kernelH, kernelW] = [...new Array<number>(pad).fill(1), ...geometry.kernelSize];
  const [outD, outH, outW] = [...new Array<number>(pad).fill(1), ...geometry.outputSpatial];
  const unit = new Int32Array([0]);
  const [tableD, tableH, tableW] = [...new Array<Int32Array>(pad).fill(unit), ...sourceIndexTables(geometry)];
  const channelsLast = opts.layout === 'channels-last';

  // co: output channel; od, oh, ow: output position; ci: input channel; kd, kh, kw: tap.
  for (let co = 0; co < outChannels; co++) {
    const firstIn = Math.floor(co / outChannelsPerGroup) * inChannelsPerGroup;
    for (let od = 0, o = 0; od < outD; od++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++, o++) {
          const row = channelsLast ? o * outChannels + co : co * outputVolume + o;
          const rowBase = row * cols;
          for (let cl = 0; cl < inChannelsPerGroup; cl++) {
            const ci = firstIn + cl;
            let tap = (co * inChannelsPerGroup + cl) * kernelVolume;
            for (let kd = 0; kd < kernelD; kd++) {
              const id = tableD[kd * outD + od]!;
              for (let kh = 0; kh < kernelH; kh++) {
                const ih = tableH[kh * outH + oh]!;
                for (let kw = 0; kw < kernelW; kw++, tap++) {
                  const iw = tableW[kw * outW + ow]!;
                  if (id < 0 || ih < 0 || iw < 0) continue;
                  const s = (id * inH + ih) * inW + iw;
                  matrix[rowBase + (channelsLast ? s * inChannels + ci : ci * inputVolume + s)] += w[tap]!;
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
