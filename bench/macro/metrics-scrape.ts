/**
 * What /metrics costs.
 *
 * 1. Produce throughput of a real `brook serve --http` process with a 1 s Prometheus scrape
 *    running against it, over the same without one (goal: at least 97%). The broker holds a topic
 *    of `--partitions` partitions (default 1,000, one record each) besides the one produced to,
 *    so each scrape renders that many partitions' series, as a busy broker's would. Brook's own
 *    client produces 100-byte records (4 pipelined Produce requests of 7,758 records, one batch
 *    encoded once per case) to a fresh one-partition topic for `--seconds` per case (default 8: at least 5 scrapes in a case with
 *    scraping). Each round runs both cases, which one goes first alternating from round to
 *    round; the figure is the median over the rounds of each round's ratio (with / without).
 *    Printed too: scrapes per case, the exposition's size (plain and gzip, as Prometheus asks
 *    for it), how long a scrape took as the scraper saw it, and the server's CPU time per
 *    million records in each case (Linux /proc, all threads), to read alongside records/s
 *    (it moves with other load too: waiting threads spin briefly before they sleep).
 *    `--cpu-prof DIR` runs the server under `node --cpu-prof` (profile written at its exit).
 * 2. One scrape of 10,000 partitions (100 topics x 100 partitions), rendered by scrape() (the
 *    hand-written exposition) and by prom-client 15 (gauges and counters set from the same
 *    source, then registry.metrics()), in this process: median time, bytes, gzip bytes. The
 *    partition state is read from the same SharedArrayBuffer layout the partition workers
 *    publish (engine/partition-state.ts), which is all a scrape reads of a partition.
 *
 * Run: `node dist/bench/macro/metrics-scrape.js [--partitions N] [--seconds S] [--rounds N]
 * [--cpu-prof DIR] [--skip-scale] [--quick]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { KafkaClient } from '../../src/client/client.js';
import { freePort, startServer, stop } from '../../src/bench-lib/processes.js';
import { describeMachine, formatCount, machineInfo, median, round } from '../../src/bench-lib/stats.js';
import { CLIENT_BATCH_BYTES_MAX, CLIENT_IN_FLIGHT_BATCHES, CLIENT_RECORDS_PER_BATCH, createTopic } from '../../src/bench-lib/wire-brook.js';
import { createStateBuffer, SharedPartitionState } from '../../src/engine/partition/partition-state.js';
import type { PartitionState, TopicInfo } from '../../src/engine/broker.js';
import { Access } from '../../src/http/access.js';
import { LabelCache, scrape } from '../../src/metrics/scrape.js';
import type { MetricsBroker } from '../../src/metrics/source.js';
import { TrafficCounters } from '../../src/metrics/traffic.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/server/main.js');
const RECORD_BYTES = 100;
/** As clientProduce sends them: 7,758 records of 100 B per Produce request. */
const RECORDS_PER_REQUEST = Math.min(CLIENT_RECORDS_PER_BATCH, Math.floor(CLIENT_BATCH_BYTES_MAX / (RECORD_BYTES + 16)));
const SCRAPE_INTERVAL_MS = 1000;
/** The topic whose partitions every scrape renders (not produced to during the cases). */
const WIDE_TOPIC = 'wide';

function argValue(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function argString(name: string): string | null {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] ?? null : null;
}

// ---------------------------------------------------------------- 1. produce with and without scraping

interface CaseResult {
  recordsPerSec: number;
  /** The server process's CPU time (all threads) per million records acknowledged; NaN off Linux. */
  serverCpuMsPerMillion: number;
  scrapes: number;
  /** Each scrape's time from request to the last byte, as the scraper saw it. */
  scrapeMs: number[];
}

/** Scrapes `url` every SCRAPE_INTERVAL_MS (gzip, as Prometheus asks) until stopped. */
function startScraper(url: string): { stop(): Promise<number[]> } {
  let scraping = true;
  const times: number[] = [];
  const loop = (async () => {
    while (scraping) {
      const started = performance.now();
      const response = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      await response.arrayBuffer();
      times.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, SCRAPE_INTERVAL_MS - (performance.now() - started))));
    }
  })();
  return {
    async stop() {
      scraping = false;
      await loop;
      return times;
    },
  };
}

/**
 * Produces to a fresh one-partition topic for `seconds` (CLIENT_IN_FLIGHT_BATCHES requests in
 * flight); records acknowledged per second. The batch is encoded once per case and sent again and
 * again (the broker assigns offsets on its own copy), so the client, which shares the cores,
 * takes as little CPU from the broker as it can.
 */
async function produceFor(kafka: KafkaClient, topic: string, seconds: number): Promise<{ recordsPerSec: number; recordCount: number }> {
  await createTopic(kafka, topic);
  const value = Buffer.alloc(RECORD_BYTES, 0x62);
  const records = encodeRecordBatch(Array.from({ length: RECORDS_PER_REQUEST }, () => ({ value })), { baseTimestamp: Date.now() });
  let acknowledged = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const response = await kafka.produce({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      const code = response?.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
      if (code !== ErrorCode.NONE) throw new Error(`produce to ${topic} failed: error ${code}`);
      acknowledged += RECORDS_PER_REQUEST;
    }
  };
  await Promise.all(Array.from({ length: CLIENT_IN_FLIGHT_BATCHES }, lane));
  return { recordsPerSec: acknowledged / ((performance.now() - started) / 1000), recordCount: acknowledged };
}

/** User + system CPU time of a process so far, ms (Linux /proc; NaN elsewhere). */
function processCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100); // clock ticks of 1/100 s (USER_HZ)
  } catch {
    return NaN;
  }
}

async function produceCase(kafka: KafkaClient, serverPid: number, topic: string, seconds: number, scrapeUrl: string | null): Promise<CaseResult> {
  const scraper = scrapeUrl === null ? null : startScraper(scrapeUrl);
  try {
    const cpuBefore = processCpuMs(serverPid);
    const { recordsPerSec, recordCount } = await produceFor(kafka, topic, seconds);
    const serverCpuMsPerMillion = (processCpuMs(serverPid) - cpuBefore) / (recordCount / 1e6);
    const scrapeMs = (await scraper?.stop()) ?? [];
    return { recordsPerSec, serverCpuMsPerMillion, scrapes: scrapeMs.length, scrapeMs };
  } finally {
    await scraper?.stop();
  }
}

/** The wide topic, each partition holding one record (one Produce request for all of them). */
async function createWideTopic(kafka: KafkaClient, partitionCount: number): Promise<void> {
  const response = await kafka.createTopics({ topics: [{ name: WIDE_TOPIC, numPartitions: partitionCount, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60_000 });
  if ((response.topics[0]?.errorCode ?? -1) !== ErrorCode.NONE) throw new Error(`CreateTopics ${WIDE_TOPIC} failed: error ${response.topics[0]?.errorCode}`);
  const records = encodeRecordBatch([{ value: Buffer.from('present') }]);
  const partitionData = Array.from({ length: partitionCount }, (_, index) => ({ index, records }));
  const produced = await kafka.produce({ acks: 1, timeoutMs: 60_000, topicData: [{ name: WIDE_TOPIC, partitionData }] });
  const failed = produced?.responses[0]?.partitionResponses.filter((p) => p.errorCode !== ErrorCode.NONE) ?? [];
  if (failed.length > 0) throw new Error(`produce to ${WIDE_TOPIC}: ${failed.length} partitions failed`);
}

interface ProduceReport {
  rounds: { without: CaseResult; with: CaseResult; ratio: number }[];
  exposition: { bytes: number; gzipBytes: number; partitionSeries: number };
}

async function produceWithScrape(partitionCount: number, seconds: number, rounds: number, cpuProfDir: string | null): Promise<ProduceReport> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-metrics-bench-'));
  const httpPort = await freePort();
  const nodeArgs = cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const server = await startServer(process.execPath, [...nodeArgs, SERVER_MAIN, '--port', '0', '--data-dir', dataDir, '--http', `127.0.0.1:${httpPort}`], /^listening on /);
  const address = /listening on (\S+)/.exec(server.readyLine)![1]!;
  const scrapeUrl = `http://127.0.0.1:${httpPort}/metrics`;
  const report: ProduceReport = { rounds: [], exposition: { bytes: 0, gzipBytes: 0, partitionSeries: 0 } };
  const kafka = await KafkaClient.connect(address, { clientId: 'metrics-bench' });
  try {
    await createWideTopic(kafka, partitionCount);
    const plain = Buffer.from(await (await fetch(scrapeUrl, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    const text = plain.toString('utf8');
    report.exposition = {
      bytes: plain.length,
      gzipBytes: zlib.gzipSync(plain, { level: 1 }).length,
      partitionSeries: (text.match(/^brook_partition_log_end_offset\{/gm) ?? []).length,
    };
    process.stderr.write(`  exposition: ${formatCount(report.exposition.bytes)} B (gzip ${formatCount(report.exposition.gzipBytes)} B), ${report.exposition.partitionSeries} partitions\n`);
    await produceCase(kafka, server.child.pid!, 'warmup', Math.min(seconds, 3), scrapeUrl);
    for (let r = 0; r < rounds; r++) {
      // Alternate which case goes first so drift on a shared machine falls on both sides.
      const order = r % 2 === 0 ? [false, true] : [true, false];
      const round: Partial<Record<'with' | 'without', CaseResult>> = {};
      for (const scraping of order) {
        const result = await produceCase(kafka, server.child.pid!, `t-${r}-${scraping ? 'scrape' : 'plain'}`, seconds, scraping ? scrapeUrl : null);
        round[scraping ? 'with' : 'without'] = result;
        const scrapes = scraping ? ` (${result.scrapes} scrapes, median ${round1(median(result.scrapeMs))} ms each)` : '';
        process.stderr.write(`  round ${r + 1}/${rounds} ${scraping ? 'with scrape' : 'without   '}: ${formatCount(result.recordsPerSec)} records/s, server CPU ${formatCount(result.serverCpuMsPerMillion)} ms per million${scrapes}\n`);
      }
      report.rounds.push({ without: round.without!, with: round.with!, ratio: round.with!.recordsPerSec / round.without!.recordsPerSec });
    }
  } finally {
    kafka.destroy();
    await stop(server.child, 60_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return report;
}

const round1 = (value: number) => round(value, 1);

// ---------------------------------------------------------------- 2. one scrape at 10,000 partitions

/** A broker-shaped source of `topicCount` x `partitionsPerTopic` partitions with published state and traffic. */
function syntheticBroker(topicCount: number, partitionsPerTopic: number): MetricsBroker {
  const topics: TopicInfo[] = [];
  const states = new Map<string, SharedPartitionState[]>();
  const traffic = new TrafficCounters();
  for (let t = 0; t < topicCount; t++) {
    const name = `service-${String(t).padStart(3, '0')}-logs`;
    topics.push({ name, topicId: `id-${t}`, partitionCount: partitionsPerTopic, configs: {}, internal: false, leaderEpoch: 0 });
    const partitions: SharedPartitionState[] = [];
    for (let p = 0; p < partitionsPerTopic; p++) {
      const state = new SharedPartitionState(createStateBuffer());
      const end = 1_000_000 + t * 1000 + p;
      state.publish({ logStartOffset: 1000, logEndOffset: end, highWatermark: end, sizeBytes: end * 120, segmentCount: 3, recoveryPoint: end });
      partitions.push(state);
      traffic.produced(name, p, end, end * 120);
      traffic.fetched([{ topic: name, partition: p, records: null }]);
    }
    states.set(name, partitions);
  }
  return {
    clusterId: 'bench',
    topics: () => topics,
    topicConfig: () => ({}),
    partitionState: (topic: string, partition: number): PartitionState | undefined => states.get(topic)?.[partition]?.snapshot(),
    traffic,
    readiness: () => ({ ready: true, partitionsOpen: topicCount * partitionsPerTopic, partitionsTotal: topicCount * partitionsPerTopic, partitionsOffline: 0 }),
    workerStats: () => [],
    hasGroups: false,
    get groups(): never {
      throw new Error('no groups');
    },
  };
}

const PROM_FAMILIES = [
  ['brook_partition_records_in_total', 'counter', 'recordsIn'], ['brook_partition_bytes_in_total', 'counter', 'bytesIn'],
  ['brook_partition_records_out_total', 'counter', 'recordsOut'], ['brook_partition_bytes_out_total', 'counter', 'bytesOut'],
  ['brook_partition_log_start_offset', 'gauge', 'logStartOffset'], ['brook_partition_log_end_offset', 'gauge', 'logEndOffset'],
  ['brook_partition_high_watermark', 'gauge', 'highWatermark'], ['brook_partition_size_bytes', 'gauge', 'sizeBytes'],
  ['brook_partition_segments', 'gauge', 'segmentCount'],
] as const;

/** The same partition families through prom-client: values set from the source at scrape time, then rendered. */
function promClientScrape(broker: MetricsBroker, registry: client.Registry, metrics: Map<string, client.Gauge | client.Counter>): Promise<string> {
  for (const topic of broker.topics()) {
    for (let p = 0; p < topic.partitionCount; p++) {
      const row: Record<string, number> = { ...broker.partitionState(topic.name, p)!, ...broker.traffic.partition(topic.name, p) };
      const labels = { topic: topic.name, partition: String(p) };
      for (const [name, type, field] of PROM_FAMILIES) {
        const metric = metrics.get(name)!;
        // prom-client counters cannot be set: they were reset before this scrape and get the current total.
        if (type === 'counter') (metric as client.Counter).labels(labels).inc(row[field]!);
        else (metric as client.Gauge).labels(labels).set(row[field]!);
      }
    }
  }
  return registry.metrics();
}

/** Median wall time and CPU time (user + system of this process: less sensitive to a loaded machine) per scrape. */
async function timeScrapes(render: () => Promise<string | Buffer>, runs: number): Promise<{ ms: number; cpuMs: number; bytes: number; gzipBytes: number }> {
  let text = await render();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    text = await render();
    const used = process.cpuUsage(cpu);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  return { ms: median(times), cpuMs: median(cpuTimes), bytes: Buffer.byteLength(text), gzipBytes: zlib.gzipSync(text, { level: 1 }).length };
}

async function scrapeAtScale(runs: number): Promise<{ partitions: number; brook: Awaited<ReturnType<typeof timeScrapes>>; promClient: Awaited<ReturnType<typeof timeScrapes>> }> {
  const broker = syntheticBroker(100, 100);
  const labels = new LabelCache(); // as the /metrics route keeps one
  const brook = await timeScrapes(() => scrape({ broker, access: Access.everything }, labels), runs);
  const registry = new client.Registry();
  const metrics = new Map<string, client.Gauge | client.Counter>();
  for (const [name, type] of PROM_FAMILIES) {
    const options = { name, help: name, labelNames: ['topic', 'partition'], registers: [registry] };
    metrics.set(name, type === 'counter' ? new client.Counter(options) : new client.Gauge(options));
  }
  const promClient = await timeScrapes(() => {
    for (const metric of metrics.values()) if (metric instanceof client.Counter) metric.reset();
    return promClientScrape(broker, registry, metrics);
  }, runs);
  return { partitions: 10_000, brook, promClient };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const partitionCount = argValue('--partitions', 1000);
  const seconds = argValue('--seconds', quick ? 6 : 8);
  const rounds = argValue('--rounds', quick ? 2 : 5);
  const cpuProfDir = argString('--cpu-prof');
  const machine = machineInfo();
  console.log(`metrics scrape benchmark on ${describeMachine(machine)}`);

  if (!process.argv.includes('--skip-scale')) {
    const scale = await scrapeAtScale(quick ? 5 : 15);
    console.log(`\none scrape of ${formatCount(scale.partitions)} partitions (9 partition families, in-process, median):`);
    for (const [name, r] of [['brook scrape()', scale.brook], ['prom-client', scale.promClient]] as const) {
      console.log(`  ${name.padEnd(15)} ${round1(r.ms)} ms wall, ${round1(r.cpuMs)} ms CPU, ${round(r.bytes / 1e6, 2)} MB, gzip ${round(r.gzipBytes / 1e6, 2)} MB`);
    }
    console.log(`  prom-client / brook: ${round1(scale.promClient.ms / scale.brook.ms)}x wall, ${round1(scale.promClient.cpuMs / scale.brook.cpuMs)}x CPU`);
    console.log(`  load average while measuring: ${os.loadavg().map((l) => round1(l)).join(', ')}`);
  }

  console.log(`\nproduce 100 B records for ${seconds} s per case, ${rounds} rounds (with and without a ${SCRAPE_INTERVAL_MS} ms scrape, order alternating), ${formatCount(partitionCount)} other partitions present:`);
  const produce = await produceWithScrape(partitionCount, seconds, rounds, cpuProfDir);
  const { exposition } = produce;
  console.log(`  exposition: ${formatCount(exposition.bytes)} B plain, ${formatCount(exposition.gzipBytes)} B gzip (level 1), ${formatCount(exposition.partitionSeries)} partitions' series`);
  for (const [i, r] of produce.rounds.entries()) {
    console.log(`  round ${i + 1}: without ${formatCount(r.without.recordsPerSec)}, with ${formatCount(r.with.recordsPerSec)} records/s (${r.with.scrapes} scrapes, median ${round1(median(r.with.scrapeMs))} ms) -> ${round1(r.ratio * 100)}%; server CPU per million records ${formatCount(r.without.serverCpuMsPerMillion)} / ${formatCount(r.with.serverCpuMsPerMillion)} ms`);
  }
  const scrapeMs = produce.rounds.flatMap((r) => r.with.scrapeMs);
  console.log(`  scrapes: ${scrapeMs.length} in all, ${Math.min(...produce.rounds.map((r) => r.with.scrapes))}-${Math.max(...produce.rounds.map((r) => r.with.scrapes))} per case, median ${round1(median(scrapeMs))} ms each (request to last byte, gzip)`);
  console.log(`  without scrape: ${formatCount(median(produce.rounds.map((r) => r.without.recordsPerSec)))} records/s (median)`);
  console.log(`  with scrape:    ${formatCount(median(produce.rounds.map((r) => r.with.recordsPerSec)))} records/s (median)`);
  console.log(`  ratio: ${round1(median(produce.rounds.map((r) => r.ratio)) * 100)}% (median of the rounds' ratios; goal >= 97%)`);
  const cpuRatio = median(produce.rounds.map((r) => r.with.serverCpuMsPerMillion / r.without.serverCpuMsPerMillion));
  console.log(`  server CPU per record, with / without: ${round1(cpuRatio * 100)}% (median of the rounds; all threads, the scrapes' gzip included)`);
  console.log(`  load average after: ${os.loadavg().map((l) => round1(l)).join(', ')}`);
}

await main();
