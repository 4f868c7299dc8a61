import { describe, expect, it } from 'vitest';
import { SelectionError, selectById, splitList } from './select-by-id';

const ids = [
  'c3x3',
  'c3x3-bwd',
  'conv1d',
  'conv3d',
  'convkit-reference',
  'ort-node-1t',
  'ort-node-2t',
  'ort-web-2t',
];
const select = (patterns: string[]) => selectById(ids, (id) => id, patterns, 'filter');

describe('selectById', () => {
  it('selects an exact id alone, even when it prefixes others', () => {
    expect(select(['c3x3'])).toEqual(['c3x3']);
  });

  it('matches prefixes and globs, keeping the items in their own order', () => {
    expect(select(['conv'])).toEqual(['conv1d', 'conv3d', 'convkit-reference']);
    expect(select(['*-2t', 'c3x3-bwd'])).toEqual(['c3x3-bwd', 'ort-node-2t', 'ort-web-2t']);
    expect(select(['ort-*-1t'])).toEqual(['ort-node-1t']);
  });

  it('refuses a pattern that matches nothing and lists the known ids', () => {
    expect(() => select(['c5x5'])).toThrow(SelectionError);
    expect(() => select(['c5x5'])).toThrow(`--filter: 'c5x5' matches nothing; known: ${ids.join(', ')}`);
    expect(() => select([])).toThrow('--filter: give at least one id');
  });

  it('splits comma-separated lists and drops blanks', () => {
    expect(splitList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
  });
});
