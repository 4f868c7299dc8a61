/**
 * checkCostArgs: the argument check of the cost comparisons (separableCost, groupedCost,
 * pointwiseCost, bottleneckCost). They take one object; a missing, misspelt or ill-typed field
 * would otherwise reach convGeometry as `undefined` (a kernel size silently 1) or break it with
 * a TypeError, so each field is checked here and refused with an ArgumentError that names the
 * function, the field, what it must hold and what came: `separableCost: inputSpatial must be a
 * list of 1 to 3 positive integers (the input's spatial size, e.g. [224, 224]), got undefined`.
 */
import { ArgumentError, readOptions } from '@convkit/tensor';
import { FIELD_EXPECTED, fitsField, showValue } from './field-kinds';
import type { FieldKind } from './layer-schema';

/** The fields of a comparison: each with its kind, and whether it may be left out. */
export type CostFields = Readonly<Record<string, { kind: FieldKind | 'inputSpatial'; optional?: boolean }>>;

/** The window every comparison shares (ConvWindow). */
export const WINDOW_FIELDS: CostFields = {
  inputSpatial: { kind: 'inputSpatial' },
  kernelSize: { kind: 'positivePerDim' },
  stride: { kind: 'positivePerDim', optional: true },
  padding: { kind: 'padding', optional: true },
  dilation: { kind: 'positivePerDim', optional: true },
};

const INPUT_SPATIAL = "a list of 1 to 3 positive integers (the input's spatial size, e.g. [224, 224])";

function fitsInputSpatial(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.length >= 1 &&
    v.length <= 3 &&
    v.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 1)
  );
}

/**
 * Throws an ArgumentError unless `args` is an object holding exactly these fields, well typed;
 * returns them read once (own keys only, so nothing inherited is ever used; null means absent).
 */
export function checkCostArgs<T>(op: string, args: T, fields: CostFields): T {
  const names = Object.keys(fields);
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ArgumentError(
      `${op}: its argument must be an object with ${names.join(', ')}, got ${showValue(args)}`,
    );
  }
  const record = readOptions(op, args, names) as Record<string, unknown>;
  for (const [name, { kind, optional }] of Object.entries(fields)) {
    const value = record[name];
    if (value === undefined && optional) continue;
    const fits = kind === 'inputSpatial' ? fitsInputSpatial(value) : fitsField(kind, value);
    if (!fits) {
      const expected = kind === 'inputSpatial' ? INPUT_SPATIAL : FIELD_EXPECTED[kind];
      // Show a null that was given (the null rule made it "absent").
      const given =
        value === undefined && Object.hasOwn(args as object, name)
          ? (args as Record<string, unknown>)[name]
          : value;
      throw new ArgumentError(`${op}: ${name} must be ${expected}, got ${showValue(given)}`);
    }
  }
  return record as T;
}
