import { describe, expect, it } from 'vitest';
import { conditionFlags } from './worker-handle';

describe('conditionFlags', () => {
  it('keeps the --conditions and -C flags (both spellings, with their values) and drops every other flag', () => {
    expect(
      conditionFlags([
        '--experimental-wasm-relaxed-simd',
        '--conditions=convkit-source',
        '--import',
        'tsx',
        '-C',
        'browser',
        '--max-old-space-size=4096',
        '--conditions',
        'development',
        '-C=worker',
      ]),
    ).toEqual(['--conditions=convkit-source', '-C', 'browser', '--conditions', 'development', '-C=worker']);
    expect(conditionFlags([])).toEqual([]);
    // A trailing flag without its value is dropped, not passed on broken.
    expect(conditionFlags(['--conditions'])).toEqual([]);
  });
});
