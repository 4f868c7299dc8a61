#!/usr/bin/env node
/**
 * `pnpm release:dry`: everything `pnpm release` does but publish, in a temporary copy of the
 * working tree, so the checkout is left untouched: install (frozen lockfile, from the store),
 * `changeset version` (versions and CHANGELOGs, printed), build, the whole `pnpm test`
 * (the install-like-a-user test included), and `pnpm publish --dry-run` of every package
 * that would be published.
 *
 * Usage: tsx tooling/release/release-dry.ts [--keep] (or `pnpm release:dry`)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const keep = process.argv.includes('--keep');

// The steps run as from a plain shell in the copy: without the NODE_PATH and node_modules/.bin
// entries that point into this checkout (the tsx shim sets them).
const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
delete env.NODE_PATH;
env.PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.includes('/node_modules/'))
  .join(':');

function step(title: string, command: string, args: string[], cwd: string): void {
  console.log(`\n>> ${title}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const { status } = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  console.log(
    `<< ${title}: ${status === 0 ? 'ok' : `failed (${status})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (status !== 0) throw new Error(`release:dry stopped at '${title}'`);
}

function publishable(root: string): { name: string; dir: string; version: string }[] {
  const listed = execFileSync('pnpm', ['ls', '-r', '--depth', '-1', '--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  const packages: { name: string; path: string; version: string; private?: boolean }[] = JSON.parse(listed);
  return packages.filter((p) => !p.private).map((p) => ({ name: p.name, dir: p.path, version: p.version }));
}

const work = mkdtempSync(join(tmpdir(), 'convkit-release-dry-'));
try {
  // The working tree as a clean clone would have it (tracked and new files; nothing ignored).
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isFile());
  for (const file of files) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(work, file));
  }
  console.log(`release:dry in ${work} (${files.length} files)`);

  step('install', 'pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], work);
  const before = new Map(publishable(work).map((p) => [p.name, p.version]));
  step('version', 'pnpm', ['exec', 'changeset', 'version'], work);
  console.log('\nversions:');
  for (const p of publishable(work)) {
    const changelog = join(p.dir, 'CHANGELOG.md');
    const head = existsSync(changelog)
      ? readFileSync(changelog, 'utf8').split('\n').slice(0, 8).join('\n    ')
      : '';
    console.log(`  ${p.name}: ${before.get(p.name)} -> ${p.version}${head ? `\n    ${head}` : ''}`);
  }
  step('build', 'pnpm', ['build'], work);
  step('test', 'pnpm', ['test'], work);
  step(
    'publish (dry run)',
    'pnpm',
    ['-r', 'publish', '--dry-run', '--no-git-checks', '--access', 'public'],
    work,
  );
  console.log('\nrelease:dry: every step passed; `pnpm release` would publish the packages above.');
} catch (error) {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
