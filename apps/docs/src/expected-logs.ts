/**
 * expectedLogs: the outputs a code sample promises, read from the comment after each
 * `console.log(...);` line, in source order. Every console.log line must carry one, so a
 * sample cannot print something the page does not show.
 */
export function expectedLogs(source: string): string[] {
  const out: string[] = [];
  for (const line of source.split('\n')) {
    const m = /^\s*console\.log\(.*\);\s*\/\/ (.*)$/.exec(line);
    if (m) out.push(m[1]!);
    else if (/^\s*console\.log\(/.test(line)) throw new Error(`unannotated console.log: ${line.trim()}`);
  }
  return out;
}
