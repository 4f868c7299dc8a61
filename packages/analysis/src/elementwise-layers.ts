/**
 * Layers that keep their input's shape: activations (ReLU, ReLU6, LeakyReLU, PReLU, ELU,
 * CELU, SELU, GELU, SiLU, Mish, Sigmoid, Tanh, Hardswish, Hardsigmoid, Hardtanh, Softplus,
 * Softmax, LogSoftmax), dropout (Dropout, Dropout1d/2d/3d, AlphaDropout) and Identity.
 *
 * Parameters: PReLU has numParameters (1, or one per channel); the others none.
 * MACs: 0. Activations are elementwise functions and comparisons, not multiply-accumulates;
 * dropout is the identity at inference.
 * Spatial footprint: pointwise, except Softmax/LogSoftmax over a spatial dim, which reads the
 * whole dim.
 */
import { ArgumentError, formatShape, ShapeError } from '@convkit/tensor';
import type { LeafResult } from './layer-analysis';
import type { ActivationSpec, DropoutSpec, IdentitySpec } from './layer-spec';

export function analyzeElementwise(
  spec: ActivationSpec | DropoutSpec | IdentitySpec,
  input: readonly number[],
  label: string,
): LeafResult {
  if (spec.type === 'PReLU') {
    const count = spec.numParameters ?? 1;
    if (count !== 1 && (input.length < 2 || input[1] !== count)) {
      throw new ShapeError(
        `${label}: numParameters=${count} must be 1 or the input's channel count (dim 1), got input ${formatShape(input)}`,
      );
    }
    return { outputShape: input, params: count, macs: 0, map: { kind: 'pointwise' } };
  }
  if (spec.type === 'Softmax' || spec.type === 'LogSoftmax') {
    const rank = input.length;
    // PyTorch's implicit dim (deprecated there): 0 for ranks 0, 1 and 3, else 1.
    const given = spec.dim ?? (rank === 0 || rank === 1 || rank === 3 ? 0 : 1);
    if (given < -rank || given >= rank) {
      throw new ArgumentError(
        `${label}: dim must be in [${-rank}, ${rank - 1}] for input ${formatShape(input)}, got ${given}`,
      );
    }
    const dim = given < 0 ? given + rank : given;
    if (rank >= 3 && dim >= 2) {
      const spatial = input.slice(2);
      return {
        outputShape: input,
        params: 0,
        macs: 0,
        map: { kind: 'global', dims: [dim - 2], inputSpatial: spatial, outputSpatial: spatial },
      };
    }
  }
  return { outputShape: input, params: 0, macs: 0, map: { kind: 'pointwise' } };
}
