/**
 * How error messages show a value that came: its kind and, where short, its content, so that
 * a string is never mistaken for a number (`got string '22'`, not `got 22`).
 */

/** A short description of a value for error messages: `number 3`, `array of length 2`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (value instanceof Float32Array) return `Float32Array of length ${value.length}`;
  if (typeof value === 'object') {
    let name: unknown;
    try {
      name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      name = undefined;
    }
    return typeof name === 'string' && name ? `${name} object` : 'object';
  }
  if (typeof value === 'string') return `string '${truncate(value)}'`;
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'symbol') return `symbol ${String(value.description ?? '')}`;
  if (typeof value === 'function') return 'function';
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** One entry of a list as messages print it: numbers bare, strings quoted, others described. */
function formatEntry(value: unknown, depth: number): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${truncate(value)}'`;
  if (Array.isArray(value) && depth < 2) return formatList(value, depth + 1);
  if (value === undefined) return 'undefined';
  return describeValue(value);
}

function formatList(list: readonly unknown[], depth: number): string {
  const shown = list.slice(0, 8).map((v) => formatEntry(v, depth));
  if (list.length > 8) shown.push(`... (${list.length} entries)`);
  return `[${shown.join(', ')}]`;
}

/**
 * A value as an option's message shows it: lists with their entries (`[2, '2']`, nested
 * pairs included), numbers bare, strings quoted (`'22'`, never `22`), everything else as
 * `describeValue` does.
 */
export function formatValue(value: unknown): string {
  if (Array.isArray(value)) return formatList(value, 0);
  if (typeof value === 'number') return `${value}`;
  if (typeof value === 'string') return `'${truncate(value)}'`;
  return describeValue(value);
}
