#!/usr/bin/env node
/**
 * Installs every publishable package the way a user would, and fails if anything a user would
 * hit is wrong. For each workspace package that is not private:
 *
 *  1. build (turbo, cached) and `pnpm pack` it; check the tarball and its manifest
 *     (tarball-checks.mjs), its packed size against budgets.json, publint and attw;
 *  2. install the packages of its README install line, alone, into a fresh project, once with
 *     npm and once with pnpm; other @convkit packages come from the tarballs, never the
 *     workspace (npm overrides / pnpm overrides), everything else from the registry cache;
 *  3. run the README's example there, as ESM and (where exports has `require`) as CommonJS,
 *     and each of the package's bins with --help;
 *  4. type-check the example with TypeScript, `moduleResolution` bundler and nodenext (and the
 *     CommonJS form under nodenext), skipLibCheck off;
 *  5. bundle the whole package for the browser with esbuild and Vite, Node built-ins refused,
 *     and check the gzip size against budgets.json.
 *
 * Usage: tsx tooling/install-test/install-test.ts [--filter NAME]... [--keep] [--json PATH]
 * (or `pnpm test:install --filter NAME`)
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { browserBundles } from './browser-bundle';
import { type ReadmeExample, readmeExample, usesAwait, wrapTopLevelAwait } from './readme-example';
import {
  checkRepository,
  checkSourceManifest,
  checkTarball,
  exportCondition,
  type Manifest,
} from './tarball-checks';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BIN = join(ROOT, 'node_modules/.bin');
interface Budget {
  packedKiB: number;
  browserGzipKiB: number;
  isDefault?: boolean;
}
const budgets: Record<string, Budget> = JSON.parse(readFileSync(join(HERE, 'budgets.json'), 'utf8'));

interface WorkspacePackage {
  dir: string;
  manifest: Manifest;
}
interface PackageResult {
  name: string;
  version: string;
  budget: Budget;
  problems: string[];
  packed?: number;
  unpacked?: number;
  files?: number;
  gzip?: { esbuild: number; vite: number };
}
interface RunResult {
  code: number;
  output: string;
}

const args = process.argv.slice(2);
const filters = args.flatMap((a, i) => (args[i - 1] === '--filter' ? [a] : []));
const keep = args.includes('--keep');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;

// The commands run as in a user's shell: without the NODE_PATH that package-manager shims set
// (it points into the workspace's node_modules, where CommonJS would find every package) and
// without the workspace's node_modules/.bin on PATH.
const cleanEnv: NodeJS.ProcessEnv = { ...process.env };
delete cleanEnv.NODE_PATH;
cleanEnv.PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.includes('/node_modules/'))
  .join(':');

/** Runs a command; resolves `{ code, output }` (stdout and stderr together), never rejects. */
function run(
  command: string,
  commandArgs: string[],
  { cwd = ROOT, timeout = 180_000 }: { cwd?: string; timeout?: number } = {},
): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(command, commandArgs, {
      cwd,
      env: cleanEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(timed out after ${timeout / 1000} s)`;
      child.kill('SIGKILL');
    }, timeout);
    child.on('error', (error) => (output += String(error)));
    const started = Date.now();
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      if (seconds > 3)
        console.log(
          `  (${command.split('/').pop()} ${commandArgs.slice(0, 2).join(' ')}: ${seconds.toFixed(1)} s)`,
        );
      done({ code: code ?? 1, output });
    });
  });
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
// The last lines of a command's output, without stack frames (the message is what helps).
const tail = (text: string, lines = 12): string =>
  text
    .trim()
    .split('\n')
    .filter((line) => !/^\s+at |^Node\.js v/.test(line))
    .slice(-lines)
    .join('\n');

/** Every workspace package: the folders the `packages:` globs of pnpm-workspace.yaml name. */
function workspacePackages(): WorkspacePackage[] {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const list = yaml.match(/^packages:\n((?:[ \t]+-.*\n?)+)/m)?.[1] ?? '';
  const globs = [...list.matchAll(/-\s*['"]?([^'"\s]+)/g)].map((m) => m[1]);
  const dirs = globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [join(ROOT, glob)];
    const parent = join(ROOT, glob.slice(0, -2));
    return readdirSync(parent).map((name) => join(parent, name));
  });
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));
}

const all = workspacePackages();
const publishable = all.filter((p) => !p.manifest.private);
const selected = filters.length ? publishable.filter((p) => filters.includes(p.manifest.name)) : publishable;
const byName = new Map(publishable.map((p) => [p.manifest.name, p]));
const work = mkdtempSync(join(tmpdir(), 'convkit-install-test-'));
const packs = join(work, 'packs');
mkdirSync(packs);

/** The @convkit packages `name` needs at run time, itself included. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  const pkg = byName.get(name);
  if (!pkg) throw new Error(`${name} is not a publishable workspace package`);
  for (const dep of Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies })) {
    if (dep.startsWith('@convkit/')) closure(dep, seen);
  }
  seen.add(name);
  return seen;
}

async function main() {
  const started = Date.now();
  console.log(`install test: ${selected.map((p) => p.manifest.name).join(', ')} (work dir ${work})`);
  if (filters.some((name) => !byName.has(name))) {
    throw new Error(
      `--filter: no publishable workspace package named ${filters.filter((n) => !byName.has(n))}`,
    );
  }
  // What gets built and packed: the selected packages, what their README install lines name,
  // and everything those depend on.
  const roots = selected.flatMap(({ dir, manifest }) => {
    try {
      const { install } = readmeExample(readFileSync(join(dir, 'README.md'), 'utf8'), manifest.name);
      return [manifest.name, ...install.filter((n) => byName.has(n))];
    } catch {
      return [manifest.name]; // reported with the package
    }
  });
  const needed = [...new Set(roots.flatMap((name) => [...closure(name)]))];

  // 1. Build (turbo's cache makes this free after `turbo run build`) and pack.
  const built = await run(
    join(BIN, 'turbo'),
    ['run', 'build', '--continue', ...needed.map((n) => `--filter=${n}`)],
    {
      timeout: 600_000,
    },
  );
  // A package whose build fails is reported below (its tarball has no dist/); the others go on.
  if (built.code !== 0) console.error(`build failed:\n${tail(built.output, 40)}`);
  const tarballs = new Map<string, string>();
  for (const name of needed) {
    const { dir, manifest } = byName.get(name)!;
    // prepack builds; the build just ran, so skip the scripts here.
    const packed = await run('pnpm', ['pack', '--pack-destination', packs, '--ignore-scripts'], { cwd: dir });
    if (packed.code !== 0) throw new Error(`${name}: pnpm pack failed:\n${tail(packed.output)}`);
    const file = `${name.slice(1).replace('/', '-')}-${manifest.version}.tgz`;
    tarballs.set(name, join(packs, file));
  }

  // The repository itself: nothing in it may point at notes kept outside it.
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  const repoProblems = checkRepository(ROOT, listed.output.split('\0').filter(Boolean));
  console.log(
    `\n== repository\n${repoProblems.length ? repoProblems.map((p) => `  - ${p}`).join('\n') : '  ok'}`,
  );

  const results: PackageResult[] = [];
  for (const pkg of selected) {
    const result = await checkPackage(pkg, tarballs);
    console.log(result.problems.length ? result.problems.map((p) => `  - ${p}`).join('\n') : '  ok');
    results.push(result);
  }

  console.log(
    `\n${'package'.padEnd(24)} ${'packed'.padStart(12)} ${'unpacked'.padStart(12)} ${'esbuild gz'.padStart(12)} ${'vite gz'.padStart(12)}  result`,
  );
  for (const r of results) {
    const b = r.budget;
    console.log(
      `${r.name.padEnd(24)} ${kib(r.packed ?? 0).padStart(12)} ${kib(r.unpacked ?? 0).padStart(12)} ${kib(r.gzip?.esbuild ?? 0).padStart(12)} ${kib(r.gzip?.vite ?? 0).padStart(12)}  ${r.problems.length ? `FAIL (${r.problems.length})` : 'ok'}   budget ${b.packedKiB} / ${b.browserGzipKiB} KiB${b.isDefault ? ' (default)' : ''}`,
    );
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
  const failed = results.filter((r) => r.problems.length).map((r) => r.name);
  if (repoProblems.length) failed.unshift('the repository');
  if (!keep) rmSync(work, { recursive: true, force: true });
  if (failed.length) {
    console.error(`\ninstall test: ${failed.join(', ')} failed (problems listed above)`);
    process.exitCode = 1;
  } else {
    console.log(`install test: all ${results.length} packages pass`);
  }
}

async function checkPackage(
  { dir, manifest }: WorkspacePackage,
  tarballs: Map<string, string>,
): Promise<PackageResult> {
  const name = manifest.name;
  const tarball = tarballs.get(name)!;
  const budget: Budget = budgets[name] ? { ...budgets[name] } : { ...budgets.default!, isDefault: true };
  const result: PackageResult = { name, version: manifest.version, budget, problems: [] };
  const problems = result.problems;
  const note = (step: string, error: unknown) =>
    problems.push(`${step}: ${error instanceof Error ? error.message : error}`);
  console.log(`\n== ${name}`);

  // Tarball, manifest, sizes.
  problems.push(...checkSourceManifest(manifest));
  const unpackDir = join(work, 'unpacked', name);
  mkdirSync(unpackDir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', unpackDir]);
  const packageDir = join(unpackDir, 'package');
  const { manifest: packedManifest, files, problems: tarballProblems } = checkTarball(packageDir);
  problems.push(...tarballProblems);
  result.packed = statSync(tarball).size;
  result.unpacked = files.reduce((sum, f) => sum + statSync(join(packageDir, f)).size, 0);
  result.files = files.length;
  if (!files.some((f) => f.startsWith('dist/'))) return result; // unbuilt: the rest would only echo it
  if (result.packed > budget.packedKiB * 1024) {
    note(
      'size',
      `packed ${kib(result.packed)} is over the budget of ${budget.packedKiB} KiB (tooling/install-test/budgets.json)`,
    );
  }

  // publint and attw on the tarball.
  const lint = await publint({
    pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
    level: 'warning',
    strict: true,
  });
  for (const message of lint.messages) note('publint', formatMessage(message, lint.pkg) ?? message.code);
  // attw runs while the projects install (it is the slowest check on the tarball).
  const attwRun = run(join(BIN, 'attw'), [
    tarball,
    '--format',
    'ascii',
    '--no-emoji',
    '--no-color',
    '--no-definitely-typed',
  ]);

  // Install alone, with npm and with pnpm.
  let readme: ReadmeExample | undefined;
  try {
    readme = readmeExample(readFileSync(join(dir, 'README.md'), 'utf8'), name);
  } catch (error) {
    note('README', error);
  }
  const noteAttw = async () => {
    const attw = await attwRun;
    if (attw.code !== 0) note('attw', `\n${tail(attw.output, 40)}`);
  };
  if (!readme) {
    await noteAttw();
    return result;
  }
  const convkit = new Set(
    readme.install.filter((n) => n.startsWith('@convkit/')).flatMap((n) => [...closure(n)]),
  );
  const spec = (n: string): string => `file:${tarballs.get(n)}`;
  // Anything else (an optional peer such as `webgpu`) at the range a convkit package asks for.
  const askedRange = (n: string): string => {
    for (const c of convkit) {
      const m = byName.get(c)!.manifest;
      const range = m.peerDependencies?.[n] ?? m.dependencies?.[n];
      if (range) return range;
    }
    return 'latest';
  };
  const dependencies = Object.fromEntries(
    readme.install.map((n) => [n, n.startsWith('@convkit/') ? spec(n) : askedRange(n)]),
  );
  const overrides = Object.fromEntries([...convkit].map((n) => [n, spec(n)]));
  const supportsCjs = Boolean(exportCondition(packedManifest, '.', 'require'));
  const projects: Partial<Record<'npm' | 'pnpm', string>> = {};
  await Promise.all(
    (['npm', 'pnpm'] as const).map(async (pm) => {
      const project = join(work, 'projects', `${name.replace('/', '__')}-${pm}`);
      mkdirSync(project, { recursive: true });
      const pkgJson: Record<string, unknown> = {
        name: 'convkit-user',
        private: true,
        type: 'module',
        dependencies,
      };
      if (pm === 'npm') pkgJson.overrides = overrides;
      else {
        // Dependencies' build scripts stay off, as in the monorepo (pnpm refuses to install
        // with unapproved ones otherwise); npm runs them, as it does for its users.
        writeFileSync(
          join(project, 'pnpm-workspace.yaml'),
          `strictDepBuilds: false\noverrides:\n${Object.entries(overrides)
            .map(([n, s]) => `  '${n}': '${s}'`)
            .join('\n')}\n`,
        );
      }
      writeFileSync(join(project, 'package.json'), `${JSON.stringify(pkgJson, null, 2)}\n`);
      const installed =
        pm === 'npm'
          ? await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
              cwd: project,
            })
          : await run('pnpm', ['install', '--prefer-offline', '--config.confirmModulesPurge=false'], {
              cwd: project,
            });
      if (installed.code !== 0) return note(`${pm} install`, `\n${tail(installed.output)}`);
      projects[pm] = project;
    }),
  );

  // The README example: ESM and CommonJS, run and type-checked; the bins.
  const esm = await esbuild.transform(readme.example, { loader: 'ts', format: 'esm', target: 'es2022' });
  const cjsSource = usesAwait(readme.example) ? wrapTopLevelAwait(readme.example) : readme.example;
  const cjs = supportsCjs
    ? await esbuild.transform(cjsSource, { loader: 'ts', format: 'cjs', target: 'es2022' })
    : null;
  const example = readme.example;
  for (const [pm, project] of Object.entries(projects)) {
    writeFileSync(join(project, 'example.ts'), readme.example);
    writeFileSync(join(project, 'example.mjs'), esm.code);
    const ranEsm = await run('node', ['example.mjs'], { cwd: project });
    if (ranEsm.code !== 0) note(`${pm}: README example (ESM)`, `\n${tail(ranEsm.output)}`);
    if (cjs) {
      writeFileSync(join(project, 'example.cts'), cjsSource);
      writeFileSync(join(project, 'example.cjs'), cjs.code);
      const ranCjs = await run('node', ['example.cjs'], { cwd: project });
      if (ranCjs.code !== 0) note(`${pm}: README example (CommonJS)`, `\n${tail(ranCjs.output)}`);
    }
    for (const bin of Object.keys(
      typeof packedManifest.bin === 'string' ? { [name]: 1 } : (packedManifest.bin ?? {}),
    )) {
      const help = await run(join(project, 'node_modules/.bin', bin.split('/').pop()!), ['--help'], {
        cwd: project,
      });
      if (help.code !== 0) note(`${pm}: ${bin} --help`, `\n${tail(help.output)}`);
    }
    // Types are checked in the pnpm project: its strict node_modules shows a missing dependency.
    if (pm !== 'pnpm') continue;
    const checks = ['bundler', 'nodenext'].map(async (resolution) => {
      const files = resolution === 'nodenext' && cjs ? ['example.ts', 'example.cts'] : ['example.ts'];
      const tsconfig = {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: resolution === 'bundler' ? 'ESNext' : 'NodeNext',
          moduleResolution: resolution === 'bundler' ? 'Bundler' : 'NodeNext',
          strict: true,
          noEmit: true,
          // Our .d.ts files are checked as a user's project checks them (skipLibCheck is off);
          // Node's types only when the example uses Node (checking them costs seconds).
          skipLibCheck: false,
          types: /\bnode:|\bprocess\.|\bBuffer\b/.test(example) ? ['node'] : [],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files,
      };
      writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig, null, 2));
      const checked = await run(join(BIN, 'tsc'), ['-p', `tsconfig.${resolution}.json`], { cwd: project });
      if (checked.code !== 0) note(`${pm}: tsc (${resolution})`, `\n${tail(checked.output)}`);
    });
    await Promise.all(checks);
  }
  await noteAttw();

  // Browser bundles from the npm project (a plain node_modules, as most apps have).
  if (projects.npm) {
    const externals = Object.keys(packedManifest.peerDependencies ?? {}).filter(
      (p) => !p.startsWith('@convkit/'),
    );
    try {
      result.gzip = await browserBundles({ project: projects.npm, packageName: name, externals });
      const worst = Math.max(result.gzip.esbuild, result.gzip.vite);
      if (worst > budget.browserGzipKiB * 1024) {
        note('size', `browser bundle ${kib(worst)} gzip is over the budget of ${budget.browserGzipKiB} KiB`);
      }
    } catch (error) {
      note('browser bundle', error);
    }
  }
  return result;
}

main().catch((error) => {
  console.error(error);
  if (!keep) rmSync(work, { recursive: true, force: true });
  process.exitCode = 1;
});
