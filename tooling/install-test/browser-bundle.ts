/**
 * Bundles an installed package for the browser, as an app would, with esbuild and with Vite:
 * every export kept (`export * from`), minified, Node built-ins refused. Returns the gzip size
 * of each bundle. Optional peers (e.g. `webgpu`, the Node-only WebGPU) stay external.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { type Plugin, build as viteBuild } from 'vite';

const BUILTINS = new Set(builtinModules);
const isBuiltin = (id: string): boolean =>
  id.startsWith('node:') || BUILTINS.has(id) || BUILTINS.has(id.split('/')[0]);
const gzipBytes = (code: string | Uint8Array): number => gzipSync(code, { level: 9 }).length;

/** `{ esbuild, vite }`: gzip bytes of each bundle; throws if a bundle fails or needs Node. */
export interface BrowserBundleArgs {
  /** A project folder whose node_modules has the package installed. */
  project: string;
  packageName: string;
  /** Imports left to the app (optional peers). */
  externals: string[];
}

export async function browserBundles({
  project,
  packageName,
  externals,
}: BrowserBundleArgs): Promise<{ esbuild: number; vite: number }> {
  const dir = join(project, 'browser');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.js');
  writeFileSync(entry, `export * from '${packageName}';\n`);

  const builtinGuard: esbuild.Plugin = {
    name: 'no-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) =>
        isBuiltin(args.path)
          ? { errors: [{ text: `imports the Node built-in '${args.path}' (from ${args.importer})` }] }
          : undefined,
      );
    },
  };
  const esbuilt = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: project,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    external: externals,
    plugins: [builtinGuard],
    logLevel: 'silent',
  });
  const esbuildGzip = gzipBytes(esbuilt.outputFiles.map((f) => f.text).join(''));

  const viteGuard: Plugin = {
    name: 'no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (isBuiltin(id)) this.error(`imports the Node built-in '${id}' (from ${importer})`);
      return null;
    },
  };
  const outDir = join(dir, 'vite');
  await viteBuild({
    configFile: false,
    root: project,
    logLevel: 'silent',
    plugins: [viteGuard],
    build: {
      outDir,
      emptyOutDir: true,
      minify: true,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: () => 'bundle.js' },
      rollupOptions: { external: externals },
    },
  });
  // Every chunk counts (a package with dynamic imports gets more than one).
  const chunks = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.m?js$/.test(f));
  const viteGzip = gzipBytes(chunks.map((f) => readFileSync(join(outDir, f), 'utf8')).join(''));
  return { esbuild: esbuildGzip, vite: viteGzip };
}
