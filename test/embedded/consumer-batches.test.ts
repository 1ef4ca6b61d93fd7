/** Consumer.poll() and pollBatches() over a real in-process broker (workers from dist/). */
import { rmSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Brook } from '../../src/embedded/brook.js';
import { BrokerBackend } from '../../src/embedded/broker-backend.js';
import type { BrookBackend } from '../../src/embedded/backend.js';
import { Consumer, type ConsumerRecord, type FetchedBatches } from '../../src/embedded/consumer.js';
import { collectRecords } from '../../src/embedded/record-delivery.js';
import { Compression } from '../../src/protocol/compression.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RecordWalker } from '../../src/protocol/record-walker.js';
import { tempDir } from '../helpers/temp-dir.js';

const dataDir = tempDir('brook-consumer-batches-');
let brook: Brook;
const RECORDS_PER_PARTITION = 50;

/** Partition p holds values `p:0` .. `p:49` in 5 batches of 10, alternating none and lz4. */
beforeAll(async () => {
  brook = await Brook.open({ dataDir });
  await brook.admin.createTopic('t', { partitions: 2 });
  for (let partition = 0; partition < 2; partition++) {
    for (let b = 0; b < 5; b++) {
      const records = Array.from({ length: 10 }, (_, i) => ({
        key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
        value: i === 7 ? null : Buffer.from(`${partition}:${b * 10 + i}`),
        headers: i === 1 ? [{ key: 'h', value: Buffer.from('x') }] : [],
        timestamp: 1_700_000_000_000 + b * 10 + i,
      }));
      const result = await brook.backend.produce('t', partition, encodeRecordBatch(records, { compression: b % 2 === 0 ? Compression.none : Compression.lz4 }), 1);
      expect(result.errorCode).toBe(0);
    }
  }
}, 30_000);

afterAll(async () => {
  await brook.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function drainRecords(options: { from: 'beginning' | { offset: number } }): Promise<ConsumerRecord[]> {
  const consumer = brook.consumer({ topic: 't', follow: false, maxWaitMs: 0, partitionMaxBytes: 300, ...options });
  const records: ConsumerRecord[] = [];
  for await (const record of consumer) records.push(record);
  return records;
}

async function drainBatches(options: { from: 'beginning' | { offset: number } }): Promise<ConsumerRecord[]> {
  const consumer = brook.consumer({ topic: 't', follow: false, maxWaitMs: 0, partitionMaxBytes: 300, ...options });
  const records: ConsumerRecord[] = [];
  const walker = new RecordWalker();
  for (let fetched: FetchedBatches[] | null; (fetched = await consumer.pollBatches()) !== null;) {
    for (const partitionBatches of fetched) collectRecords(walker, partitionBatches, records);
  }
  expect(consumer.position(0)).toBe(RECORDS_PER_PARTITION);
  expect(consumer.position(1)).toBe(RECORDS_PER_PARTITION);
  return records;
}

const byPartition = (records: ConsumerRecord[], partition: number) => records.filter((r) => r.partition === partition);

describe('Consumer record delivery', () => {
  it('yields every record once, in offset order per partition, with keys, null values, headers and timestamps', async () => {
    const records = await drainRecords({ from: 'beginning' });
    expect(records).toHaveLength(2 * RECORDS_PER_PARTITION);
    for (const partition of [0, 1]) {
      const mine = byPartition(records, partition);
      expect(mine.map((r) => r.offset)).toEqual([...Array(RECORDS_PER_PARTITION).keys()]);
      expect(mine.map((r) => r.value?.toString() ?? null)).toEqual(mine.map((r) => (r.offset % 10 === 7 ? null : `${partition}:${r.offset}`)));
      expect(mine[1]).toMatchObject({ topic: 't', key: Buffer.from('k1'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: 1_700_000_000_001 });
      expect(mine[0]!.key).toBeNull();
    }
  });

  it('starts inside a batch at an explicit offset, skipping the batch records before it', async () => {
    const records = await drainRecords({ from: { offset: 13 } });
    for (const partition of [0, 1]) {
      expect(byPartition(records, partition).map((r) => r.offset)).toEqual([...Array(RECORDS_PER_PARTITION - 13).keys()].map((i) => i + 13));
    }
  });

  it('pollBatches hands out whole batches whose records in bounds are exactly what poll() yields', async () => {
    for (const from of ['beginning', { offset: 13 }] as const) {
      const viaBatches = await drainBatches({ from });
      const viaRecords = await drainRecords({ from });
      for (const partition of [0, 1]) expect(byPartition(viaBatches, partition)).toEqual(byPartition(viaRecords, partition));
    }
  });

  it('stops at the high watermark seen at start without follow, even when records arrive later', async () => {
    const consumer = brook.consumer({ topic: 't', partitions: [0], from: 'beginning', follow: false, maxWaitMs: 0 });
    const first = await consumer.pollBatches();
    expect((await brook.backend.produce('t', 0, encodeRecordBatch([{ value: Buffer.from('late') }]), 1)).errorCode).toBe(0);
    const records: ConsumerRecord[] = [];
    for (let fetched = first; fetched !== null; fetched = await consumer.pollBatches()) {
      for (const partitionBatches of fetched) collectRecords(new RecordWalker(), partitionBatches, records);
    }
    expect(records.map((r) => r.offset)).toEqual([...Array(RECORDS_PER_PARTITION).keys()]);
  });

  it('ends an iteration left by break, whose iterator then answers done', async () => {
    const consumer = brook.consumer({ topic: 't', from: 'beginning', follow: false, maxWaitMs: 0 });
    const iterator = consumer[Symbol.asyncIterator]();
    const seen: number[] = [];
    for await (const record of { [Symbol.asyncIterator]: () => iterator }) {
      seen.push(record.offset);
      if (seen.length === 3) break;
    }
    expect(seen).toHaveLength(3);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    await consumer.close();
  });

  it('lets each fetch\'s bytes be collected while the consumer stays open (regression: every fetch result was kept until close)', async () => {
    // Every fetch result the backend hands over, weakly: alive only while the consumer keeps it.
    const fetchResults: WeakRef<object>[] = [];
    const backend = Object.create(brook.backend) as BrookBackend;
    backend.fetch = async (requests, options) => {
      const results = await brook.backend.fetch(requests, options);
      fetchResults.push(new WeakRef(results));
      return results;
    };
    // partitionMaxBytes 1: one whole batch per partition per fetch (KIP-74), so several fetches.
    const consumer = new Consumer(backend, { topic: 't', from: 'beginning', maxWaitMs: 0, partitionMaxBytes: 1 });
    for (let i = 0; i < 4; i++) expect((await consumer.pollBatches())!.length).toBeGreaterThan(0);
    expect(fetchResults).toHaveLength(4);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(fetchResults.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    await consumer.close();
  });

  it('keeps every position when a fetch fails for one partition (regression: the other partitions\' records were skipped)', async () => {
    await brook.admin.createTopic('shrinks', { partitions: 2 });
    const consumer = brook.consumer({ topic: 'shrinks', from: 'beginning', maxWaitMs: 0 });
    expect(await consumer.poll()).toEqual([]);
    // Recreated with one partition: partition 0 has records, partition 1 no longer exists.
    await brook.admin.deleteTopic('shrinks');
    await brook.admin.createTopic('shrinks', { partitions: 1 });
    expect((await brook.backend.produce('shrinks', 0, encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]), 1)).errorCode).toBe(0);
    await expect(consumer.poll()).rejects.toThrow(/shrinks-1/);
    expect(consumer.position(0)).toBe(0);
    await consumer.close();
  });

  it('refuses pollBatches for a group member, whose commits must count delivered records', async () => {
    const consumer = brook.consumer({ topic: 't', groupId: 'g' });
    await expect(consumer.pollBatches()).rejects.toThrow(/without a group/);
    await consumer.close();
  });
});

describe('Consumer from: { timestamp }', () => {
  const T0_MS = 1_800_000_000_000;
  const COUNT = 40;
  /** Distinct, increasing create times per partition, spaced differently so their offsets differ. */
  const timestampOf = (partition: number, offset: number): number => T0_MS + (partition === 0 ? 10 * offset : 5 + 7 * offset);
  /** The offset of the first record at or after `timestampMs` in a partition (COUNT: none). */
  const firstAtOrAfter = (partition: number, timestampMs: number): number => {
    const offset = [...Array(COUNT).keys()].findIndex((i) => timestampOf(partition, i) >= timestampMs);
    return offset < 0 ? COUNT : offset;
  };

  /** Produced through the embedded producer with explicit timestamps, in four rounds of batches. */
  beforeAll(async () => {
    await brook.admin.createTopic('times', { partitions: 2, configs: { 'index.interval.bytes': '1' } });
    const producer = brook.producer({ lingerMs: 0 });
    for (let round = 0; round < 4; round++) {
      const sends = [];
      for (const partition of [0, 1]) {
        for (let i = round * 10; i < (round + 1) * 10; i++) {
          sends.push(producer.send({ topic: 'times', partition, value: `${partition}:${i}`, timestamp: timestampOf(partition, i) }));
        }
      }
      const acks = await Promise.all(sends);
      expect(acks.map((a) => a.offset)).toEqual([0, 1].flatMap(() => [...Array(10).keys()].map((i) => round * 10 + i)));
    }
    await producer.close();
  }, 30_000);

  it('starts each partition at its first record whose timestamp is at or after the given one', async () => {
    // Between records, equal to a record's timestamp (p0 offset 21), and before every record.
    for (const timestampMs of [T0_MS + 205, T0_MS + 210, T0_MS + 3, T0_MS - 1]) {
      const consumer = brook.consumer({ topic: 'times', from: { timestamp: timestampMs }, follow: false, maxWaitMs: 0 });
      const records: ConsumerRecord[] = [];
      for await (const record of consumer) records.push(record);
      for (const partition of [0, 1]) {
        const start = firstAtOrAfter(partition, timestampMs);
        const mine = byPartition(records, partition);
        expect(mine.map((r) => r.offset), `partition ${partition} from ${timestampMs}`).toEqual([...Array(COUNT - start).keys()].map((i) => start + i));
        expect(mine.map((r) => r.timestamp)).toEqual(mine.map((r) => timestampOf(partition, r.offset)));
        expect(mine.map((r) => r.value!.toString())).toEqual(mine.map((r) => `${partition}:${r.offset}`));
      }
    }
    expect([firstAtOrAfter(0, T0_MS + 205), firstAtOrAfter(1, T0_MS + 205), firstAtOrAfter(0, T0_MS + 210)]).toEqual([21, 29, 21]);
  });

  it('starts at the log end for a timestamp after every record, then delivers what arrives later', async () => {
    const after = T0_MS + 10 * COUNT + 1;
    const ended = brook.consumer({ topic: 'times', from: { timestamp: after }, follow: false, maxWaitMs: 0 });
    expect(await ended.poll()).toBeNull(); // nothing between the end and the high watermark
    expect([ended.position(0), ended.position(1)]).toEqual([COUNT, COUNT]);
    await ended.close();

    const following = brook.consumer({ topic: 'times', partitions: [0], from: { timestamp: after }, follow: true, maxWaitMs: 50 });
    try {
      expect(await following.poll()).toEqual([]); // positioned at the end; nothing new yet
      expect(following.position(0)).toBe(COUNT);
      // An older timestamp than asked for: the consumer reads by offset once it has started.
      const producer = brook.producer();
      await producer.send({ topic: 'times', partition: 0, value: 'late', timestamp: T0_MS });
      await producer.close();
      let records: ConsumerRecord[] = [];
      while (records.length === 0) records = (await following.poll())!;
      expect(records.map((r) => [r.offset, r.value!.toString()])).toEqual([[COUNT, 'late']]);
    } finally {
      await following.close();
    }
  });
});

describe('a broker opened without consumer groups (brook consume without --group)', () => {
  it('reads partitions without starting coordinators, still holds the data dir lock, and refuses group members', async () => {
    const dir = tempDir('brook-no-groups-');
    try {
      const writer = await Brook.open({ dataDir: dir });
      await writer.admin.createTopic('t', { partitions: 1 });
      expect((await writer.backend.produce('t', 0, encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]), 1)).errorCode).toBe(0);
      await writer.close();

      const backend = await BrokerBackend.open({ dataDir: dir, groups: false });
      try {
        expect(backend.groups).toBeUndefined();
        await expect(BrokerBackend.open({ dataDir: dir })).rejects.toThrow(/lock|in use|another/i);
        const reader = new Brook(backend);
        const values: string[] = [];
        for await (const record of reader.consumer({ topic: 't', from: 'beginning', follow: false })) values.push(record.value!.toString());
        expect(values).toEqual(['a', 'b']);
        expect(() => reader.consumer({ topic: 't', groupId: 'g' })).toThrow(/no group coordinator/);
      } finally {
        await backend.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
