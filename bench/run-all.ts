/**
 * Runs every benchmark's `run()` in turn (storage micro, ring micro, recovery at a moderate size,
 * opening untouched partitions, partition scaling, wire, groups when present), prints a summary
 * and writes bench/results/<timestamp>.json with each result and the machine. A benchmark that fails is
 * recorded with its error and the rest still run; one whose compiled module is missing is skipped
 * with a note. `npm run bench`; BENCH_QUICK=1 (or --quick) shortens every run;
 * BENCH_ONLY=wire,recovery runs a subset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine, machineInfo, round } from '../src/bench-lib/stats.js';

interface BenchEntry {
  name: string;
  /** Compiled module, relative to this file in dist/bench/. */
  module: string;
  options: (quick: boolean) => Record<string, unknown>;
}

export const BENCHMARKS: BenchEntry[] = [
  { name: 'storage', module: './micro/storage.bench.js', options: (quick) => ({ timeMs: quick ? 300 : 1000 }) },
  { name: 'ring', module: './micro/ring.bench.js', options: (quick) => ({ timeMs: quick ? 300 : 1000, quick }) },
  { name: 'syslog-encoder', module: './micro/syslog-encoder.bench.js', options: (quick) => ({ lines: quick ? 50_000 : 300_000, rounds: quick ? 1 : 5 }) },
  { name: 'recovery', module: './macro/recovery.js', options: (quick) => ({ sizeMiB: quick ? 64 : 256, rounds: quick ? 1 : 3 }) },
  { name: 'partition-open', module: './macro/partition-open.js', options: (quick) => ({ partitions: quick ? 1000 : 10_000, rounds: quick ? 1 : 3 }) },
  { name: 'partition-scaling', module: './macro/partition-scaling.js', options: (quick) => ({ quick }) },
  { name: 'wire', module: './macro/wire.js', options: (quick) => ({ quick }) },
  { name: 'groups', module: './macro/groups.js', options: (quick) => ({ quick }) },
  { name: 'produce-validation', module: './macro/produce-validation-wire.js', options: (quick) => ({ quick }) },
];

export interface RunAllEntry {
  name: string;
  status: 'ok' | 'failed' | 'missing';
  seconds: number;
  result?: unknown;
  error?: string;
}

export async function runAll(options: { quick: boolean; only?: string[] }): Promise<{ file: string; entries: RunAllEntry[] }> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const entries: RunAllEntry[] = [];
  const machine = machineInfo();
  process.stdout.write(`brook benchmarks${options.quick ? ' (quick)' : ''} — ${describeMachine(machine)}\n`);
  for (const bench of BENCHMARKS) {
    if (options.only !== undefined && !options.only.includes(bench.name)) continue;
    const file = path.join(here, bench.module);
    if (!fs.existsSync(file)) {
      process.stdout.write(`\n=== ${bench.name}: skipped, ${path.relative(process.cwd(), file)} not built\n`);
      entries.push({ name: bench.name, status: 'missing', seconds: 0 });
      continue;
    }
    process.stdout.write(`\n=== ${bench.name}\n`);
    const start = process.hrtime.bigint();
    try {
      const mod = (await import(pathToFileURL(file).href)) as { run?: (o: Record<string, unknown>) => unknown };
      if (typeof mod.run !== 'function') throw new Error(`${bench.module} exports no run()`);
      const result = await mod.run(bench.options(options.quick));
      const seconds = round(Number(process.hrtime.bigint() - start) / 1e9, 1);
      if (bench.name === 'storage' || bench.name === 'recovery' || bench.name === 'ring' || bench.name === 'partition-open') process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      entries.push({ name: bench.name, status: 'ok', seconds, result });
    } catch (err) {
      const seconds = round(Number(process.hrtime.bigint() - start) / 1e9, 1);
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stdout.write(`${bench.name} FAILED: ${message}\n`);
      entries.push({ name: bench.name, status: 'failed', seconds, error: message });
    }
  }
  const resultsDir = path.resolve(here, '../../bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.join(resultsDir, `${stamp}.json`);
  fs.writeFileSync(out, JSON.stringify({ startedAt: new Date().toISOString(), quick: options.quick, machine, entries }, null, 2) + '\n');
  process.stdout.write('\n=== summary\n');
  for (const e of entries) process.stdout.write(`  ${e.name.padEnd(18)} ${e.status.padEnd(8)} ${e.seconds} s${e.error ? `  ${e.error.split('\n')[0]}` : ''}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
  return { file: out, entries };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const { entries } = await runAll({ quick, ...(only ? { only } : {}) });
  process.exit(entries.some((e) => e.status === 'failed') ? 1 : 0);
}
