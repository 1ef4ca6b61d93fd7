/**
 * Partition scaling: the scenario of `brook bench` (src/bench-lib/scaling-run.ts), as a
 * benchmark module for bench/run-all.ts (`run()`), and runnable on its own with the same flags as
 * `brook bench`: `node dist/bench/macro/partition-scaling.js --partitions 1,2,4 --json out.json`.
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { registerBenchCommand } from '../../src/cli/commands/bench.js';
import { runPartitionScaling, type ScalingOptions, type ScalingReport } from '../../src/bench-lib/scaling-run.js';
import { formatScalingReport } from '../../src/bench-lib/scaling-report.js';

export const FULL_OPTIONS: ScalingOptions = {
  partitionCounts: [1, 2, 4, 8, 16],
  recordSizesBytes: [100, 1024],
  recordCount: 1_000_000,
  durationMs: 10_000,
  repetitions: 3,
  latencySeconds: 5,
  latencyRecordsPerSec: 10_000,
};

export const QUICK_OPTIONS: ScalingOptions = {
  ...FULL_OPTIONS,
  partitionCounts: [1, 2, 4],
  recordCount: 200_000,
  durationMs: 3_000,
  repetitions: 1,
  latencySeconds: 2,
};

export async function run(options: Partial<ScalingOptions> & { quick?: boolean } = {}): Promise<ScalingReport> {
  const { quick, ...rest } = options;
  const report = await runPartitionScaling({ ...(quick ? QUICK_OPTIONS : FULL_OPTIONS), progress: false, ...rest });
  process.stdout.write(formatScalingReport(report));
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const program = new Command('partition-scaling');
  registerBenchCommand(program);
  await program.parseAsync(['bench', ...process.argv.slice(2)], { from: 'user' });
}
