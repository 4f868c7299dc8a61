/**
 * machineInfo: what the numbers were measured on, printed above every table and stored in
 * the JSON (CPU model, logical cores, Node.js version, load when the run started).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  /** Logical cores Node.js can use (os.availableParallelism). */
  cores: number;
  node: string;
  platform: string;
  arch: string;
  totalMemoryGiB: number;
  /** 1-minute load average at the start: other work on the machine makes timings noisy. */
  loadAverage1m: number;
  /** The x86 vector extensions that bound native speed (from /proc/cpuinfo on Linux; empty elsewhere). */
  simd: string[];
}

const SIMD_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16'];

function simdFlags(): string[] {
  try {
    const flags =
      /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
    return SIMD_FLAGS.filter((f) => flags.includes(f));
  } catch {
    return [];
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() || 'unknown CPU',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
    simd: simdFlags(),
  };
}

/** 'AMD EPYC (avx2 fma avx512f), 2 cores, Node v20.20.2, linux x64, 23.5 GiB, load 1.20 at start' */
export function describeMachine(machine: MachineInfo): string {
  const simd = machine.simd.length > 0 ? ` (${machine.simd.join(' ')})` : '';
  return `${machine.cpuModel}${simd}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform} ${machine.arch}, ${machine.totalMemoryGiB} GiB, load ${machine.loadAverage1m.toFixed(2)} at start`;
}
