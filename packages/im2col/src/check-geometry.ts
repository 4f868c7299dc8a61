/**
 * checkGeometry: the argument check of every function here that takes a ConvGeometry rather
 * than a Tensor. A geometry is a plain frozen object (so one from another copy of
 * @convkit/tensor passes), but it must be one convGeometry would build: it is rebuilt from its
 * hyper-parameters once and compared, so a hand-made or edited object (whose sizes could
 * send the lowering loops outside their buffers) is an ArgumentError before a field is used.
 */
import { ArgumentError, type ConvGeometry, convGeometry, describeValue, sameShape } from '@convkit/tensor';

/** Frozen geometries already checked (compared by identity). */
const verified = new WeakSet<object>();

function notGeometry(op: string, value: unknown, why: string): never {
  throw new ArgumentError(
    `${op}: geometry must be a ConvGeometry from convGeometry(), got ${describeValue(value)}${why}`,
  );
}

/** Throws an ArgumentError unless `value` is a ConvGeometry that convGeometry() would build. */
export function checkGeometry(op: string, value: unknown): asserts value is ConvGeometry {
  const geometry = value as Partial<ConvGeometry> | null;
  if (
    typeof geometry !== 'object' ||
    geometry === null ||
    !Array.isArray(geometry.outputSpatial) ||
    !Array.isArray(geometry.inputSpatial) ||
    !Array.isArray(geometry.kernelSize)
  ) {
    notGeometry(op, value, '');
  }
  if (verified.has(geometry)) return;
  let rebuilt: ConvGeometry;
  try {
    const g = geometry as ConvGeometry;
    rebuilt = convGeometry({
      op: g.op,
      transposed: g.transposed,
      batch: g.batch,
      inChannels: g.inChannels,
      outChannels: g.outChannels,
      inputSpatial: g.inputSpatial,
      kernelSize: g.kernelSize,
      stride: g.stride,
      dilation: g.dilation,
      padding: g.padBefore.map((before, d) => [before, g.padAfter[d]!] as [number, number]),
      groups: g.groups,
      outputPadding: g.transposed ? g.outputPadding : undefined,
      paddingMode: g.paddingMode,
      layout: g.layout,
      ceilMode: g.ceilMode,
      offsetGroups: g.offsetGroups > 0 ? g.offsetGroups : undefined,
    });
  } catch (error) {
    notGeometry(op, value, ` (its fields do not describe a convolution: ${(error as Error).message})`);
  }
  const fields = ['outputSpatial', 'inputShape', 'outputShape', 'kernelExtent', 'weightShape'] as const;
  for (const field of fields) {
    if (!Array.isArray(geometry[field]) || !sameShape(geometry[field], rebuilt[field])) {
      notGeometry(op, value, ` (its ${field} does not follow from its other fields)`);
    }
  }
  for (const field of ['kernelVolume', 'inputVolume', 'outputVolume', 'dims'] as const) {
    if (geometry[field] !== rebuilt[field]) {
      notGeometry(op, value, ` (its ${field} does not follow from its other fields)`);
    }
  }
  // Only a frozen geometry (as convGeometry returns) cannot change after this check.
  const frozen =
    Object.isFrozen(geometry) &&
    Object.values(geometry).every((v) => !Array.isArray(v) || Object.isFrozen(v));
  if (frozen) verified.add(geometry);
}
