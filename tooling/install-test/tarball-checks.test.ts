import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkRepository,
  checkSourceManifest,
  checkTarball,
  exportCondition,
  type Manifest,
} from './tarball-checks';

// Built from parts, so that this file does not itself point outside the repository.
const OUTSIDE_NOTE = ['DESIGN', 'md'].join('.');
const OUTSIDE_DIR = ['..', 'shared', ''].join('/');

const entry = {
  import: { types: './dist/index.d.ts', default: './dist/index.js' },
  require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
};

function sourceManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    name: '@convkit/x',
    version: '0.1.0',
    exports: { '.': { 'convkit-source': './src/index.ts', ...entry }, './package.json': './package.json' },
    publishConfig: { exports: { '.': entry, './package.json': './package.json' } },
    scripts: { build: 'tsup', prepack: 'pnpm run build' },
    dependencies: { '@convkit/tensor': 'workspace:^', other: '^1.0.0' },
    ...overrides,
  };
}

function packedManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    name: '@convkit/x',
    version: '0.1.0',
    description: 'x',
    keywords: ['x'],
    license: 'MIT',
    repository: { type: 'git', url: 'git+https://example.org/x.git', directory: 'packages/x' },
    homepage: 'https://example.org/x',
    bugs: 'https://example.org/x/issues',
    engines: { node: '>=20' },
    files: ['dist', 'src'],
    type: 'module',
    sideEffects: false,
    exports: { '.': entry },
    dependencies: { '@convkit/tensor': '^0.1.0' },
    ...overrides,
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An unpacked tarball: `files` maps paths to contents; a good one unless overridden. */
function tarball(files: Record<string, string | null> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-tarball-check-'));
  dirs.push(dir);
  const all: Record<string, string | null> = {
    'package.json': JSON.stringify(packedManifest()),
    LICENSE: 'MIT License',
    'README.md': '# x\n\n[docs](https://example.org) and [below](#api)\n',
    'dist/index.js': 'export const a = 1;\n//# sourceMappingURL=index.js.map',
    'dist/index.js.map': JSON.stringify({ version: 3, sources: ['../src/index.ts'], mappings: '' }),
    'dist/index.d.ts': 'export declare const a = 1;\n',
    'src/index.ts': 'export const a = 1;\n',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    if (content === null) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('checkSourceManifest', () => {
  it('accepts a package laid out as CONTRIBUTING.md says', () => {
    expect(checkSourceManifest(sourceManifest())).toEqual([]);
  });

  it('wants publishConfig.exports to be exports without the source condition', () => {
    expect(checkSourceManifest(sourceManifest({ publishConfig: {} }))[0]).toMatch(/publishConfig\.exports/);
    const stale = sourceManifest({ publishConfig: { exports: { '.': { import: './dist/old.js' } } } });
    expect(checkSourceManifest(stale)).toHaveLength(1);
  });

  it('wants convkit dependencies as workspace:^ and a prepack that builds', () => {
    const problems = checkSourceManifest(
      sourceManifest({ dependencies: { '@convkit/tensor': 'workspace:*' }, scripts: { build: 'tsup' } }),
    );
    expect(problems).toEqual([
      "package.json: dependencies.@convkit/tensor is 'workspace:*', expected 'workspace:^'",
      "package.json: scripts.prepack must run the build (a fresh clone has no dist/), got 'undefined'",
    ]);
  });
});

describe('checkTarball', () => {
  it('accepts a complete tarball', () => {
    const { problems, files } = checkTarball(tarball());
    expect(problems).toEqual([]);
    expect(files).toContain('dist/index.js');
  });

  it('reports missing metadata, workspace ranges and the internal condition', () => {
    const manifest = packedManifest({
      repository: undefined,
      engines: undefined,
      sideEffects: true,
      dependencies: { '@convkit/tensor': 'workspace:^' },
      exports: { '.': { 'convkit-source': './src/index.ts', ...entry } },
    });
    const { problems } = checkTarball(tarball({ 'package.json': JSON.stringify(manifest) }));
    expect(problems).toEqual([
      "manifest: no 'repository'",
      "manifest: no 'engines'",
      "manifest: no 'engines.node'",
      "manifest: 'sideEffects' is not false",
      'manifest: a workspace: range was left in',
      "manifest: the internal 'convkit-source' condition was left in",
    ]);
  });

  it('lets a script mention the source condition (only exports and imports count)', () => {
    const manifest = packedManifest({ scripts: { save: 'tsx --conditions=convkit-source scripts/save.ts' } });
    expect(checkTarball(tarball({ 'package.json': JSON.stringify(manifest) })).problems).toEqual([]);
  });

  it('reports missing files, tests and repo-only README links', () => {
    const { problems } = checkTarball(
      tarball({
        LICENSE: null,
        'README.md': '# x\n[the bench](../../apps/bench)\n',
        'src/index.test.ts': 'test',
        'dist/index.js': null,
        'dist/index.js.map': null,
        'dist/index.d.ts': null,
      }),
    );
    expect(problems).toEqual([
      'tarball: no LICENSE',
      "tarball: README.md links to '../../apps/bench', a path only the repository has",
      'tarball: no dist/ (was it built before packing?)',
      'tarball: ships a test, src/index.test.ts',
    ]);
  });

  it('reports doubled sourceMappingURL lines, embedded sources and sources not shipped', () => {
    const { problems } = checkTarball(
      tarball({
        'dist/index.js': 'x;\n//# sourceMappingURL=index.js.map\n//# sourceMappingURL=index.js.map',
        'dist/index.js.map': JSON.stringify({
          version: 3,
          sources: ['../src/index.ts', '../src/missing.ts', '../src/wasm/generated/kernels.ts'],
          sourcesContent: ['export const a = 1;', null, null],
          mappings: '',
        }),
      }),
    );
    expect(problems).toEqual([
      'tarball: dist/index.js has 2 sourceMappingURL lines',
      'tarball: dist/index.js.map embeds its sources (they already ship under src/)',
      'tarball: dist/index.js.map maps to ../src/missing.ts, which is not in the tarball',
    ]);
  });

  it('reports shipped files that point at notes outside the repository', () => {
    const { problems } = checkTarball(
      tarball({ 'dist/index.d.ts': `/** The contract in ${OUTSIDE_DIR}${OUTSIDE_NOTE}. */\nexport {};\n` }),
    );
    expect(problems.length).toBeGreaterThan(0);
    expect(
      problems.every((p) => p.startsWith('tarball: dist/index.d.ts points outside the repository')),
    ).toBe(true);
  });
});

describe('checkRepository', () => {
  it('names the files that point outside and skips what is not text', () => {
    const root = tarball({
      'notes.md': `see ${OUTSIDE_NOTE}`,
      'data.bin': OUTSIDE_NOTE,
      'ok.ts': 'export {};',
    });
    expect(checkRepository(root, ['notes.md', 'data.bin', 'ok.ts', 'gone.md'])).toEqual([
      'notes.md points outside the repository (/\\b(DESIGN|STYLE|TOPICS)\\.md\\b/)',
    ]);
  });
});

describe('exportCondition', () => {
  it('reads a condition of an entry, and nothing from a string or a missing entry', () => {
    expect(exportCondition(packedManifest(), '.', 'require')).toEqual(entry.require);
    expect(
      exportCondition(packedManifest({ exports: { '.': './dist/index.js' } }), '.', 'import'),
    ).toBeUndefined();
    expect(exportCondition(packedManifest({ exports: undefined }), '.', 'import')).toBeUndefined();
  });
});
