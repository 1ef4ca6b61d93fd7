/**
 * What /metrics costs.
 *
 * 1. Produce throughput of a real `brook serve --http` process with a 1 s Prometheus scrape
 *    running against it, over the same run without one (goal: at least 97%). Brook's own client
 *    produces `--records` 100-byte records to a fresh one-partition topic per case; cases
 *    alternate (without, with, without, ...) and the medians are compared.
 * 2. One scrape of 10,000 partitions (100 topics x 100 partitions), rendered by scrape() (the
 *    hand-written exposition) and by prom-client 15 (gauges and counters set from the same
 *    source, then registry.metrics()), in this process: median time, bytes, gzip bytes. The
 *    partition state is read from the same SharedArrayBuffer layout the partition workers
 *    publish (engine/partition-state.ts); the sharded engine's 10,000 partitions cannot run as
 *    10,000 workers of today's engine on this machine, and a scrape touches nothing else.
 *
 * Run: `node dist/bench/macro/metrics-scrape.js [--records N] [--repetitions N] [--quick]`.
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
import { clientProduce, createTopic } from '../../src/bench-lib/wire-brook.js';
import { createStateBuffer, SharedPartitionState } from '../../src/engine/partition/partition-state.js';
import type { PartitionState, TopicInfo } from '../../src/engine/broker.js';
import { Access } from '../../src/http/access.js';
import { scrape } from '../../src/metrics/scrape.js';
import type { MetricsBroker } from '../../src/metrics/source.js';
import { TrafficCounters } from '../../src/metrics/traffic.js';

const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/server/main.js');
const RECORD_BYTES = 100;
const SCRAPE_INTERVAL_MS = 1000;

function argValue(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

// ---------------------------------------------------------------- 1. produce with and without scraping

async function produceCase(address: string, topic: string, recordCount: number, scrapeUrl: string | null): Promise<{ recordsPerSec: number; scrapes: number }> {
  const kafka = await KafkaClient.connect(address, { clientId: 'metrics-bench' });
  let scrapes = 0;
  let scraping = scrapeUrl !== null;
  const scraper = (async () => {
    while (scraping) {
      const started = Date.now();
      const response = await fetch(scrapeUrl!, { headers: { 'accept-encoding': 'gzip' } });
      await response.arrayBuffer();
      scrapes++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, SCRAPE_INTERVAL_MS - (Date.now() - started))));
    }
  })();
  try {
    await createTopic(kafka, topic);
    const result = await clientProduce(kafka, topic, RECORD_BYTES, recordCount);
    return { recordsPerSec: result.recordsPerSec, scrapes };
  } finally {
    scraping = false;
    await scraper;
    kafka.destroy();
  }
}

async function produceWithScrape(recordCount: number, repetitions: number): Promise<{ without: number; with: number; ratio: number; scrapesPerRun: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-metrics-bench-'));
  const httpPort = await freePort();
  const server = await startServer(process.execPath, [SERVER_MAIN, '--port', '0', '--data-dir', dataDir, '--http', `127.0.0.1:${httpPort}`], /^listening on /);
  const address = /listening on (\S+)/.exec(server.readyLine)![1]!;
  const scrapeUrl = `http://127.0.0.1:${httpPort}/metrics`;
  const without: number[] = [];
  const withScrape: number[] = [];
  const scrapes: number[] = [];
  try {
    await produceCase(address, 'warmup', recordCount, scrapeUrl);
    for (let r = 0; r < repetitions; r++) {
      // Alternate the order so drift on a shared machine falls on both sides.
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const scraping of order) {
        const result = await produceCase(address, `t-${r}-${scraping ? 'scrape' : 'plain'}`, recordCount, scraping ? scrapeUrl : null);
        (scraping ? withScrape : without).push(result.recordsPerSec);
        if (scraping) scrapes.push(result.scrapes);
        process.stderr.write(`  run ${r + 1}/${repetitions} ${scraping ? 'with scrape' : 'without   '}: ${formatCount(result.recordsPerSec)} records/s${scraping ? ` (${result.scrapes} scrapes)` : ''}\n`);
      }
    }
  } finally {
    await stop(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { without: median(without), with: median(withScrape), ratio: median(withScrape) / median(without), scrapesPerRun: median(scrapes) };
}

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
  const brook = await timeScrapes(() => scrape({ broker, access: Access.everything }), runs);
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
  const recordCount = argValue('--records', quick ? 300_000 : 2_000_000);
  const repetitions = argValue('--repetitions', quick ? 2 : 5);
  const machine = machineInfo();
  console.log(`metrics scrape benchmark on ${describeMachine(machine)}`);

  const scale = await scrapeAtScale(quick ? 5 : 15);
  console.log(`\none scrape of ${formatCount(scale.partitions)} partitions (9 partition families, in-process, median):`);
  for (const [name, r] of [['brook scrape()', scale.brook], ['prom-client', scale.promClient]] as const) {
    console.log(`  ${name.padEnd(15)} ${round(r.ms, 1)} ms wall, ${round(r.cpuMs, 1)} ms CPU, ${round(r.bytes / 1e6, 2)} MB, gzip ${round(r.gzipBytes / 1e6, 2)} MB`);
  }
  console.log(`  prom-client / brook: ${round(scale.promClient.ms / scale.brook.ms, 1)}x wall, ${round(scale.promClient.cpuMs / scale.brook.cpuMs, 1)}x CPU`);
  console.log(`  load average while measuring: ${os.loadavg().map((l) => round(l, 1)).join(', ')}`);

  console.log(`\nproduce ${formatCount(recordCount)} x ${RECORD_BYTES} B records, ${repetitions} repetitions each, with and without a ${SCRAPE_INTERVAL_MS} ms scrape:`);
  const produce = await produceWithScrape(recordCount, repetitions);
  console.log(`  without scrape: ${formatCount(produce.without)} records/s (median)`);
  console.log(`  with scrape:    ${formatCount(produce.with)} records/s (median, ~${produce.scrapesPerRun} scrapes per run)`);
  console.log(`  ratio: ${round(produce.ratio * 100, 1)}% (goal >= 97%)`);
}

await main();
