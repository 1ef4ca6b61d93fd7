/**
 * /metrics and /readyz of a real `brook serve --http` process: scrape, produce and consume known
 * counts over the Kafka protocol, scrape again, and check the deltas. Every exposition must parse
 * with parse-prometheus-text-format (npm) and pass the format rules that parser does not enforce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import parsePrometheus, { type ParsedFamily } from 'parse-prometheus-text-format';
import { Kafka, logLevel } from 'kafkajs';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { eventually, startWithHttp, type HttpServerProcess } from '../helpers/http-server.js';

let server: HttpServerProcess;
let backend: NetworkBackend;

beforeAll(async () => {
  server = await startWithHttp({ env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
  backend = await NetworkBackend.connect(server.address);
  await backend.createTopic('orders', { partitions: 2 });
});

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

/**
 * Histogram lines, checked by hand: parse-prometheus-text-format folds a histogram with labels
 * besides `le` into one sample. Per label set: buckets cumulative, +Inf last and equal to _count.
 */
function histogramCounts(text: string, name: string): Map<string, number> {
  const counts = new Map<string, number>();
  const buckets = new Map<string, number[]>();
  for (const match of text.matchAll(new RegExp(`^${name}_bucket\\{(.*),le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    const series = buckets.get(match[1]!) ?? [];
    series.push(Number(match[3]));
    buckets.set(match[1]!, series);
  }
  for (const match of text.matchAll(new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`, 'gm'))) counts.set(match[1]!, Number(match[2]));
  for (const [labels, series] of buckets) {
    for (let i = 1; i < series.length; i++) expect(series[i]!).toBeGreaterThanOrEqual(series[i - 1]!);
    expect(series[series.length - 1]).toBe(counts.get(labels));
  }
  return counts;
}

let lastText = '';

/** Scrapes, checks the exposition against the format's rules, and indexes it by family name. */
async function scrape(): Promise<Map<string, ParsedFamily>> {
  const response = await fetch(`${server.httpUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  lastText = text;
  histogramCounts(text, 'brook_request_duration_seconds');
  const families = parsePrometheus(text);
  const byName = new Map<string, ParsedFamily>();
  for (const family of families) {
    // One group per family (the parser would accept a split family as two).
    expect(byName.has(family.name), `family ${family.name} appears twice`).toBe(false);
    expect(family.type, `family ${family.name} has no # TYPE`).not.toBe('UNTYPED');
    expect(family.name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    for (const sample of family.type === 'HISTOGRAM' ? [] : family.metrics) {
      const values = sample.buckets === undefined ? [sample.value!] : [...Object.values(sample.buckets), sample.count!, sample.sum!];
      for (const value of values) expect(Number.isNaN(Number(value)), `${family.name} value '${value}'`).toBe(false);
    }
    if (family.type === 'COUNTER') expect(family.name).toMatch(/_total$/);
    byName.set(family.name, family);
  }
  return byName;
}

/** The sample's value; `absent` (when given) stands for a sample not there yet (a counter before its first event). */
function value(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}, absent?: number): number {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no family ${name}`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (sample === undefined && absent !== undefined) return absent;
  if (sample === undefined) throw new Error(`no ${name} sample with ${JSON.stringify(labels)}`);
  return Number(sample.value);
}

const batchOf = (count: number, tag: string) => encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`${tag}-${i}`) })));

describe('/metrics', () => {
  it('counts the records and bytes produced and fetched per partition, and Produce requests and errors per API', async () => {
    const before = await scrape();
    const produceLatencyCountBefore = histogramCounts(lastText, 'brook_request_duration_seconds').get('api="Produce"') ?? 0;
    const p0 = { topic: 'orders', partition: '0' };
    const p1 = { topic: 'orders', partition: '1' };
    const sizeBefore = value(before, 'brook_partition_size_bytes', p0) + value(before, 'brook_partition_size_bytes', p1);

    // 3 batches of 10 to partition 0, 2 batches of 10 to partition 1, and one produce to a partition that does not exist.
    for (let i = 0; i < 3; i++) expect((await backend.produce('orders', 0, batchOf(10, `a${i}`), 1)).errorCode).toBe(ErrorCode.NONE);
    for (let i = 0; i < 2; i++) expect((await backend.produce('orders', 1, batchOf(10, `b${i}`), 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await backend.produce('orders', 7, batchOf(1, 'x'), 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const afterProduce = await scrape();

    expect(value(afterProduce, 'brook_partition_records_in_total', p0) - value(before, 'brook_partition_records_in_total', p0)).toBe(30);
    expect(value(afterProduce, 'brook_partition_records_in_total', p1) - value(before, 'brook_partition_records_in_total', p1)).toBe(20);
    expect(value(afterProduce, 'brook_partition_log_end_offset', p0)).toBe(30);
    expect(value(afterProduce, 'brook_partition_high_watermark', p1)).toBe(20);
    // Batches are stored byte for byte: what came in is what the segments grew by.
    const bytesIn = ['0', '1'].reduce((sum, partition) => sum + value(afterProduce, 'brook_partition_bytes_in_total', { topic: 'orders', partition }) - value(before, 'brook_partition_bytes_in_total', { topic: 'orders', partition }), 0);
    const sizeAfter = value(afterProduce, 'brook_partition_size_bytes', p0) + value(afterProduce, 'brook_partition_size_bytes', p1);
    expect(bytesIn).toBeGreaterThan(0);
    expect(bytesIn).toBe(sizeAfter - sizeBefore);
    expect(value(afterProduce, 'brook_requests_total', { api: 'Produce' }) - value(before, 'brook_requests_total', { api: 'Produce' }, 0)).toBe(6);
    expect(value(afterProduce, 'brook_request_errors_total', { api: 'Produce', error: 'UNKNOWN_TOPIC_OR_PARTITION' })).toBe(1);
    expect(histogramCounts(lastText, 'brook_request_duration_seconds').get('api="Produce"')! - produceLatencyCountBefore).toBe(6);

    // One fetch of each partition from offset 0 reads every record once.
    const fetched = await backend.fetch(
      [{ topic: 'orders', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }, { topic: 'orders', partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
      { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20 },
    );
    const fetchedBytes = fetched.reduce((sum, r) => sum + (r.records?.length ?? 0), 0);
    const afterFetch = await scrape();
    expect(value(afterFetch, 'brook_partition_records_out_total', p0) - value(afterProduce, 'brook_partition_records_out_total', p0)).toBe(30);
    expect(value(afterFetch, 'brook_partition_records_out_total', p1) - value(afterProduce, 'brook_partition_records_out_total', p1)).toBe(20);
    const bytesOut = ['0', '1'].reduce((sum, partition) => sum + value(afterFetch, 'brook_partition_bytes_out_total', { topic: 'orders', partition }) - value(afterProduce, 'brook_partition_bytes_out_total', { topic: 'orders', partition }), 0);
    expect(bytesOut).toBe(fetchedBytes);
    expect(value(afterFetch, 'brook_requests_total', { api: 'Fetch' }) - value(before, 'brook_requests_total', { api: 'Fetch' }, 0)).toBe(1);
  });

  it('shows a consumer group\'s members, state, rebalances and lag falling to zero as it consumes', async () => {
    await backend.createTopic('lagging', { partitions: 1 });
    expect((await backend.produce('lagging', 0, batchOf(25, 'l'), 1)).errorCode).toBe(ErrorCode.NONE);
    const kafka = new Kafka({ brokers: [server.address], clientId: 'metrics-test', logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'metrics-g', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    let seen = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'lagging', fromBeginning: true });
      await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
      await eventually('the group to commit all 25 records', async () => {
        const families = await scrape();
        return families.get('brook_group_lag')!.metrics.some((m) => m.labels?.group === 'metrics-g' && m.value === '0') && seen === 25;
      });
      const families = await scrape();
      const group = { group: 'metrics-g' };
      expect(value(families, 'brook_group_lag', { ...group, topic: 'lagging', partition: '0' })).toBe(0);
      expect(value(families, 'brook_group_committed_offset', { ...group, topic: 'lagging', partition: '0' })).toBe(25);
      expect(value(families, 'brook_group_members', group)).toBe(1);
      expect(value(families, 'brook_group_state', { ...group, state: 'Stable' })).toBe(1);
      expect(value(families, 'brook_group_rebalances_total', group)).toBeGreaterThanOrEqual(1);
      // 10 more records: the lag shows them until the consumer catches up again.
      await consumer.pause([{ topic: 'lagging' }]);
      expect((await backend.produce('lagging', 0, batchOf(10, 'm'), 1)).errorCode).toBe(ErrorCode.NONE);
      const paused = await scrape();
      expect(value(paused, 'brook_group_lag', { ...group, topic: 'lagging', partition: '0' })).toBe(10);
      consumer.resume([{ topic: 'lagging' }]);
      await eventually('the lag to fall back to 0', async () => value(await scrape(), 'brook_group_lag', { ...group, topic: 'lagging', partition: '0' }) === 0);
    } finally {
      await consumer.disconnect();
    }
  });

  it('reports readiness, workers, connections and the process', async () => {
    const families = await scrape();
    expect(value(families, 'brook_ready')).toBe(1);
    expect(value(families, 'brook_partitions')).toBe(value(families, 'brook_partitions_open'));
    expect(value(families, 'brook_partitions')).toBeGreaterThanOrEqual(3);
    const partitionWorkers = families.get('brook_worker_partitions')!.metrics.filter((m) => m.labels?.kind === 'partition');
    expect(partitionWorkers.reduce((sum, m) => sum + Number(m.value), 0)).toBe(value(families, 'brook_partitions'));
    expect(families.get('brook_worker_restarts_total')!.metrics.length).toBeGreaterThan(0);
    expect(value(families, 'brook_connections', { listener: 'kafka' })).toBeGreaterThanOrEqual(1);
    expect(value(families, 'brook_connections', { listener: 'http' })).toBeGreaterThanOrEqual(1);
    expect(value(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(families, 'process_open_fds')).toBeGreaterThan(0);
    expect(value(families, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(families.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);

    const ready = await fetch(`${server.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ready: boolean; partitionsOpen: number; partitionsTotal: number };
    expect(body).toMatchObject({ ready: true, partitionsTotal: value(families, 'brook_partitions') });
  });

  it('answers gzip when asked and the exposition is large enough to gain from it', async () => {
    await backend.createTopic('wide', { partitions: 16 });
    const plain = await (await fetch(`${server.httpUrl}/metrics`, { headers: { 'accept-encoding': 'identity' } })).text();
    const zipped = await fetch(`${server.httpUrl}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(Number(zipped.headers.get('content-length'))).toBeLessThan(Buffer.byteLength(plain) / 3);
    // fetch() inflates it: the same families come back.
    expect(parsePrometheus(await zipped.text()).map((f) => f.name)).toEqual(parsePrometheus(plain).map((f) => f.name));
  });
});
