/**
 * readOptions and the option readers: the one way every convkit function reads an options
 * object, so that no option is ever read through the prototype chain, misspelt silently, or
 * used before its type is checked.
 *
 * - `readOptions(op, options, keys)` accepts `undefined`, `null` or a plain object (an object
 *   literal or `Object.create(null)`; not a Map, an array, a class instance or a Tensor). It
 *   reads each OWN ENUMERABLE string key once (inherited keys, including anything added to
 *   `Object.prototype`, are never seen), refuses a key that is not in `keys` with a
 *   "did you mean" hint, and returns a frozen, prototype-free record of the known keys.
 * - THE NULL RULE: `null` means the same as `undefined` everywhere in convkit: "not given,
 *   use the default". So `{ stride: null }` is stride 1, `{ bias: null }` is no bias, and a
 *   `null` options object is no options. A key whose value is `undefined` or `null` is dropped
 *   from the record, so an unknown key with such a value is ignored rather than refused.
 * - The readers (`optionNumber`, `optionInteger`, `optionBoolean`, `optionEnum`,
 *   `optionString`, `optionIntList`) turn one value into a checked one, or the default when
 *   it is `undefined` or `null`, and throw an ArgumentError naming the op, the option, what
 *   was expected and what came (`conv2d: stride must be a positive integer or 2 of them (one
 *   per spatial dim), got string '22'`).
 */
import { describeValue, formatValue } from './describe-value';
import { ArgumentError } from './errors';

/** What `readOptions` returns: the known keys that were given, each read once. */
export type OptionRecord<K extends string> = { readonly [P in K]?: unknown };

/** True for an object literal, `Object.create(null)`, or such an object from another realm. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
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

/**
 * The known name closest to `name` (`padding_mode` -> `paddingMode`, `transa` -> `transA`,
 * `strides` -> `stride`), or undefined when none is close.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (typeof name !== 'string' || !Array.isArray(known)) return undefined;
  const squash = (s: string) => s.replace(/[_\-\s]/g, '').toLowerCase();
  const target = squash(name);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    if (typeof candidate !== 'string') continue;
    const distance = squash(candidate) === target ? 0 : editDistance(target, squash(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  // Close, relative to both names' lengths: 'c' is not a misspelling of 'a'.
  const shorter = Math.min(target.length, squash(best).length);
  return bestDistance <= Math.max(2, Math.floor(target.length / 3)) && bestDistance < shorter
    ? best
    : undefined;
}

/**
 * Reads an options object: undefined, null or a plain object whose own enumerable keys are
 * all in `keys` (keys whose value is undefined or null are dropped: the null rule). Throws an
 * ArgumentError otherwise: `conv2d: unknown option 'padding_mode'; the options are 'bias',
 * ..., 'algorithm'; did you mean 'paddingMode'?`. `argument` names the object in messages.
 */
export function readOptions<K extends string>(
  op: string,
  options: unknown,
  keys: readonly K[],
  argument = 'options',
): OptionRecord<K> {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw new ArgumentError(`${op}: the known option keys must be a list of names, got ${formatValue(keys)}`);
  }
  const record: Record<string, unknown> = Object.create(null);
  if (options === undefined || options === null) return Object.freeze(record) as OptionRecord<K>;
  if (!isPlainObject(options)) {
    throw new ArgumentError(
      `${op}: ${argument} must be a plain object ({ key: value }), got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    const value = options[key];
    if (value === undefined || value === null) continue;
    if (!(keys as readonly string[]).includes(key)) {
      const hint = closestName(key, keys);
      const list = keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'none';
      throw new ArgumentError(
        `${op}: unknown option '${key}'${argument === 'options' ? '' : ` in ${argument}`}; the options are ${list}${hint ? `; did you mean '${hint}'?` : ''}`,
      );
    }
    record[key] = value;
  }
  return Object.freeze(record) as OptionRecord<K>;
}

function fail(op: string, name: string, expected: string, value: unknown, described = false): never {
  const got = described ? String(value) : formatValue(value);
  throw new ArgumentError(`${op}: ${name} must be ${expected}, got ${got}`);
}

/** Bounds for `optionNumber` and `optionInteger` (inclusive unless said otherwise). */
export interface NumberRange {
  min?: number;
  max?: number;
  /** The value must be greater than `min`, not equal to it. */
  minExclusive?: boolean;
}

function rangeWords(range: NumberRange): string {
  const { min, max, minExclusive } = range ?? {};
  if (min !== undefined && max !== undefined) return ` in [${min}, ${max}]`;
  if (min === 0 && minExclusive) return ' greater than 0';
  if (min !== undefined) return minExclusive ? ` greater than ${min}` : ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function inRange(value: number, range: NumberRange): boolean {
  const { min, max, minExclusive } = range ?? {};
  if (min !== undefined && (minExclusive ? value <= min : value < min)) return false;
  return max === undefined || value <= max;
}

/** A finite number within `range`, or `fallback` when the value is undefined or null. */
export function optionNumber<F extends number | undefined>(
  op: string,
  name: string,
  value: unknown,
  fallback: F,
  range: NumberRange = {},
): number | F {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(value, range)) {
    fail(op, name, `a finite number${rangeWords(range)}`, value);
  }
  return value;
}

function integerWords(range: NumberRange): string {
  if (range?.min === 1 && range.max === undefined) return 'a positive integer';
  if (range?.min === 0 && range.max === undefined) return 'a non-negative integer';
  return `an integer${rangeWords(range)}`;
}

/** A safe integer within `range`, or `fallback` when the value is undefined or null. */
export function optionInteger<F extends number | undefined>(
  op: string,
  name: string,
  value: unknown,
  fallback: F,
  range: NumberRange = {},
): number | F {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || !inRange(value, range)) {
    fail(op, name, integerWords(range), value);
  }
  return value;
}

/** `optionInteger` with min 1: `groups`, `threads`, sizes. */
export function optionPositiveInt<F extends number | undefined>(
  op: string,
  name: string,
  value: unknown,
  fallback: F,
): number | F {
  return optionInteger(op, name, value, fallback, { min: 1 });
}

/** true or false (no truthy strings or numbers), or `fallback` when undefined or null. */
export function optionBoolean<F extends boolean | undefined>(
  op: string,
  name: string,
  value: unknown,
  fallback: F,
): boolean | F {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') fail(op, name, 'true or false', describeValue(value), true);
  return value;
}

/** A string, or `fallback` when undefined or null (for names checked elsewhere, e.g. algorithms). */
export function optionString<F extends string | undefined>(
  op: string,
  name: string,
  value: unknown,
  fallback: F,
): string | F {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') fail(op, name, 'a string', describeValue(value), true);
  return value;
}

/** One of `allowed` (compared with ===), or `fallback` when undefined or null. */
export function optionEnum<T extends string, F extends T | undefined>(
  op: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: F,
): T | F {
  if (!Array.isArray(allowed)) {
    throw new ArgumentError(
      `${op}: the allowed values of ${name} must be a list, got ${formatValue(allowed)}`,
    );
  }
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const hint = typeof value === 'string' ? closestName(value, allowed) : undefined;
    const quoted = allowed.map((a) => `'${a}'`);
    const list = quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `one of ${quoted.join(', ')}`;
    const got = typeof value === 'string' ? formatValue(value) : describeValue(value);
    throw new ArgumentError(
      `${op}: ${name} must be ${list}, got ${got}${hint ? `; did you mean '${hint}'?` : ''}`,
    );
  }
  return value as T;
}

/** What `optionIntList` accepts. */
export interface IntListSpec {
  /** The number of entries the result has; a single number is repeated to this length. */
  length: number;
  /** The smallest allowed entry (1 for sizes and strides, 0 for paddings). */
  min: number;
  /** The list when the value is undefined or null. */
  fallback: readonly number[];
  /** The largest allowed entry (default Number.MAX_SAFE_INTEGER). */
  max?: number;
  /** What one entry is, for messages (default from `min`: 'positive integer'...). */
  entry?: string;
  /** What `length` counts, for messages (default 'one per spatial dim'). */
  per?: string;
}

/**
 * A number or a list of `length` numbers (a real Array, entries safe integers in
 * [min, max]) as a list of `length` integers; `fallback` when undefined or null:
 * `conv2d: stride must be a positive integer or 2 of them (one per spatial dim), got string '22'`.
 */
export function optionIntList(op: string, name: string, value: unknown, spec: IntListSpec): number[] {
  if (
    typeof spec !== 'object' ||
    spec === null ||
    !Number.isSafeInteger(spec.length) ||
    spec.length < 1 ||
    typeof spec.min !== 'number' ||
    !Array.isArray(spec.fallback)
  ) {
    throw new ArgumentError(
      `${op}: the spec of ${name} must be { length, min, fallback } (a positive length, a minimum and a default list), got ${formatValue(spec)}`,
    );
  }
  const { length, min, max = Number.MAX_SAFE_INTEGER } = spec;
  if (value === undefined || value === null) return [...spec.fallback];
  const entry =
    spec.entry ?? (min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer' : `integer >= ${min}`);
  const bounds = max === Number.MAX_SAFE_INTEGER ? '' : ` (at most ${max})`;
  const expected = `a ${entry}${bounds} or ${length} of them (${spec.per ?? 'one per spatial dim'})`;
  const ok = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
  if (typeof value === 'number') {
    if (!ok(value)) fail(op, name, expected, value);
    return new Array<number>(length).fill(value);
  }
  if (!Array.isArray(value)) fail(op, name, expected, value);
  const list = [...value] as unknown[];
  if (list.length !== length && !(list.length === 1 && length >= 1)) fail(op, name, expected, value);
  if (!list.every(ok)) fail(op, name, expected, value);
  return list.length === length ? (list as number[]) : new Array<number>(length).fill(list[0] as number);
}
