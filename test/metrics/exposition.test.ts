/** The hand-written Prometheus text format, the batch-header record count, and the error-code walk. */
import { describe, expect, it } from 'vitest';
import parsePrometheus from 'parse-prometheus-text-format';
import { ExpositionWriter, formatValue, labelSet } from '../../src/metrics/exposition.js';
import { countRecords, TrafficCounters } from '../../src/metrics/traffic.js';
import { LabelCache, scrape } from '../../src/metrics/scrape.js';
import type { MetricsBroker } from '../../src/metrics/source.js';
import type { TopicInfo } from '../../src/engine/broker.js';
import { Access } from '../../src/http/access.js';
import { forEachErrorCode, RequestMetrics } from '../../src/metrics/requests.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

describe('ExpositionWriter', () => {
  it('escapes label values so any group or topic name round-trips through a parser', () => {
    const nasty = 'a"b\\c\nd ü';
    const out = new ExpositionWriter().family('brook_x', 'gauge', 'help with \\ and\nnewline').sample('brook_x', labelSet({ group: nasty }), 1.5);
    const [family] = parsePrometheus(out.toString());
    expect(family).toMatchObject({ name: 'brook_x', type: 'GAUGE', help: 'help with \\ and\nnewline' });
    expect(family!.metrics[0]).toEqual({ labels: { group: nasty }, value: '1.5' });
  });

  it('writes special values as Prometheus reads them and many lines across chunks intact', () => {
    expect([NaN, Infinity, -Infinity, 0.25].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0.25']);
    const out = new ExpositionWriter().family('brook_many', 'counter', 'many');
    for (let i = 0; i < 20_000; i++) out.sample('brook_many', `{partition="${i}"}`, i);
    const text = out.toBuffer().toString('utf8');
    expect(text.split('\n').length).toBe(20_000 + 3);
    expect(parsePrometheus(text)[0]!.metrics[19_999]).toEqual({ labels: { partition: '19999' }, value: '19999' });
  });

  it('writes a family from label and value columns exactly as sample() writes it line by line', () => {
    const labels = Array.from({ length: 30_000 }, (_, i) => labelSet({ topic: 't"ü', partition: i }));
    const values = Float64Array.from(labels, (_, i) => (i === 7 ? NaN : i * 1.5));
    const one = new ExpositionWriter().family('brook_x', 'gauge', 'x');
    for (let i = 0; i < 29_999; i++) one.sample('brook_x', labels[i]!, values[i]!);
    const columns = new ExpositionWriter().family('brook_x', 'gauge', 'x').samples('brook_x', labels, values, 29_999);
    expect(columns.toBuffer().equals(one.toBuffer())).toBe(true);
  });
});

/** A broker-shaped source: the named topics, every partition open with made-up state. */
function fakeBroker(topics: TopicInfo[]): MetricsBroker {
  const traffic = new TrafficCounters();
  return {
    clusterId: 'c', topics: () => topics, topicConfig: () => ({}), traffic, workerStats: () => [], hasGroups: false,
    partitionState: (topic, partition) => ({ logStartOffset: 0, logEndOffset: partition * 10 + topic.length, highWatermark: partition * 10, sizeBytes: 100, segmentCount: 1 }),
    readiness: () => ({ ready: true, partitionsOpen: 0, partitionsTotal: 0, partitionsOffline: 0 }),
    get groups(): never {
      throw new Error('no groups');
    },
  };
}

describe('scrape() with kept label sets', () => {
  const topic = (name: string, partitionCount: number): TopicInfo => ({ name, topicId: name, partitionCount, configs: {}, internal: false, leaderEpoch: 0 });

  it('renders what a fresh scrape renders, follows grown partition counts, and forgets deleted topics', async () => {
    const topics = [topic('a', 3), topic('b', 2)];
    const broker = fakeBroker(topics);
    const labels = new LabelCache();
    const sources = { broker, access: Access.everything };
    expect((await scrape(sources, labels)).equals(await scrape(sources))).toBe(true);
    expect(labels.topicCount).toBe(2);

    topics[0] = topic('a', 5);
    const grown = (await scrape(sources, labels)).toString('utf8');
    expect(grown).toContain('brook_partition_high_watermark{topic="a",partition="4"} 40\n');
    expect(Buffer.from(grown).equals(await scrape(sources))).toBe(true);

    topics.splice(1, 1);
    expect((await scrape(sources, labels)).toString('utf8')).not.toContain('topic="b"');
    expect(labels.topicCount).toBe(1);
  });
});

describe('traffic counting', () => {
  it('counts records from batch headers, skips a partial trailing batch, and adds per partition and topic', () => {
    const batches = Buffer.concat([encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]), encodeRecordBatch([{ value: Buffer.from('c') }])]);
    expect(countRecords(batches)).toBe(3);
    expect(countRecords(batches.subarray(0, batches.length - 5))).toBe(2);
    const traffic = new TrafficCounters();
    traffic.produced('t', 3, 3, batches.length);
    traffic.fetched([{ topic: 't', partition: 3, records: batches }, { topic: 't', partition: 0, records: null }]);
    expect(traffic.partition('t', 3)).toEqual({ recordsIn: 3, bytesIn: batches.length, recordsOut: 3, bytesOut: batches.length });
    expect(traffic.partition('t', 0)).toEqual({ recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 });
    expect(traffic.topic('t').recordsIn).toBe(3);
    traffic.forget('t');
    expect(traffic.topic('t').recordsIn).toBe(0);
  });
});

describe('request metrics', () => {
  it('finds every non-zero errorCode in a response, not inside record bytes', () => {
    const codes: number[] = [];
    forEachErrorCode({ errorCode: 0, responses: [{ partitionResponses: [{ errorCode: 3 }, { errorCode: 0 }, { errorCode: 6, records: Buffer.from([0, 1]) }] }] }, 6, (c) => codes.push(c));
    expect(codes).toEqual([3, 6]);
  });

  it('counts one rebalance per new generation, however many members join it', () => {
    const metrics = new RequestMetrics();
    for (const generationId of [1, 1, 1, 2, 2, 3]) metrics.observe(11, { groupId: 'g' }, { errorCode: 0, generationId }, 0.001);
    metrics.observe(11, { groupId: 'g' }, { errorCode: 27, generationId: -1 }, 0.001);
    expect(metrics.rebalanceCount('g')).toBe(3);
    const out = new ExpositionWriter();
    metrics.write(out);
    expect(out.toString()).toContain('brook_requests_total{api="JoinGroup"} 7\n');
    expect(out.toString()).toContain('brook_request_errors_total{api="JoinGroup",error="REBALANCE_IN_PROGRESS"} 1\n');
  });
});
