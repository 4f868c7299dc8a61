/**
 * validateLayerSpec: checks one spec against LAYER_SCHEMAS (known type, no unknown field, the
 * required fields present, every field of the right kind) and throws an ArgumentError whose
 * message names the layer (type and module path), the field, what was expected and what came:
 * `Conv2d 'features.3': unknown field 'kernel_size'; did you mean 'kernelSize'?`.
 * Children of containers are checked when the container is analysed, with their own paths.
 */
import { ArgumentError, PADDING_MODES } from '@convkit/tensor';
import { type FieldKind, LAYER_SCHEMAS, LAYER_TYPES } from './layer-schema';
import type { LayerSpec, LayerType } from './layer-spec';

const UPSAMPLE_MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'];

/** How errors name a layer: `Conv2d 'features.3'`, or the type alone at the top of analyzeLayer. */
export function layerLabel(type: string, path: string): string {
  return path ? `${type} '${path}'` : type;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function isIntList(v: unknown, min: number): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isInt(x, min));
}

const EXPECTED: Record<FieldKind, string> = {
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

function fits(kind: FieldKind, v: unknown): boolean {
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

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate a misspelt name most likely meant: snake_case, case or a typo away. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.replace(/[_-]/g, '').toLowerCase();
  const exact = candidates.find((c) => squash(c) === squash(name));
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Throws an ArgumentError unless `spec` is a well-formed LayerSpec (children not included). */
export function validateLayerSpec(spec: unknown, path: string): asserts spec is LayerSpec {
  const where = path ? `layer '${path}'` : 'layer';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: a layer spec must be an object with a 'type', got ${show(spec)}`);
  }
  const record = spec as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string') {
    throw new ArgumentError(`${where}: field 'type' must name a layer (e.g. 'Conv2d'), got ${show(type)}`);
  }
  if (!Object.hasOwn(LAYER_SCHEMAS, type)) {
    const guess = closest(type, LAYER_TYPES);
    throw new ArgumentError(
      `${where}: unknown type '${type}'${guess ? `; did you mean '${guess}'?` : `; known types: ${LAYER_TYPES.join(', ')}`}`,
    );
  }
  const schema = LAYER_SCHEMAS[type as LayerType];
  const label = layerLabel(type, path);
  const known = ['type', 'name', ...Object.keys(schema.required), ...Object.keys(schema.optional)];
  for (const field of Object.keys(record)) {
    if (known.includes(field)) continue;
    const guess = closest(field, known);
    throw new ArgumentError(
      `${label}: unknown field '${field}'${guess ? `; did you mean '${guess}'?` : `; ${type} takes ${known.slice(1).join(', ')}`}`,
    );
  }
  if (
    record.name !== undefined &&
    (typeof record.name !== 'string' || record.name === '' || record.name.includes('.'))
  ) {
    throw new ArgumentError(
      `${label}: field 'name' must be a non-empty module name without '.', got ${show(record.name)}`,
    );
  }
  for (const [field, kind] of Object.entries(schema.required)) {
    if (record[field] === undefined)
      throw new ArgumentError(`${label}: missing field '${field}' (${EXPECTED[kind]})`);
  }
  for (const [field, kind] of [...Object.entries(schema.required), ...Object.entries(schema.optional)]) {
    const value = record[field];
    if (value === undefined) continue;
    if (!fits(kind, value))
      throw new ArgumentError(`${label}: field '${field}' must be ${EXPECTED[kind]}, got ${show(value)}`);
  }
}
