/**
 * Build-time data for the performance page: the newest snapshot the bench harness committed
 * under apps/bench/snapshots/, parsed into numbers (src/bench-snapshot.ts).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type BenchSnapshot, latestSnapshotName, parseBenchSnapshot } from '../src/bench-snapshot';

export interface BenchData extends BenchSnapshot {
  readonly file: string;
}

declare const data: BenchData;

export { data };

export default {
  watch: ['../../bench/snapshots/*.md'],
  load(files: string[]): BenchData {
    const name = latestSnapshotName(files.map((f) => basename(f)));
    const file = files.find((f) => basename(f) === name);
    if (!name || !file) throw new Error('bench.data: no snapshot in apps/bench/snapshots/');
    return { file: name, ...parseBenchSnapshot(readFileSync(file, 'utf8')) };
  },
};
