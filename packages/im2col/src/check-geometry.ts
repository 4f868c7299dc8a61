/**
 * checkGeometry: the argument check of every function here that takes a ConvGeometry rather
 * than a Tensor. A geometry is a plain frozen object (so one from another copy of
 * @convkit/tensor passes); anything else is an ArgumentError before a field is read.
 */
import { ArgumentError, type ConvGeometry, describeValue } from '@convkit/tensor';

/** Throws an ArgumentError unless `value` looks like a ConvGeometry from convGeometry(). */
export function checkGeometry(op: string, value: unknown): asserts value is ConvGeometry {
  const geometry = value as Partial<ConvGeometry> | null;
  if (
    typeof geometry !== 'object' ||
    geometry === null ||
    !Array.isArray(geometry.outputSpatial) ||
    !Array.isArray(geometry.inputSpatial) ||
    !Array.isArray(geometry.kernelSize)
  ) {
    throw new ArgumentError(
      `${op}: geometry must be a ConvGeometry from convGeometry(), got ${describeValue(value)}`,
    );
  }
}
