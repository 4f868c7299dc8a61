/**
 * BenchReport: the results of one bench run, as written to results/latest.json (schema
 * documented in the app's README; `schemaVersion` changes when a field changes meaning).
 */

import type { BenchOp } from './bench-configs';
import type { EngineInfo } from './engine';
import type { MachineInfo } from './machine-info';
import type { BenchMode, TimingSettings } from './timing-settings';

export const BENCH_SCHEMA_VERSION = 1;

/**
 * ok: verified, then timed. unsupported: the engine lacks the feature (reason says which).
 * wrong: the output differs from convkit's reference beyond the tolerance; not timed.
 * error: the engine threw (message in reason); not timed.
 */
export type ResultStatus = 'ok' | 'unsupported' | 'wrong' | 'error';

export interface EngineReport extends EngineInfo {
  /** Set when the engine could not start; every result of it is then 'unsupported'. */
  startError?: string;
}

export interface ConfigReport {
  id: string;
  op: BenchOp;
  about: string;
  /** 'N1 C64 56x56 -> 64 k3 p1' */
  notation: string;
  /** 'Conv2d(64, 64, kernel_size=3, padding=1, bias=False)' */
  pytorch: string;
  inputShape: number[];
  weightShape: number[];
  outputShape: number[];
  macs: number;
  flops: number;
  macsFormula: string;
  /** Milliseconds of the one run of convkit's reference that every engine is checked against. */
  referenceMs: number | null;
}

export interface VerificationReport {
  /** Largest |engine - reference| over all output elements. */
  maxAbsDiff: number;
  /** Elements outside atol + rtol * |reference|. */
  mismatches: number;
  elements: number;
}

export interface TimingReport {
  /** Timed runs (1 when `cold`). */
  runs: number;
  warmupRuns: number;
  /** The single run was the verification run itself (it alone exceeded the budget): no warm-up. */
  cold: boolean;
  timesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** flops / median. */
  gflops: number;
  /** gflops / the best peer's gflops on this config; null when no peer ran it. */
  ratioToBestPeer: number | null;
}

export interface ResultReport {
  config: string;
  engine: string;
  status: ResultStatus;
  /** Why unsupported, the error message, or what was wrong. */
  reason?: string;
  verification?: VerificationReport;
  timing?: TimingReport;
  notes?: string[];
}

export interface BenchReport {
  schemaVersion: typeof BENCH_SCHEMA_VERSION;
  createdAt: string;
  mode: BenchMode;
  machine: MachineInfo;
  /** budgetMs null: no cap (smoke mode). */
  settings: Omit<TimingSettings, 'budgetMs'> & {
    budgetMs: number | null;
    seed: number;
    atol: number;
    rtol: number;
  };
  formulas: { flops: string; ratio: string; macs: Record<BenchOp, string> };
  engines: EngineReport[];
  configs: ConfigReport[];
  results: ResultReport[];
  /** Wall-clock milliseconds of the whole run. */
  durationMs: number;
}
