/**
 * spatialInput: checks that a layer's input is a batched channels-first tensor with the
 * layer's number of spatial dims ([N, C, L], [N, C, H, W] or [N, C, D, H, W], as PyTorch's
 * modules take it) and splits it into batch, channels and spatial sizes.
 */
import { formatShape, ShapeError } from '@convkit/tensor';

const LAYOUT: Record<number, string> = { 1: '[N, C, L]', 2: '[N, C, H, W]', 3: '[N, C, D, H, W]' };

export interface SpatialInput {
  readonly batch: number;
  readonly channels: number;
  readonly spatial: readonly number[];
}

export function spatialInput(label: string, input: readonly number[], dims: 1 | 2 | 3): SpatialInput {
  if (input.length !== dims + 2) {
    const hint = input.length === dims + 1 ? '; add the batch dimension' : '';
    throw new ShapeError(
      `${label}: input must be ${LAYOUT[dims]} (rank ${dims + 2}), got ${formatShape(input)}${hint}`,
    );
  }
  return { batch: input[0]!, channels: input[1]!, spatial: input.slice(2) };
}

/** Throws unless the input's channel count is what the layer was built for. */
export function expectChannels(label: string, field: string, expected: number, got: number): void {
  if (expected !== got)
    throw new ShapeError(`${label}: input has ${got} channels but ${field} is ${expected}`);
}
