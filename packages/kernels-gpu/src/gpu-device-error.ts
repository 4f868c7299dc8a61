/**
 * GpuDeviceError: what the GPU itself reported about a call (a validation error, an internal
 * error, or the device was lost), surfaced as a typed convkit error on the pending call
 * (`await t.toTensor()` rejects with it) instead of a console warning or a hang. Running out
 * of GPU memory is a ResourceError (from @convkit/tensor), like every other exceeded limit.
 */
import { ConvkitError } from '@convkit/tensor';

const KIND = 'GpuDeviceError';

export class GpuDeviceError extends ConvkitError {
  constructor(
    message: string,
    /** 'validation' | 'internal' | 'lost' | 'destroyed' */
    readonly reason: string,
  ) {
    super(KIND, message);
  }

  static override isInstance(value: unknown): value is GpuDeviceError {
    return ConvkitError.isInstance(value) && (value as ConvkitError).kind === KIND;
  }
}
