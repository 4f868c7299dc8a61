#!/usr/bin/env node
/**
 * The `convkit-analyze` executable: runCli with the process's arguments, files and streams.
 */
import { readFileSync } from 'node:fs';
import { runCli } from './run-cli';

process.exitCode = runCli(process.argv.slice(2), {
  readFile: (path) => readFileSync(path, 'utf8'),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
