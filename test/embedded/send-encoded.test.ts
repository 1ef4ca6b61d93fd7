/**
 * The producer's sendEncoded() (bulk-encoded.ts), against a real embedded broker: a batch a
 * caller encoded is written as one batch with the producer's header, in call order with the
 * other sends, idempotently; a partition out of range fails its records and writes nothing; and
 * what a batch holds counts against bufferBytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import type { EncodedBatch } from '../../src/embedded/bulk-encoded.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<Brook> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'brook-send-encoded-'));
  dirs.push(dataDir);
  return Brook.open({ dataDir });
}

/** Records encoded as a RecordBatch v2 body (the header room is overwritten when sealed). */
function encoded(partition: number, values: string[], timestampMs: number): EncodedBatch {
  const buffer = encodeRecordBatch(values.map((value, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(value), timestamp: timestampMs + i })), { baseTimestamp: timestampMs });
  const payloadBytes = values.reduce((sum, value, i) => sum + Buffer.byteLength(value) + `k${i}`.length, 0);
  return { partition, buffer, recordCount: values.length, baseTimestampMs: timestampMs, maxTimestampMs: timestampMs + values.length - 1, payloadBytes, heldBytes: buffer.length };
}

async function read(brook: Brook, topic: string): Promise<Array<{ offset: number; key: string | null; value: string; timestamp: number }>> {
  const records = [];
  for await (const record of brook.consumer({ topic, from: 'beginning', follow: false })) {
    records.push({ offset: record.offset, key: record.key?.toString() ?? null, value: record.value!.toString(), timestamp: record.timestamp });
  }
  return records;
}

describe('Producer.sendEncoded', () => {
  it('writes the batch in call order between other sends, with its keys, values and timestamps', async () => {
    const brook = await open();
    try {
      await brook.admin.createTopic('t', { partitions: 1 });
      const producer = brook.producer({ lingerMs: 50 });
      expect(producer.limitsNow('t')).toBeUndefined(); // nothing looked it up yet
      const first = producer.sendRecords('t', [{ key: null, value: Buffer.from('before'), headers: [], timestamp: 1000 }]);
      const middle = producer.sendEncoded('t', encoded(0, ['e1', 'e2', 'e3'], 2000));
      const last = producer.sendRecords('t', [{ key: null, value: Buffer.from('after'), headers: [], timestamp: 3000 }]);
      expect(await first).toMatchObject({ recordCount: 1, failedCount: 0 });
      expect(await middle).toMatchObject({ recordCount: 3, failedCount: 0, byteCount: 12, lastOffset: 3, error: null });
      expect(await last).toMatchObject({ recordCount: 1, failedCount: 0 });
      expect(producer.limitsNow('t')?.partitionCount).toBe(1);
      await producer.close();
      expect(await read(brook, 't')).toEqual([
        { offset: 0, key: null, value: 'before', timestamp: 1000 },
        { offset: 1, key: 'k0', value: 'e1', timestamp: 2000 },
        { offset: 2, key: 'k1', value: 'e2', timestamp: 2001 },
        { offset: 3, key: 'k2', value: 'e3', timestamp: 2002 },
        { offset: 4, key: null, value: 'after', timestamp: 3000 },
      ]);
    } finally {
      await brook.close();
    }
  });

  it('fails every record of a batch for a partition the topic does not have, and writes nothing', async () => {
    const brook = await open();
    try {
      await brook.admin.createTopic('t', { partitions: 2 });
      const producer = brook.producer();
      const result = await producer.sendEncoded('t', encoded(2, ['x', 'y'], 1000));
      expect(result).toMatchObject({ recordCount: 0, failedCount: 2 });
      expect((result.error as { code?: string }).code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      await producer.close();
      expect(await read(brook, 't')).toEqual([]);
    } finally {
      await brook.close();
    }
  });

  it('counts what a batch holds against bufferBytes until it is acknowledged', async () => {
    const brook = await open();
    try {
      await brook.admin.createTopic('t', { partitions: 1 });
      const producer = brook.producer({ bufferBytes: 64 * 1024 });
      await producer.sendEncoded('t', encoded(0, ['warm-up'], 1000)); // the topic's limits are known now
      const batch = { ...encoded(0, ['big'], 2000), heldBytes: 1024 * 1024 };
      const sent = producer.sendEncoded('t', batch);
      expect(producer.hasCapacity()).toBe(false); // a view of a big slab holds all of it
      expect(await sent).toMatchObject({ recordCount: 1, failedCount: 0 });
      await producer.ready(); // the bound is freed right after the acknowledgement settles the call
      expect(producer.hasCapacity()).toBe(true);
      await producer.close();
      expect((await read(brook, 't')).map((record) => record.value)).toEqual(['warm-up', 'big']);
    } finally {
      await brook.close();
    }
  });
});
