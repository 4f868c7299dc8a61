/**
 * The numbers analysis reports for one layer, and the internal result each layer family
 * returns (the same numbers plus the layer's SpatialMap).
 *
 * Conventions (the README lists them per layer):
 * - params: what PyTorch's `sum(p.numel() for p in module.parameters())` says; BatchNorm's
 *   running statistics are buffers, counted apart.
 * - macs: multiply-accumulates per sample (one batch element); conv
 *   C_out * prod(out) * C_in/groups * prod(k), transposed C_in * prod(in) * C_out/groups *
 *   prod(k), Linear in * out * rows; bias additions are not counted.
 * - flops = 2 x macs (a multiply and an add each).
 * - memory assumes float32 (4 bytes): activationBytes is the output for the whole batch,
 *   paramBytes the parameters, bufferBytes the buffers (num_batches_tracked is an int64).
 */
import type { LayerType } from './layer-spec';
import type { SpatialMap } from './spatial-map';

/** Bytes per value: analysis assumes float32 throughout. */
export const BYTES_PER_VALUE = 4;

/** A named share of a layer's parameters and MACs (DeformConv2d: deform, sampling, offset, mask). */
export interface LayerPart {
  readonly name: string;
  readonly params: number;
  readonly macs: number;
}

export interface LayerAnalysis {
  readonly type: LayerType;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Parameters, as PyTorch's p.numel() summed over the module (children included). */
  readonly params: number;
  /** Buffers (BatchNorm running mean, variance and num_batches_tracked). */
  readonly buffers: number;
  /** Multiply-accumulates per sample. */
  readonly macs: number;
  /** 2 x macs. */
  readonly flops: number;
  /** The output for the whole batch, in float32 bytes. */
  readonly activationBytes: number;
  readonly paramBytes: number;
  readonly bufferBytes: number;
  /** Where a layer's count comes from several pieces (DeformConv2d). */
  readonly parts?: readonly LayerPart[];
}

/** What one leaf layer family computes. */
export interface LeafResult {
  readonly outputShape: readonly number[];
  readonly params: number;
  readonly buffers?: number;
  readonly bufferBytes?: number;
  readonly macs: number;
  readonly parts?: readonly LayerPart[];
  readonly map: SpatialMap;
}
