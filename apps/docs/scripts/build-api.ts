/**
 * Generates the API reference (api/*.md, ignored by git) from the packages' TSDoc with TypeDoc
 * and typedoc-plugin-markdown: one page per package, rebuilt by every `build` and `dev`, so
 * it cannot drift from the code. Run from apps/docs: tsx scripts/build-api.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { API_PACKAGES } from '../src/api-packages';

const root = new URL('../', import.meta.url);
const api = new URL('api/', root);
rmSync(api, { recursive: true, force: true });
mkdirSync(api, { recursive: true });
const typedoc = new URL('node_modules/typedoc/bin/typedoc', root).pathname;

const out = new URL('.typedoc/', api).pathname;
// One TypeDoc run over every package (one TypeScript program; links between packages resolve).
execFileSync(
  process.execPath,
  [
    typedoc,
    '--plugin',
    'typedoc-plugin-markdown',
    '--plugin',
    'typedoc-vitepress-theme',
    '--plugin',
    './scripts/typedoc-drop-inherited.mjs',
    '--entryPoints',
    ...API_PACKAGES.map((p) => `../../packages/${p.dir}/src/index.ts`),
    '--tsconfig',
    'tsconfig.typedoc.json',
    '--out',
    out,
    '--outputFileStrategy',
    'modules',
    '--entryFileName',
    'index',
    '--readme',
    'none',
    '--disableSources',
    '--hidePageHeader',
    '--hideBreadcrumbs',
    // Tables, not a heading per property and parameter: compact pages that lay out fast.
    '--parametersFormat',
    'table',
    '--classPropertiesFormat',
    'table',
    '--interfacePropertiesFormat',
    'table',
    '--typeDeclarationFormat',
    'table',
    '--enumMembersFormat',
    'table',
    '--sanitizeComments',
    '--excludePrivate',
    '--excludeInternal',
    // Type errors are the packages' typecheck's business; the reference documents what is there.
    '--skipErrorChecking',
    '--logLevel',
    'Error',
  ],
  { cwd: root.pathname, stdio: 'inherit' },
);
for (const pkg of API_PACKAGES) {
  const page = readFileSync(`${out}${pkg.dir}/src.md`, 'utf8')
    // Links to another package's page, then links within the page.
    .replace(
      /\]\(\.\.\/([a-z0-9-]+)\/src\.md(#[^)]*)?\)/g,
      (_, dir: string, hash = '') => `](./${dir}.md${hash})`,
    )
    .replace(/\]\(src\.md(#[^)]*)?\)/g, (_, hash = '') => `](${hash || './'})`);
  writeFileSync(
    new URL(`${pkg.dir}.md`, api),
    `---\ntitle: "${pkg.name} API"\noutline: [2, 2]\n---\n\n${page.replace(/^# .*$/m, `# ${pkg.name}`)}`,
  );
}
rmSync(out, { recursive: true, force: true });

writeFileSync(
  new URL('index.md', api),
  `# API reference

Generated from the packages' TSDoc comments by TypeDoc each time the site is built, so it
always matches the code. Every package is an ES module with its own version; install only
the ones you use.

| package | what it gives |
| --- | --- |
${API_PACKAGES.map((p) => `| [${p.name}](./${p.dir}) | ${p.summary} |`).join('\n')}
`,
);
console.log(`api: ${API_PACKAGES.map((p) => p.dir).join(', ')}`);
