/**
 * Checks of a packed package that publint and attw do not make: the manifest a user receives
 * (complete metadata, no workspace ranges, no internal export conditions), what the tarball
 * carries (LICENSE, README, dist, no tests, no link outside the repository) and its source maps
 * (one sourceMappingURL per file, no embedded copy of the sources, every hand-written source
 * shipped).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const REQUIRED_FIELDS = [
  'description',
  'keywords',
  'license',
  'repository',
  'homepage',
  'bugs',
  'engines',
  'files',
];
// Words that point into notes kept outside the repository; nothing shipped may name them.
const OUTSIDE = [/\.\.\/shared\//, /\bshared\/[A-Z]+\.md/, /\b(DESIGN|STYLE|TOPICS)\.md\b/];
const INTERNAL_CONDITION = 'convkit-source';

/** The fields of a package.json these checks read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  publishConfig?: { exports?: unknown };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bin?: string | Record<string, string>;
  engines?: { node?: string };
  sideEffects?: unknown;
  [field: string]: unknown;
}

/** What the exports map gives for `condition` on `entry` ('.'), or undefined. */
export function exportCondition(manifest: Manifest, entry: string, condition: string): unknown {
  const target = manifest.exports?.[entry];
  return typeof target === 'object' && target !== null
    ? (target as Record<string, unknown>)[condition]
    : undefined;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

function stripCondition(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== INTERNAL_CONDITION)
      .map(([key, inner]) => [key, stripCondition(inner)]),
  );
}

/** Files of the repository (text, tracked or new) that point at notes kept outside it. */
export function checkRepository(root: string, files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (!/\.(m|c)?[jt]sx?$|\.md$|\.json$|\.ya?ml$|\.vue$|\.py$|\.html$|\.css$/.test(file)) continue;
    const path = join(root, file);
    if (!existsSync(path) || statSync(path).size > 2_000_000) continue;
    const content = readFileSync(path, 'utf8');
    for (const pattern of OUTSIDE) {
      if (pattern.test(content)) problems.push(`${file} points outside the repository (${pattern})`);
    }
  }
  return problems;
}

/** Problems of the workspace manifest (what pack and publish start from). */
export function checkSourceManifest(manifest: Manifest): string[] {
  const problems: string[] = [];
  const expected = JSON.stringify(stripCondition(manifest.exports));
  if (JSON.stringify(manifest.publishConfig?.exports) !== expected) {
    problems.push(
      `package.json: publishConfig.exports must be exports without the '${INTERNAL_CONDITION}' condition (it replaces exports when packed)`,
    );
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (name.startsWith('@convkit/') && range !== 'workspace:^') {
        problems.push(`package.json: ${field}.${name} is '${range}', expected 'workspace:^'`);
      }
    }
  }
  if (!/\bbuild\b/.test(manifest.scripts?.prepack ?? '')) {
    problems.push(
      `package.json: scripts.prepack must run the build (a fresh clone has no dist/), got '${manifest.scripts?.prepack}'`,
    );
  }
  return problems;
}

/** Problems of an unpacked tarball (`dir` is its `package/` folder). */
export function checkTarball(dir: string): { manifest: Manifest; files: string[]; problems: string[] } {
  const problems: string[] = [];
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const text = JSON.stringify(manifest);
  for (const field of REQUIRED_FIELDS) {
    if (manifest[field] === undefined) problems.push(`manifest: no '${field}'`);
  }
  if (!manifest.engines?.node) problems.push("manifest: no 'engines.node'");
  if (manifest.sideEffects !== false) problems.push("manifest: 'sideEffects' is not false");
  if (text.includes('workspace:')) problems.push('manifest: a workspace: range was left in');
  if (JSON.stringify([manifest.exports, manifest.imports]).includes(INTERNAL_CONDITION))
    problems.push(`manifest: the internal '${INTERNAL_CONDITION}' condition was left in`);
  if (!exportCondition(manifest, '.', 'import'))
    problems.push("manifest: exports['.'] has no 'import' condition");

  const files = listFiles(dir).map((path) => relative(dir, path));
  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!files.includes(required)) problems.push(`tarball: no ${required}`);
  }
  if (files.includes('README.md')) {
    // On npm a relative link leads nowhere: link into the repository with a full URL.
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^(https?:|mailto:|#)/.test(target))
        problems.push(`tarball: README.md links to '${target}', a path only the repository has`);
    }
  }
  if (!files.some((f) => f.startsWith('dist/')))
    problems.push('tarball: no dist/ (was it built before packing?)');
  for (const file of files) {
    if (/\.(test|spec)\.[cm]?[jt]s$/.test(file) || file.startsWith('test/'))
      problems.push(`tarball: ships a test, ${file}`);
    if (!/\.(m|c)?[jt]s$|\.d\.[cm]?ts$|\.md$|\.json$|\.map$/.test(file) && file !== 'LICENSE') continue;
    const content = readFileSync(join(dir, file), 'utf8');
    for (const pattern of OUTSIDE) {
      if (pattern.test(content)) problems.push(`tarball: ${file} points outside the repository (${pattern})`);
    }
    if (/\.(m|c)?js$/.test(file)) {
      const urls = content.match(/^\/\/# sourceMappingURL=/gm)?.length ?? 0;
      if (urls > 1) problems.push(`tarball: ${file} has ${urls} sourceMappingURL lines`);
    }
    if (file.endsWith('.map')) {
      const map: { sources?: string[]; sourcesContent?: (string | null)[] } = JSON.parse(content);
      if (map.sourcesContent?.some((s) => s !== null)) {
        problems.push(`tarball: ${file} embeds its sources (they already ship under src/)`);
      }
      // A generated source (e.g. a .wasm inlined as base64) may stay out: dist/ already has it.
      for (const source of (map.sources ?? []).filter((s) => !s.split('/').includes('generated'))) {
        const target = resolve(dir, file, '..', source);
        if (!existsSync(target))
          problems.push(`tarball: ${file} maps to ${source}, which is not in the tarball`);
      }
    }
  }
  return { manifest, files, problems };
}
