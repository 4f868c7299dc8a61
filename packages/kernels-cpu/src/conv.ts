/**
 * conv: convolution in 1, 2 or 3 spatial dims with PyTorch's semantics
 * (torch.nn.functional.conv{1,2,3}d; the layer's padding_mode included):
 *   y[n, co, o] = bias[co] + sum_{ci, k} w[co, ci, k] * xpad[n, g * C_in/groups + ci, o * stride - padBefore + k * dilation]
 *   out = floor((in + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1
 * The op checks its arguments, builds the geometry, converts a channels-last input to
 * channels-first, runs the algorithm's kernel and converts back (unless the algorithm has a
 * channels-last kernel for the geometry: then it runs that on the data as it is); the kernels
 * compute.
 */
import { CONV_OPTION_KEYS, type ConvGeometry, resolveConvCall, Tensor } from '@convkit/tensor';
import { convKernelsFor } from './algorithms';
import { checkOutTensor } from './check-out-tensor';
import { fromChannelsFirst, toChannelsFirst } from './layout';
import type { ConvOptions } from './options';
import { opNameForWeight } from './validate';

/** The keys a conv options object may hold (shared with every backend, from @convkit/tensor). */
export { CONV_OPTION_KEYS };

/**
 * Checks conv's arguments and builds their geometry (`resolveConvCall` in @convkit/tensor,
 * shared by every backend, the forward and the backward ops, so all accept the same calls).
 */
export function convGeometryForOp(
  op: string,
  input: unknown,
  weight: unknown,
  options: ConvOptions | undefined,
  dims?: 1 | 2 | 3,
): ConvGeometry {
  return resolveConvCall(op, input, weight, options, dims).geometry;
}

function runConv(
  op: string,
  input: Tensor,
  weight: Tensor,
  options: ConvOptions | undefined,
  dims?: 1 | 2 | 3,
  withOut = false,
  out?: unknown,
): Tensor {
  const call = resolveConvCall(op, input, weight, options, dims);
  const { geometry } = call;
  // convInto: the caller's tensor, checked before any work; its row-major block is where the
  // kernels write (or where the op copies a kernel's fresh result).
  const into = !withOut
    ? undefined
    : checkOutTensor(op, 'out', out, geometry.outputShape, "the output's shape in the call's layout", {
        input: call.input,
        weight: call.weight,
        bias: call.bias,
      });
  const kernels = convKernelsFor(op, call.algorithm, geometry, 'forward');
  if (geometry.layout === 'channels-last' && kernels.convChannelsLast) {
    // A kernel that reads and writes channels-last itself: no transposes.
    const bias = call.bias ? call.bias.contiguous().data : null;
    const output = kernels.convChannelsLast(
      call.input.contiguous().data,
      call.weight.contiguous().data,
      bias,
      geometry,
      into,
    );
    if (output !== null) {
      if (into === undefined) return new Tensor(output, geometry.outputShape);
      if (output !== into) into.set(output.subarray(0, into.length));
      return out as Tensor;
    }
  }
  const channelsFirstShape = [geometry.batch, geometry.outChannels, ...geometry.outputSpatial];
  const output = kernels.conv(
    toChannelsFirst(call.input, geometry.layout),
    call.weight.contiguous().data,
    call.bias ? call.bias.contiguous().data : null,
    geometry,
    // A channels-last result goes through one transpose into `out`, so the kernel writes a fresh one.
    geometry.layout === 'channels-first' ? into : undefined,
  );
  if (into === undefined) return fromChannelsFirst(output, channelsFirstShape, geometry.layout);
  return fromChannelsFirst(output, channelsFirstShape, geometry.layout, out as Tensor, into);
}

/**
 * Convolution of `input` ([N, C_in, ...spatial], or [N, ...spatial, C_in] with
 * `layout: 'channels-last'`) with `weight` ([C_out, C_in/groups, ...kernel], always PyTorch's
 * layout); 1-D, 2-D or 3-D from the weight's rank. Returns a fresh tensor in the input's layout.
 */
export function conv(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv(opNameForWeight('conv', weight), input, weight, options);
}

/**
 * `conv(input, weight, options)` written into `out` (same checks, algorithm and bits), which
 * it returns. `out` must be a contiguous float32 Tensor of exactly the output's shape in the
 * call's layout, sharing no memory with the input, the weight or the bias; its old values are
 * never read. For callers that recycle their result buffers (a training loop's layers).
 */
export function convInto(out: Tensor, input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('convInto', input, weight, options, undefined, true, out);
}

/** `conv` for a 3-D weight [C_out, C_in/groups, kL]; input [N, C_in, L] (or [N, L, C_in]). */
export function conv1d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('conv1d', input, weight, options, 1);
}

/** `conv` for a 4-D weight [C_out, C_in/groups, kH, kW]; input [N, C_in, H, W] (or [N, H, W, C_in]). */
export function conv2d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('conv2d', input, weight, options, 2);
}

/** `conv` for a 5-D weight [C_out, C_in/groups, kD, kH, kW]; input [N, C_in, D, H, W] (or [N, D, H, W, C_in]). */
export function conv3d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return runConv('conv3d', input, weight, options, 3);
}
