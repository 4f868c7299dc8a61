#!/usr/bin/env node
/**
 * The `convkit-analyze` executable: runCli with the process's arguments, files and streams.
 */
import { readFileSync } from 'node:fs';
import { runCli } from './run-cli';

/** The version in this package's package.json (dist/cli.js sits one folder below it). */
function packageVersion(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

process.exitCode = runCli(process.argv.slice(2), {
  readFile: (path) => readFileSync(path, 'utf8'),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  version: packageVersion(),
});
