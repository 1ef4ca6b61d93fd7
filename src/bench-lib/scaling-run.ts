/**
 * Runs the whole partition-scaling benchmark: for each repetition, the storage baseline per record
 * size, then every (record size, partition count) engine case, then the latency run; reports the
 * median of the repetitions for every figure, and the goals checked against them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Broker } from '../engine/broker.js';
import { runEngineCase, runStorageBaseline, type CaseFootprint, type CaseSpec, type Throughput } from './partition-scaling.js';
import { MIN_CASE_MS_DEFAULT, WARMUP_MS_DEFAULT } from './case-timing.js';
import { runLatency, type LatencyResult } from './latency.js';
import { ProgressBar } from './progress.js';
import { machineInfo, median, type MachineInfo } from './stats.js';
import { evaluateGoals, type ScalingGoals } from './scaling-report.js';

export interface ScalingOptions {
  partitionCounts: number[];
  recordSizesBytes: number[];
  /** Records per case at least (all partitions together); a case also stops at durationMs. */
  recordCount: number;
  durationMs: number;
  /** A case runs at least this long, producing past recordCount (default MIN_CASE_MS_DEFAULT, ~1 s). */
  minDurationMs?: number;
  /** Untimed warm-up per core's worth of partitions before each case (default WARMUP_MS_DEFAULT; see warmupMsFor). */
  warmupMs?: number;
  repetitions: number;
  /** Where the broker and the baseline log live; default a temp dir, removed afterwards. */
  dataDir?: string;
  /** 0 skips the latency run. */
  latencySeconds: number;
  latencyRecordsPerSec: number;
  progress?: boolean;
}

/** Medians over repetitions; `runs` keeps every repetition's figure. */
export interface Measured {
  recordsPerSec: number;
  megabytesPerSec: number;
  runsRecordsPerSec: number[];
}

export interface ScalingRow {
  recordBytes: number;
  partitions: number;
  produce: Measured;
  consume: Measured;
  /** The process's resident memory after the case's produce (largest over repetitions), MiB. */
  rssMiB: number;
  /** Threads of the process during the case (largest over repetitions). */
  threads: number;
}

export interface BaselineRow {
  recordBytes: number;
  produce: Measured;
  consume: Measured;
}

export interface ScalingReport {
  benchmark: 'partition-scaling';
  startedAt: string;
  machine: MachineInfo;
  options: Omit<ScalingOptions, 'progress'>;
  baseline: BaselineRow[];
  results: ScalingRow[];
  latency: LatencyResult[] | null;
  latencyMedian: { p50Ms: number; p99Ms: number } | null;
  goals: ScalingGoals;
}

function measured(runs: Throughput[]): Measured {
  return {
    recordsPerSec: Math.round(median(runs.map((r) => r.recordsPerSec))),
    megabytesPerSec: Number(median(runs.map((r) => r.megabytesPerSec)).toFixed(1)),
    runsRecordsPerSec: runs.map((r) => Math.round(r.recordsPerSec)),
  };
}

export async function runPartitionScaling(options: ScalingOptions): Promise<ScalingReport> {
  const startedAt = new Date().toISOString();
  const ownDir = options.dataDir === undefined;
  const root = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-'));
  const brokerDir = path.join(root, 'broker');
  const baselineDir = path.join(root, 'baseline');
  fs.mkdirSync(baselineDir, { recursive: true });
  const stepCount = options.repetitions * (options.recordSizesBytes.length * (1 + options.partitionCounts.length) + (options.latencySeconds > 0 ? 1 : 0));
  const bar = new ProgressBar(stepCount, process.stderr, options.progress);
  const engineRuns = new Map<string, { produce: Throughput[]; consume: Throughput[]; footprints: CaseFootprint[] }>();
  const baselineRuns = new Map<number, { produce: Throughput[]; consume: Throughput[] }>();
  const latency: LatencyResult[] = [];
  const broker = await Broker.open({ dataDir: brokerDir });
  try {
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const recordBytes of options.recordSizesBytes) {
        const spec: CaseSpec = {
          recordBytes,
          recordCount: options.recordCount,
          durationMs: options.durationMs,
          minDurationMs: options.minDurationMs ?? MIN_CASE_MS_DEFAULT,
          warmupMs: options.warmupMs ?? WARMUP_MS_DEFAULT,
        };
        bar.draw(`rep ${rep + 1}: baseline ${recordBytes} B`);
        const base = await runStorageBaseline(baselineDir, spec);
        const b = baselineRuns.get(recordBytes) ?? { produce: [], consume: [] };
        b.produce.push(base.produce);
        b.consume.push(base.consume);
        baselineRuns.set(recordBytes, b);
        bar.tick(`rep ${rep + 1}: ${recordBytes} B`);
        for (const partitions of options.partitionCounts) {
          bar.draw(`rep ${rep + 1}: ${recordBytes} B x ${partitions} partitions`);
          const result = await runEngineCase(broker, `bench-${recordBytes}-${partitions}-${rep}`, partitions, spec);
          const key = `${recordBytes}/${partitions}`;
          const e = engineRuns.get(key) ?? { produce: [], consume: [], footprints: [] };
          e.produce.push(result.produce);
          e.consume.push(result.consume);
          e.footprints.push(result.footprint);
          engineRuns.set(key, e);
          bar.tick(`rep ${rep + 1}: ${recordBytes} B x ${partitions}`);
        }
      }
      if (options.latencySeconds > 0) {
        bar.draw(`rep ${rep + 1}: latency at ${options.latencyRecordsPerSec} records/s`);
        latency.push(await runLatency(broker, `bench-latency-${rep}`, { recordsPerSec: options.latencyRecordsPerSec, seconds: options.latencySeconds }));
        bar.tick('latency');
      }
    }
  } finally {
    bar.finish();
    await broker.close();
    if (ownDir) fs.rmSync(root, { recursive: true, force: true });
    else fs.rmSync(baselineDir, { recursive: true, force: true });
  }
  const baseline = options.recordSizesBytes.map((recordBytes) => {
    const runs = baselineRuns.get(recordBytes)!;
    return { recordBytes, produce: measured(runs.produce), consume: measured(runs.consume) };
  });
  const results = options.recordSizesBytes.flatMap((recordBytes) =>
    options.partitionCounts.map((partitions) => {
      const runs = engineRuns.get(`${recordBytes}/${partitions}`)!;
      return {
        recordBytes, partitions, produce: measured(runs.produce), consume: measured(runs.consume),
        rssMiB: Math.max(...runs.footprints.map((f) => f.rssMiB)), threads: Math.max(...runs.footprints.map((f) => f.threads)),
      };
    }),
  );
  const latencyMedian = latency.length === 0 ? null : { p50Ms: median(latency.map((l) => l.p50Ms)), p99Ms: median(latency.map((l) => l.p99Ms)) };
  const { progress: _progress, ...recorded } = options;
  return {
    benchmark: 'partition-scaling',
    startedAt,
    machine: machineInfo(),
    options: { ...recorded, minDurationMs: options.minDurationMs ?? MIN_CASE_MS_DEFAULT, warmupMs: options.warmupMs ?? WARMUP_MS_DEFAULT },
    baseline,
    results,
    latency: latency.length === 0 ? null : latency,
    latencyMedian,
    goals: evaluateGoals(baseline, results, latencyMedian),
  };
}
