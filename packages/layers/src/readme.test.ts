/** The README's examples run: the quick start (examples/quick-start.ts: the loss falls, a checkpoint is written) and examples/two-threads.ts. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSafetensors } from './io/safetensors';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README quick start', () => {
  it('is examples/quick-start.ts, which trains and saves a model', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = readme.split('```ts\n')[1]!.split('```')[0]!;
    const example = join(root, 'examples/quick-start.ts');
    expect(block).toBe(readFileSync(example, 'utf8'));
    const cwd = mkdtempSync(join(tmpdir(), 'convkit-quick-start-'));
    const tsx = pathToFileURL(join(root, '../../node_modules/tsx/dist/esm/index.mjs')).href;
    const out = execFileSync(process.execPath, ['--conditions=convkit-source', '--import', tsx, example], {
      cwd,
      encoding: 'utf8',
    });
    const losses = [...out.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(4);
    expect(losses[3]!).toBeLessThan(losses[0]!);
    const saved = loadSafetensors(new Uint8Array(readFileSync(join(cwd, 'model.safetensors'))));
    expect(Object.keys(saved)).toContain('1.num_batches_tracked');
  });

  it('shows examples/two-threads.ts, which trains a step on a 2-thread context', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = join(root, 'examples/two-threads.ts');
    expect(readme).toContain(`\`\`\`ts\n${readFileSync(example, 'utf8')}\`\`\``);
    const tsx = pathToFileURL(join(root, '../../node_modules/tsx/dist/esm/index.mjs')).href;
    const out = execFileSync(process.execPath, ['--conditions=convkit-source', '--import', tsx, example], {
      cwd: mkdtempSync(join(tmpdir(), 'convkit-two-threads-')),
      encoding: 'utf8',
    });
    expect(out).toMatch(/^2 threads: loss \d+\.\d{4}\n$/);
  });
});
