/**
 * `brook bench`: aggregate produce and consume throughput of the engine against partition count
 * and record size, beside the single-threaded storage layer measured in the same run, plus
 * end-to-end latency at a steady rate. Table on stdout, progress on stderr (TTY only), optional
 * JSON and an SVG chart written next to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { action, parseNonNegativeInteger, parsePositiveInteger } from '../context.js';
import type { ScalingOptions } from '../../bench-lib/scaling-run.js';
import { formatScalingReport, renderScalingSvg } from '../../bench-lib/scaling-report.js';
import { WARMUP_MS_DEFAULT } from '../../bench-lib/case-timing.js';

function parseIntegerList(value: string): number[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const numbers = items.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (numbers.length === 0 || numbers.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
    throw new InvalidArgumentError('must be a comma-separated list of positive integers, e.g. 1,2,4');
  }
  return [...new Set(numbers)].sort((a, b) => a - b);
}

/** Seconds and the like: any finite number >= 0 (commander's one-line error otherwise). */
function parseNonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

function parsePositiveNumber(value: string): number {
  const n = parseNonNegativeNumber(value);
  if (n === 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

interface BenchFlags {
  partitions: number[];
  recordSizes: number[];
  records: number;
  duration: number;
  warmup: number;
  repetitions: number;
  latencySeconds: number;
  latencyRate: number;
  json?: string;
  svg?: string;
  progress: boolean;
}

/** The SVG goes next to the JSON unless --svg names another place. */
export function svgPathFor(jsonPath: string): string {
  const parsed = path.parse(jsonPath);
  return path.join(parsed.dir, `${parsed.ext === '.json' ? parsed.name : parsed.base}.svg`);
}

interface DensityFlags {
  topics: number;
  partitionsPerTopic: number;
  idleSeconds: number;
  workers?: number;
  hotSeconds: number;
  hotRepetitions: number;
  json?: string;
  progress: boolean;
}

/** The data dir a bench uses: --data-dir only when given explicitly (flag or env), else a temp dir. */
function explicitDataDir(command: Command, dataDir: string): string | undefined {
  let root: Command = command;
  while (root.parent !== null) root = root.parent;
  const source = root.getOptionValueSource('dataDir');
  return source === 'cli' || source === 'env' ? dataDir : undefined;
}

function registerDensity(bench: Command): void {
  bench
    .command('density')
    .description('what thousands of partitions cost a real `brook serve`: CreateTopics time (one request of 1,000 partitions, 100 concurrent of 10), ' +
      'then on a data dir of --topics x --partitions-per-topic partitions: time to listen, time until all are open, idle CPU, RSS, threads, SIGTERM time; ' +
      'and produce to one hot partition beside them vs an empty data dir (same run). Takes a few minutes')
    .option('--topics <n>', 'topics in the data dir', parsePositiveInteger, 1000)
    .option('--partitions-per-topic <n>', 'partitions of each topic', parsePositiveInteger, 10)
    .option('--idle-seconds <n>', 'how long idle CPU is measured', parsePositiveNumber, 10)
    .option('--workers <n>', 'partition workers of the server (default: one per core)', parsePositiveInteger)
    .option('--hot-seconds <n>', 'length of each hot-partition produce run', parsePositiveNumber, 3)
    .option('--hot-repetitions <n>', 'hot-partition runs on each side (interleaved; medians)', parsePositiveInteger, 3)
    .option('--json <file>', 'write the full results as JSON')
    .addOption(new Option('--no-progress', 'no progress bar on stderr'))
    .action(action(async (ctx, flags: DensityFlags, command: Command) => {
      const dataDir = explicitDataDir(command, ctx.globals.dataDir);
      const { runDensity, formatDensityReport } = await import('../../bench-lib/density.js');
      const report = await runDensity({
        topicCount: flags.topics,
        partitionsPerTopic: flags.partitionsPerTopic,
        idleSeconds: flags.idleSeconds,
        hotSeconds: flags.hotSeconds,
        hotRepetitions: flags.hotRepetitions,
        ...(flags.workers === undefined ? {} : { workers: flags.workers }),
        ...(dataDir === undefined ? {} : { dataDir }),
        progress: flags.progress ? undefined : false,
      });
      process.stdout.write(formatDensityReport(report));
      if (flags.json !== undefined) {
        fs.writeFileSync(flags.json, JSON.stringify(report, null, 2) + '\n');
        process.stdout.write(`wrote ${flags.json}\n`);
      }
    }));
}

export function registerBenchCommand(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmark produce/consume throughput vs partitions (engine vs single-threaded storage baseline) and end-to-end latency; ' +
      'uses --data-dir only when given explicitly, otherwise a temp dir that is removed afterwards; ' +
      'on a disk the produce figures include the file system and the kernel\'s dirty-page writeback, a --data-dir on tmpfs (e.g. /dev/shm/b) measures the engine alone; ' +
      'figures are steady states, after an untimed warm-up (--warmup); with the defaults the run takes ~5 min on 2 cores')
    .option('--partitions <list>', 'partition counts (past 1,024 a case spreads over several topics)', parseIntegerList, [1, 2, 4, 8, 16, 64, 256, 1024, 4096])
    .option('--record-sizes <list>', 'record value sizes in bytes', parseIntegerList, [100, 1024])
    .option('--records <n>', 'at least this many records per case (all partitions together); each case also runs at least 1 s', parsePositiveInteger, 1_000_000)
    .option('--duration <seconds>', 'time cap per case, seconds', parsePositiveNumber, 10)
    .option('--warmup <seconds>', 'untimed produce before each case, per core\'s worth of partitions (16 partitions on 2 cores warm up 8x as long): ' +
      'each fresh partition worker JIT-compiles its append path only after running it for a while', parseNonNegativeNumber, WARMUP_MS_DEFAULT / 1000)
    .option('--repetitions <n>', 'repetitions; figures are medians', parsePositiveInteger, 3)
    .option('--latency-seconds <n>', 'length of each latency run (0 skips it)', parseNonNegativeInteger, 5)
    .option('--latency-rate <records/s>', 'steady produce rate of the latency run', parsePositiveInteger, 10_000)
    .option('--json <file>', 'write the full results as JSON (and the SVG chart next to it)')
    .option('--svg <file>', 'write the SVG chart here')
    .addOption(new Option('--no-progress', 'no progress bar on stderr'))
    .action(action(async (ctx, flags: BenchFlags, command: Command) => {
      const explicitDir = explicitDataDir(command, ctx.globals.dataDir);
      const options: ScalingOptions = {
        partitionCounts: flags.partitions,
        recordSizesBytes: flags.recordSizes,
        recordCount: flags.records,
        durationMs: flags.duration * 1000,
        warmupMs: flags.warmup * 1000,
        repetitions: flags.repetitions,
        latencySeconds: flags.latencySeconds,
        latencyRecordsPerSec: flags.latencyRate,
        progress: flags.progress ? undefined : false,
        ...(explicitDir !== undefined ? { dataDir: explicitDir } : {}),
      };
      const { runPartitionScaling } = await import('../../bench-lib/scaling-run.js'); // the engine, only for this command
      const report = await runPartitionScaling(options);
      process.stdout.write(formatScalingReport(report));
      const svgPath = flags.svg ?? (flags.json !== undefined ? svgPathFor(flags.json) : undefined);
      if (flags.json !== undefined) {
        fs.writeFileSync(flags.json, JSON.stringify(report, null, 2) + '\n');
        process.stdout.write(`wrote ${flags.json}\n`);
      }
      if (svgPath !== undefined) {
        fs.writeFileSync(svgPath, renderScalingSvg(report));
        process.stdout.write(`wrote ${svgPath}\n`);
      }
    }));
  registerDensity(bench);
}
