/**
 * The public option objects of the CPU ops (a contract listed in ARCHITECTURE.md). Shapes and
 * hyper-parameters are resolved by `convGeometry` in @convkit/tensor; these types only name
 * what a caller may pass.
 */
import type { Layout, Padding, PaddingMode, Tensor } from '@convkit/tensor';

/**
 * 'auto' picks the fastest available algorithm (selectConvAlgorithm); see `CONV_ALGORITHMS`
 * (and `DEFORM_CONV_ALGORITHMS` for deformConv) for the names.
 */
export type ConvAlgorithm = 'auto' | 'im2col' | 'reference' | (string & {});

export interface ConvOptions {
  bias?: Tensor | null;
  stride?: number | readonly number[];
  /** Symmetric per dim, [before, after] pairs per dim, 'same' (SAME_UPPER: extra after) or 'valid'. */
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  paddingMode?: PaddingMode;
  /** Activations NC[D]HW (default) or N[D]HWC; the weight is always [C_out, C_in/groups, ...k]. */
  layout?: Layout;
  algorithm?: ConvAlgorithm;
}

export interface ConvTransposeOptions {
  bias?: Tensor | null;
  stride?: number | readonly number[];
  /** The padding of the forward convolution this transposes: number, per dim or pairs. */
  padding?: number | readonly number[] | readonly (readonly [number, number])[] | 'valid';
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  /**
   * Only 'zeros' (as in PyTorch's ConvTranspose layers): padding crops the output of a
   * transposed convolution, so no other mode has a meaning. Others throw an UnsupportedError.
   */
  paddingMode?: 'zeros';
  /** Activations NC[D]HW (default) or N[D]HWC; the weight is always [C_in, C_out/groups, ...k]. */
  layout?: Layout;
  algorithm?: ConvAlgorithm;
}

export interface DeformConvOptions {
  bias?: Tensor | null;
  /** DCN v2 modulation: [N, offsetGroups * kh * kw, H_out, W_out], multiplied in raw. */
  mask?: Tensor | null;
  stride?: number | readonly number[];
  /** As for conv: number, per dim, [before, after] pairs, 'same' or 'valid'. */
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  algorithm?: ConvAlgorithm;
}

/** Gradients of convolution and transposed convolution. */
export interface ConvGradients {
  /** Same shape and layout as the input. */
  gradInput: Tensor;
  /** Same shape as the weight (PyTorch's layout). */
  gradWeight: Tensor;
  /**
   * [C_out]: gradOutput summed over the batch and every output position. Always returned,
   * whether or not the forward call had a bias (it is the bias gradient if there was one).
   */
  gradBias: Tensor;
}

/** Which gradients `convBackward` computes (the weight and bias gradients always). */
export interface ConvBackwardGradientOptions {
  /** Compute gradInput (default true); false returns gradInput null. */
  inputGradient?: boolean;
  /**
   * Write gradInput into this tensor and return it (contiguous float32, the input's shape in
   * the call's layout, sharing no memory with gradOutput, input, weight or bias); an error
   * with `inputGradient: false`.
   */
  inputGradientInto?: Tensor;
}

/** `convBackward`'s result when asked for chosen gradients: gradInput null when not computed. */
export interface PartialConvGradients extends Omit<ConvGradients, 'gradInput'> {
  gradInput: Tensor | null;
}

/** Gradients of deformable convolution. gradMask is null without a mask. */
export interface DeformConvGradients extends ConvGradients {
  gradOffset: Tensor;
  gradMask: Tensor | null;
}
