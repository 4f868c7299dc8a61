/**
 * validateLayerSpec: checks one spec against LAYER_SCHEMAS (known type, no unknown field, the
 * required fields present, every field of the right kind) and throws an ArgumentError whose
 * message names the layer (type and module path), the field, what was expected and what came:
 * `Conv2d 'features.3': unknown field 'kernel_size'; did you mean 'kernelSize'?`.
 * Children of containers are checked when the container is analysed, with their own paths.
 */
import { ArgumentError } from '@convkit/tensor';
import { FIELD_EXPECTED, fitsField, showValue } from './field-kinds';
import { LAYER_SCHEMAS, LAYER_TYPES } from './layer-schema';
import type { LayerSpec, LayerType } from './layer-spec';

/** How errors name a layer: `Conv2d 'features.3'`, or the type alone at the top of analyzeLayer. */
export function layerLabel(type: string, path: string): string {
  return path ? `${type} '${path}'` : type;
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
export function validateLayerSpec(spec: unknown, pathArg: string): asserts spec is LayerSpec {
  // The path only names the layer in messages; anything but a string names none.
  const path = typeof pathArg === 'string' ? pathArg : '';
  const where = path ? `layer '${path}'` : 'layer';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: a layer spec must be an object with a 'type', got ${showValue(spec)}`);
  }
  // Own fields only (an inherited Object.prototype.kernelSize must not count), and null means
  // absent, as everywhere in convkit.
  const own = (field: string): unknown => {
    if (!Object.hasOwn(spec, field)) return undefined;
    const value = (spec as Record<string, unknown>)[field];
    return value === null ? undefined : value;
  };
  const record = spec as Record<string, unknown>;
  const type = own('type');
  if (typeof type !== 'string') {
    throw new ArgumentError(
      `${where}: field 'type' must name a layer (e.g. 'Conv2d'), got ${showValue(type)}`,
    );
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
    if (known.includes(field) || own(field) === undefined) continue;
    const guess = closest(field, known);
    throw new ArgumentError(
      `${label}: unknown field '${field}'${guess ? `; did you mean '${guess}'?` : `; ${type} takes ${known.slice(1).join(', ')}`}`,
    );
  }
  const name = own('name');
  if (name !== undefined && (typeof name !== 'string' || name === '' || name.includes('.'))) {
    throw new ArgumentError(
      `${label}: field 'name' must be a non-empty module name without '.', got ${showValue(name)}`,
    );
  }
  for (const [field, kind] of Object.entries(schema.required)) {
    if (own(field) === undefined)
      throw new ArgumentError(`${label}: missing field '${field}' (${FIELD_EXPECTED[kind]})`);
  }
  for (const [field, kind] of [...Object.entries(schema.required), ...Object.entries(schema.optional)]) {
    const value = own(field);
    if (value === undefined) continue;
    if (!fitsField(kind, value))
      throw new ArgumentError(
        `${label}: field '${field}' must be ${FIELD_EXPECTED[kind]}, got ${showValue(value)}`,
      );
  }
}
