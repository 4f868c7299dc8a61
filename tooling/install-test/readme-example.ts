/**
 * Reads what a new user reads first in a package README: the install line (the first fenced
 * block, `npm i ...`) and the runnable example (the first ```ts or ```js block). The install
 * test installs exactly the packages of that line and runs that example as written.
 */

const FENCE = /^```(\w*)[^\n]*\n([\s\S]*?)^```\s*$/gm;

export interface ReadmeExample {
  /** The packages the install line(s) name, in order, without duplicates. */
  install: string[];
  /** The source of the first ```ts (or ```js) block. */
  example: string;
}

/** The install line and example of a README, or throws an Error that says what is missing. */
export function readmeExample(readme: string, packageName: string): ReadmeExample {
  const blocks = [...readme.matchAll(FENCE)].map((m) => ({ lang: m[1] ?? '', body: m[2] ?? '' }));
  const first = blocks[0];
  // Every `npm i` line of that block (e.g. one for browsers, one for Node with an optional peer):
  // the test installs all the packages they name, so the example can run in Node.
  const installLines = (first?.body ?? '')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => /^npm (i|install)\s/.test(line));
  if (!first || !['sh', 'bash', 'shell'].includes(first.lang) || !installLines.length) {
    throw new Error(
      `${packageName}: README must start with its install line (a \`\`\`sh block with \`npm i ${packageName} ...\`) before any other code block`,
    );
  }
  const install = [
    ...new Set(
      installLines.flatMap((line) =>
        line
          .split(/\s+/)
          .slice(2)
          .filter((word) => !word.startsWith('-')),
      ),
    ),
  ];
  if (!install.includes(packageName)) {
    throw new Error(
      `${packageName}: README install line does not install ${packageName}: '${installLines[0]}'`,
    );
  }
  const example = blocks.find((b) => ['ts', 'typescript', 'js', 'javascript'].includes(b.lang));
  if (!example) throw new Error(`${packageName}: README has no \`\`\`ts example to run`);
  return { install, example: example.body };
}

/**
 * The example as a CommonJS program: if it awaits at the top level, everything after its
 * imports goes into an async function (CommonJS has no top-level await).
 */
export function wrapTopLevelAwait(source: string): string {
  const imports: string[] = [];
  const rest = source.replace(/^import\s[^;]*?from\s*['"][^'"]+['"];?[ \t]*$/gm, (statement) => {
    imports.push(statement);
    return '';
  });
  // A rejection is left unhandled, so Node prints it and exits with status 1.
  return `${imports.join('\n')}\nvoid (async () => {\n${rest}\n})();\n`;
}

/** Whether the example awaits outside any function (a cheap check: any `await` at all). */
export function usesAwait(source: string): boolean {
  return /\bawait\b/.test(source);
}
