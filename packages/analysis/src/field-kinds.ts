/**
 * The field kinds of layer specs (and of the cost comparisons' arguments): fitsField tells
 * whether a value is of a kind, FIELD_EXPECTED says what the kind holds in words, showValue
 * echoes a value in an error message. validateLayerSpec and checkCostArgs share them, so a
 * field gets the same message wherever it is checked.
 */
import { formatValue, PADDING_MODES } from '@convkit/tensor';
import type { FieldKind } from './layer-schema';

const UPSAMPLE_MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'];

/** A value as error messages echo it: JSON, cut at 60 characters; undefined and NaN by name. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  // BigInts, symbols, functions, cycles: described instead of serialised.
  if (typeof text !== 'string') text = formatValue(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function isIntList(v: unknown, min: number): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isInt(x, min));
}

/** What a field of each kind must hold, as error messages say it. */
export const FIELD_EXPECTED: Readonly<Record<FieldKind, string>> = {
  positiveInt: 'a positive integer',
  int: 'an integer',
  positivePerDim: 'a positive integer or a list of them (one per spatial dim)',
  nonNegativePerDim: 'a non-negative integer or a list of them (one per spatial dim)',
  padding: "a non-negative integer, one per spatial dim, [before, after] pairs, 'same' or 'valid'",
  boolean: 'true or false',
  number: 'a finite number',
  numberOrNull: 'a finite number or null',
  positiveNumber: 'a positive number',
  probability: 'a probability between 0 and 1',
  paddingMode: `one of ${PADDING_MODES.map((m) => `'${m}'`).join(', ')}`,
  upsampleMode: `one of ${UPSAMPLE_MODES.map((m) => `'${m}'`).join(', ')}`,
  approximate: "'none' or 'tanh'",
  outputSize: 'a positive integer or a list of positive integers and nulls (null keeps the input size)',
  scaleFactor: 'a positive number or a list of them (one per spatial dim)',
  specs: 'a list of layer specs',
  childName: "a module name without '.'",
};

/** True when `v` is a value of this kind. */
export function fitsField(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case 'positiveInt':
      return isInt(v, 1);
    case 'int':
      return isInt(v, Number.MIN_SAFE_INTEGER);
    case 'positivePerDim':
      return isInt(v, 1) || isIntList(v, 1);
    case 'nonNegativePerDim':
      return isInt(v, 0) || isIntList(v, 0);
    case 'padding':
      return (
        v === 'same' ||
        v === 'valid' ||
        isInt(v, 0) ||
        isIntList(v, 0) ||
        (Array.isArray(v) &&
          v.length > 0 &&
          v.every((pair) => Array.isArray(pair) && pair.length === 2 && isIntList(pair, 0)))
      );
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'numberOrNull':
      return v === null || (typeof v === 'number' && Number.isFinite(v));
    case 'positiveNumber':
      return typeof v === 'number' && Number.isFinite(v) && v > 0;
    case 'probability':
      return typeof v === 'number' && v >= 0 && v <= 1;
    case 'paddingMode':
      return (PADDING_MODES as readonly unknown[]).includes(v);
    case 'upsampleMode':
      return UPSAMPLE_MODES.includes(v as string);
    case 'approximate':
      return v === 'none' || v === 'tanh';
    case 'outputSize':
      return isInt(v, 1) || (Array.isArray(v) && v.length > 0 && v.every((x) => x === null || isInt(x, 1)));
    case 'scaleFactor': {
      const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
      return positive(v) || (Array.isArray(v) && v.length > 0 && v.every(positive));
    }
    case 'specs':
      return Array.isArray(v);
    case 'childName':
      return typeof v === 'string' && !v.includes('.');
  }
}
