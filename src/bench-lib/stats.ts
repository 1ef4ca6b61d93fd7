/**
 * Small statistics and machine facts shared by every benchmark. The machines are noisy 2-core
 * VMs, so benchmarks quote medians of several repetitions and a baseline measured in the same run.
 */
import os from 'node:os';

export interface MachineInfo {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  totalMemoryBytes: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemoryBytes: os.totalmem(),
  };
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, ${machine.platform}`;
}

/** The median of the values (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The p-th percentile (0..100) by the nearest-rank method, over values already sorted ascending;
 * NaN when empty. Nearest rank never invents a latency no record had.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function elapsedSec(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/** Rounds to a few significant decimals for tables and JSON. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
