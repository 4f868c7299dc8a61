/**
 * selectById: the items whose id matches one of comma-separated patterns, as --filter and
 * --engines take them. A pattern that is an id selects that id only ('c3x3', not 'c3x3-bwd');
 * otherwise it matches as a prefix ('convkit' matches 'convkit-reference') or as a glob with
 * '*' ('*-2t'). A pattern that matches nothing is an error that lists the ids there are, so a
 * typo never silently runs an empty bench.
 */

export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}

function matches(pattern: string, id: string, ids: readonly string[]): boolean {
  if (ids.includes(pattern)) return id === pattern;
  if (pattern.includes('*')) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${source}$`).test(id);
  }
  return id === pattern || id.startsWith(pattern);
}

/** Splits 'a,b , c' into ['a', 'b', 'c']. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Items matching any pattern, in their own order; every pattern must match something. */
export function selectById<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  patterns: readonly string[],
  what: string,
): T[] {
  if (patterns.length === 0) throw new SelectionError(`--${what}: give at least one id`);
  const ids = items.map(idOf);
  for (const pattern of patterns) {
    if (!ids.some((id) => matches(pattern, id, ids))) {
      throw new SelectionError(`--${what}: '${pattern}' matches nothing; known: ${ids.join(', ')}`);
    }
  }
  return items.filter((item) => patterns.some((pattern) => matches(pattern, idOf(item), ids)));
}
