/**
 * convIntoByCopy: the into-forms of recycledConv built from plain conv/convBackward ops, which
 * compute a fresh result and copy it into the given tensor. The same bits as the plain ops;
 * no memory saved. It stands in for kernels-cpu's own `convInto` and
 * `gradients.inputGradientInto` where those are missing.
 */
import type { ConvBackwardGradientOptions, ConvOptions, PartialConvGradients } from '@convkit/kernels-cpu';
import type { Tensor } from '@convkit/tensor';
import { flatValues } from './flat-values';
import type { ConvBackwardIntoOptions, ConvIntoOps } from './recycled-conv';

export interface PlainConvOps {
  conv(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor;
  convBackward(
    gradOutput: Tensor,
    input: Tensor,
    weight: Tensor,
    options: ConvOptions | undefined,
    gradients: ConvBackwardGradientOptions,
  ): PartialConvGradients;
}

/** ConvIntoOps over `ops`: each into-form runs the plain op and copies its result. */
export function convIntoByCopy(ops: PlainConvOps): ConvIntoOps {
  return {
    conv: (input, weight, options) => ops.conv(input, weight, options),
    convInto: (out, input, weight, options) => {
      out.data.set(flatValues(ops.conv(input, weight, options)), out.offset);
      return out;
    },
    convBackward: (gradOutput, input, weight, options, gradients: ConvBackwardIntoOptions) => {
      const inputGradientInto = gradients?.inputGradientInto;
      if (inputGradientInto === undefined)
        return ops.convBackward(gradOutput, input, weight, options, gradients);
      const { inputGradientInto: _into, ...rest } = gradients;
      const grads = ops.convBackward(gradOutput, input, weight, options, rest);
      if (grads.gradInput === null) return grads;
      inputGradientInto.data.set(flatValues(grads.gradInput), inputGradientInto.offset);
      return { ...grads, gradInput: inputGradientInto };
    },
  };
}
