/**
 * Brook Streams against the loops it replaces, each pair in the same run on the same records of an
 * embedded Brook (so the ratio is the figure that matters on a shared 2-core machine):
 *
 * 1. Windowed count: 10,000 keys, 1-minute tumbling windows by event time (100,000 records per
 *    minute of event time), 100-byte values, state in lmdb with its changelog, commit every 5 s;
 *    against a plain consume loop over the same records. Goal: >= 50%.
 * 2. Stateless filter + map + to: against a consume loop that filters, maps and produces the
 *    same records with the embedded producer. Goal: >= 70%.
 * 3. Restore: a key-value store of K keys (1M by default) restored from its changelog into an
 *    empty state dir, and a clean restart of the same application with its checkpoint, at K/4
 *    and K keys: the checkpointed restart should not grow with the changelog.
 *
 * The streams figures include start-up (group join, task creation) and the final commit on close,
 * so they are conservative. Topologies are built in this thread (one stream thread, the same
 * thread budget as the loops).
 *
 * Each pair runs in alternating rounds (median of per-round ratios), the streams side both on the
 * main thread (a topology built there) and on one stream worker thread (a topology module).
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/macro/streams.js [--records N] [--restore-keys K] [--rounds R] [--quick]
 * (full size: --records 10000000 --restore-keys 1000000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Brook } from '../../src/embedded/brook.js';
import { encodeRecordBatch, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { partitionForKey } from '../../src/protocol/partitioner.js';
import { describeMachine, machineInfo, median, round } from '../../src/bench-lib/stats.js';
import { KafkaStreams, StreamsBuilder, type Topology } from '../../src/streams/index.js';
import { filterMapTo, keep, reshape, windowedCount } from './streams-topologies.js';

/** The same topologies as a module, for stream worker threads (BENCH_TOPOLOGY picks one). */
const TOPOLOGY_MODULE = new URL('./streams-topologies.js', import.meta.url);

const PARTITIONS = 4;
const KEYS = 10_000;
const VALUE_BYTES = 100;
const RECORDS_PER_MINUTE = 100_000;
const BATCH_RECORDS = 1000;
const LEVELS = ['INFO', 'WARN', 'ERROR', 'DEBUG'];

/** Per topology: the loop (baseline), streams on this thread, and on one stream worker thread. */
export interface StreamsFigures {
  loopRecordsPerSec: number;
  threadRecordsPerSec: number;
  workerRecordsPerSec: number;
  /** Medians of the per-round ratios to the loop. */
  threadRatio: number;
  workerRatio: number;
  rounds: Array<{ loop: number; thread: number; worker: number }>;
}

export interface StreamsBenchReport {
  machine: ReturnType<typeof machineInfo>;
  records: number;
  windowedCount: StreamsFigures;
  stateless: StreamsFigures;
  restore: Array<{ keys: number; changelogRestoreMs: number; restoredRecords: number; checkpointRestartMs: number; checkpointRestoredRecords: number }>;
}

async function produceInput(brook: Brook, topic: string, records: number, keyCount: number, baseTime: number): Promise<void> {
  await brook.admin.createTopic(topic, { partitions: PARTITIONS });
  const keys = Array.from({ length: keyCount }, (_, k) => Buffer.from(`key-${String(k).padStart(7, '0')}`));
  const partitionOf = keys.map((k) => partitionForKey(k, PARTITIONS));
  const values = LEVELS.map((level) => Buffer.from(`${level} ${'x'.repeat(VALUE_BYTES - level.length - 1)}`));
  const pending: ProducerRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  const flush = async (p: number): Promise<void> => {
    const batch = pending[p]!;
    if (batch.length === 0) return;
    pending[p] = [];
    const result = await brook.backend.produce(topic, p, encodeRecordBatch(batch), 1);
    if (result.errorCode !== 0) throw new Error(`produce failed: ${result.errorCode}`);
  };
  for (let i = 0; i < records; i++) {
    const k = i % keyCount;
    const p = partitionOf[k]!;
    pending[p]!.push({ key: keys[k]!, value: values[i % LEVELS.length]!, timestamp: baseTime + Math.floor((i * 60_000) / RECORDS_PER_MINUTE) });
    if (pending[p]!.length >= BATCH_RECORDS) await flush(p);
  }
  for (let p = 0; p < PARTITIONS; p++) await flush(p);
}

async function consumeLoop(brook: Brook, topic: string, records: number): Promise<number> {
  const start = performance.now();
  let seen = 0;
  let bytes = 0;
  for await (const r of brook.consumer({ topic, from: 'beginning', follow: false })) {
    bytes += r.key!.length; // touch the record as a real loop would
    seen++;
  }
  if (seen !== records) throw new Error(`consumed ${seen} of ${records} (${bytes})`);
  return records / ((performance.now() - start) / 1000);
}


async function consumeProduceLoop(brook: Brook, topic: string, out: string, records: number): Promise<number> {
  const start = performance.now();
  const producer = brook.producer({ lingerMs: 10 });
  let seen = 0;
  for await (const r of brook.consumer({ topic, from: 'beginning', follow: false })) {
    seen++;
    const value = r.value!.toString();
    if (!keep(value)) continue;
    const [key, mapped] = reshape(r.key!.toString(), value);
    void producer.send({ topic: out, key, value: mapped, timestamp: r.timestamp });
    if (!producer.hasCapacity()) await producer.ready();
  }
  await producer.close();
  if (seen !== records) throw new Error(`consumed ${seen} of ${records}`);
  return records / ((performance.now() - start) / 1000);
}

/**
 * Runs the topology until it has processed `records` and closes it (final commit included). A
 * Topology runs on this thread; the module's runs on one stream worker thread (Kafka's
 * num.stream.threads=1: a thread of its own), BENCH_TOPOLOGY naming which of its topologies.
 */
async function runStreams(brook: Brook, topology: Topology | URL, applicationId: string, records: number, stateDir: string): Promise<number> {
  const start = performance.now();
  const app = new KafkaStreams(topology, brook, { applicationId, stateDir, commitIntervalMs: 5000, log: () => undefined });
  await app.start();
  for (;;) {
    const status = await app.status();
    if (app.state === 'ERROR') throw app.error;
    if (status.totals.processedRecords >= records) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await app.close();
  return records / ((performance.now() - start) / 1000);
}

/** Time from start() until every task is restored and running. */
async function timeToRunning(brook: Brook, topology: Topology, applicationId: string, stateDir: string): Promise<{ ms: number; restoredRecords: number }> {
  const start = performance.now();
  const app = new KafkaStreams(topology, brook, { applicationId, stateDir, log: () => undefined });
  await app.start();
  for (;;) {
    const tasks = (await app.status()).threads.flatMap((t) => t.tasks);
    if (app.state === 'RUNNING' && tasks.length === PARTITIONS && tasks.every((t) => t.state === 'running')) {
      const ms = performance.now() - start;
      await app.close();
      return { ms, restoredRecords: tasks.reduce((s, t) => s + t.restore.restoredRecords, 0) };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(options: { records?: number; restoreKeys?: number; rounds?: number; quick?: boolean } = {}): Promise<StreamsBenchReport> {
  const records = options.records ?? (options.quick ? 200_000 : 2_000_000);
  const restoreKeys = options.restoreKeys ?? (options.quick ? 100_000 : 1_000_000);
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-streams-bench-'));
  const brook = await Brook.open({ dataDir: path.join(root, 'data'), handleSignals: false });
  try {
    await produceInput(brook, 'input', records, KEYS, Date.parse('2024-05-01T00:00:00Z'));

    // Rounds alternate baseline and streams so that load from other work on the machine hits both;
    // the figure is the median of the per-round ratios.
    const rounds = options.rounds ?? (options.quick ? 1 : 3);
    const windowed: Array<{ loop: number; thread: number; worker: number }> = [];
    const stateless: Array<{ loop: number; thread: number; worker: number }> = [];
    for (let round = 0; round < rounds; round++) {
      const onThread = new StreamsBuilder();
      windowedCount(onThread);
      const loop = await consumeLoop(brook, 'input', records);
      const thread = await runStreams(brook, onThread.build(), `bench-windowed-${round}`, records, path.join(root, `state-windowed-${round}`));
      process.env.BENCH_TOPOLOGY = 'windowed';
      const worker = await runStreams(brook, TOPOLOGY_MODULE, `bench-windowed-worker-${round}`, records, path.join(root, `state-windowed-worker-${round}`));
      windowed.push({ loop, thread, worker });
    }
    for (let round = 0; round < rounds; round++) {
      const onThread = new StreamsBuilder();
      filterMapTo(onThread);
      const loop = await consumeProduceLoop(brook, 'input', 'out-loop', records);
      const thread = await runStreams(brook, onThread.build(), `bench-stateless-${round}`, records, path.join(root, `state-stateless-${round}`));
      process.env.BENCH_TOPOLOGY = 'stateless';
      const worker = await runStreams(brook, TOPOLOGY_MODULE, `bench-stateless-worker-${round}`, records, path.join(root, `state-stateless-worker-${round}`));
      stateless.push({ loop, thread, worker });
    }
    const summary = (runs: typeof windowed) => ({
      loopRecordsPerSec: round(median(runs.map((r) => r.loop)), 0),
      threadRecordsPerSec: round(median(runs.map((r) => r.thread)), 0),
      workerRecordsPerSec: round(median(runs.map((r) => r.worker)), 0),
      threadRatio: round(median(runs.map((r) => r.thread / r.loop)), 3),
      workerRatio: round(median(runs.map((r) => r.worker / r.loop)), 3),
      rounds: runs.map((r) => ({ loop: round(r.loop, 0), thread: round(r.thread, 0), worker: round(r.worker, 0) })),
    });

    const restore: StreamsBenchReport['restore'] = [];
    for (const keys of [Math.floor(restoreKeys / 4), restoreKeys]) {
      const topic = `keys-${keys}`;
      await produceInput(brook, topic, keys, keys, Date.parse('2024-05-01T00:00:00Z'));
      const builder = new StreamsBuilder();
      builder.stream(topic).groupByKey().count({ storeName: 'per-key' });
      const topology = builder.build();
      const stateDir = path.join(root, `state-restore-${keys}`);
      await runStreams(brook, topology, `bench-restore-${keys}`, keys, stateDir);
      const fromChangelog = await timeToRunning(brook, topology, `bench-restore-${keys}`, path.join(root, `state-empty-${keys}`));
      const checkpointed = await timeToRunning(brook, topology, `bench-restore-${keys}`, stateDir);
      restore.push({ keys, changelogRestoreMs: round(fromChangelog.ms, 0), restoredRecords: fromChangelog.restoredRecords, checkpointRestartMs: round(checkpointed.ms, 0), checkpointRestoredRecords: checkpointed.restoredRecords });
    }
    return {
      machine: machineInfo(),
      records,
      windowedCount: summary(windowed),
      stateless: summary(stateless),
      restore,
    };
  } finally {
    await brook.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): number | undefined => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : Number(process.argv[at + 1]);
  };
  const report = await run({ records: arg('--records'), restoreKeys: arg('--restore-keys'), rounds: arg('--rounds'), quick: process.argv.includes('--quick') });
  console.log(`machine: ${describeMachine(report.machine)} (shared with other work: figures are noisy)`);
  const k = (n: number) => `${Math.round(n).toLocaleString('en-US')} records/s`;
  console.log(`records: ${report.records.toLocaleString('en-US')} of ${VALUE_BYTES} B, ${KEYS.toLocaleString('en-US')} keys, ${PARTITIONS} partitions`);
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  const line = (name: string, loop: string, f: StreamsFigures, goal: string) => console.log(`${name} ${loop} ${k(f.loopRecordsPerSec)}; streams on a stream worker thread ${k(f.workerRecordsPerSec)} ` +
    `(${pct(f.workerRatio)}), on the main thread ${k(f.threadRecordsPerSec)} (${pct(f.threadRatio)}); goal ${goal} [medians of ${f.rounds.length} rounds]`);
  line('windowed count:', 'consume loop', report.windowedCount, '50%');
  line('filter+map+to: ', 'consume+produce loop', report.stateless, '70%');
  for (const r of report.restore) {
    console.log(`restore ${r.keys.toLocaleString('en-US')} keys: from the changelog ${r.changelogRestoreMs} ms (${r.restoredRecords.toLocaleString('en-US')} records); clean restart with checkpoint ${r.checkpointRestartMs} ms (${r.checkpointRestoredRecords} records)`);
  }
  console.log(JSON.stringify(report));
}
