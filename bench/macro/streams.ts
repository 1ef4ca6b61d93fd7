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
 * Run: npx tsc -p tsconfig.json && node dist/bench/macro/streams.js [--records N] [--restore-keys K] [--quick]
 * (full size: --records 10000000 --restore-keys 1000000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Brook } from '../../src/embedded/brook.js';
import { encodeRecordBatch, type ProducerRecord } from '../../src/protocol/record-batch.js';
import { partitionForKey } from '../../src/protocol/partitioner.js';
import { describeMachine, machineInfo, round } from '../../src/bench-lib/stats.js';
import { KafkaStreams, StreamsBuilder, TimeWindows, type Topology } from '../../src/streams/index.js';

const PARTITIONS = 4;
const KEYS = 10_000;
const VALUE_BYTES = 100;
const RECORDS_PER_MINUTE = 100_000;
const BATCH_RECORDS = 1000;
const LEVELS = ['INFO', 'WARN', 'ERROR', 'DEBUG'];

export interface StreamsBenchReport {
  machine: ReturnType<typeof machineInfo>;
  records: number;
  windowedCount: { streamsRecordsPerSec: number; consumeRecordsPerSec: number; ratio: number };
  stateless: { streamsRecordsPerSec: number; consumeProduceRecordsPerSec: number; ratio: number };
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

const keep = (value: string): boolean => value.startsWith('ERROR') || value.startsWith('WARN');
const reshape = (key: string, value: string): [string, string] => [key, value.slice(0, 40)];

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

/** Runs the topology until it has processed `records` and closes it (final commit included). */
async function runStreams(brook: Brook, topology: Topology, applicationId: string, records: number, stateDir: string): Promise<number> {
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

export async function run(options: { records?: number; restoreKeys?: number; quick?: boolean } = {}): Promise<StreamsBenchReport> {
  const records = options.records ?? (options.quick ? 200_000 : 2_000_000);
  const restoreKeys = options.restoreKeys ?? (options.quick ? 100_000 : 1_000_000);
  process.env.BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS = '0';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-streams-bench-'));
  const brook = await Brook.open({ dataDir: path.join(root, 'data'), handleSignals: false });
  try {
    await produceInput(brook, 'input', records, KEYS, Date.parse('2024-05-01T00:00:00Z'));

    const windowed = new StreamsBuilder();
    windowed.stream('input').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count();
    const consumeRecordsPerSec = await consumeLoop(brook, 'input', records);
    const windowedRecordsPerSec = await runStreams(brook, windowed.build(), 'bench-windowed', records, path.join(root, 'state-windowed'));

    const stateless = new StreamsBuilder();
    stateless.stream('input').filter((_k, v) => keep(v)).map((k, v) => reshape(k, v)).to('out-streams');
    const consumeProduceRecordsPerSec = await consumeProduceLoop(brook, 'input', 'out-loop', records);
    const statelessRecordsPerSec = await runStreams(brook, stateless.build(), 'bench-stateless', records, path.join(root, 'state-stateless'));

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
      windowedCount: { streamsRecordsPerSec: round(windowedRecordsPerSec, 0), consumeRecordsPerSec: round(consumeRecordsPerSec, 0), ratio: round(windowedRecordsPerSec / consumeRecordsPerSec, 3) },
      stateless: { streamsRecordsPerSec: round(statelessRecordsPerSec, 0), consumeProduceRecordsPerSec: round(consumeProduceRecordsPerSec, 0), ratio: round(statelessRecordsPerSec / consumeProduceRecordsPerSec, 3) },
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
  const report = await run({ records: arg('--records'), restoreKeys: arg('--restore-keys'), quick: process.argv.includes('--quick') });
  console.log(`machine: ${describeMachine(report.machine)} (shared with other work: figures are noisy)`);
  const k = (n: number) => `${Math.round(n).toLocaleString('en-US')} records/s`;
  console.log(`records: ${report.records.toLocaleString('en-US')} of ${VALUE_BYTES} B, ${KEYS.toLocaleString('en-US')} keys, ${PARTITIONS} partitions`);
  console.log(`windowed count:   streams ${k(report.windowedCount.streamsRecordsPerSec)} vs consume loop ${k(report.windowedCount.consumeRecordsPerSec)}: ${Math.round(report.windowedCount.ratio * 100)}% (goal 50%)`);
  console.log(`filter+map+to:    streams ${k(report.stateless.streamsRecordsPerSec)} vs consume+produce loop ${k(report.stateless.consumeProduceRecordsPerSec)}: ${Math.round(report.stateless.ratio * 100)}% (goal 70%)`);
  for (const r of report.restore) {
    console.log(`restore ${r.keys.toLocaleString('en-US')} keys: from the changelog ${r.changelogRestoreMs} ms (${r.restoredRecords.toLocaleString('en-US')} records); clean restart with checkpoint ${r.checkpointRestartMs} ms (${r.checkpointRestoredRecords} records)`);
  }
  console.log(JSON.stringify(report));
}
