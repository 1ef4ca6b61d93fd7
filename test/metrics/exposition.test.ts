/** The hand-written Prometheus text format, the batch-header record count, and the error-code walk. */
import { describe, expect, it } from 'vitest';
import parsePrometheus from 'parse-prometheus-text-format';
import { ExpositionWriter, formatValue, labelSet } from '../../src/metrics/exposition.js';
import { countRecords, TrafficCounters } from '../../src/metrics/traffic.js';
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
