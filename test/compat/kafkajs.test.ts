/**
 * kafkajs 2.2.4 against a real `brook serve` process: producer round trips (keys, headers, null
 * values, gzip, many partitions), the admin client, offsets by timestamp, and the idempotent
 * producer. Consumer groups do not exist yet, so records are read back with raw Fetch requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecords, iterateBatches, readBatchHeader, type StoredRecord } from '../../src/protocol/record-batch.js';
import { RawClient } from '../server/helpers/raw-client.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let raw: RawClient;

beforeAll(async () => {
  server = await startServer();
  kafka = new Kafka({ clientId: 'brook-compat', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  raw = await RawClient.connect(server.port);
});

afterAll(async () => {
  raw?.close();
  await producer?.disconnect();
  await admin?.disconnect();
  expect(await server?.stop()).toBe(0);
});

interface ReadBack {
  records: StoredRecord[];
  batches: ReturnType<typeof readBatchHeader>[];
}

/** Everything in one partition from `fetchOffset`, with raw Fetch v11. */
async function readPartition(topic: string, partition: number, fetchOffset = 0): Promise<ReadBack> {
  const response = await raw.request<fetchApi.FetchResponse>(ApiKey.Fetch, 11, {
    ...fetchApi.defaultRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 << 20,
    topics: [{ ...fetchApi.defaultFetchTopic(), topic, partitions: [{ ...fetchApi.defaultFetchPartition(), partition, fetchOffset, partitionMaxBytes: 8 << 20 }] }],
  });
  const data = response.responses[0]!.partitions[0]!;
  expect(data.errorCode).toBe(ErrorCode.NONE);
  expect(data.abortedTransactions).toEqual([]);
  expect(data.lastStableOffset).toBe(data.highWatermark);
  const out: ReadBack = { records: [], batches: [] };
  const bytes = data.records ?? Buffer.alloc(0);
  for (const { pos, sizeBytes, header } of iterateBatches(bytes)) {
    out.batches.push(header);
    out.records.push(...decodeRecords(bytes.subarray(pos, pos + sizeBytes)));
  }
  return out;
}

describe('kafkajs producer', () => {
  it('round-trips keys, headers and null values', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-basic', numPartitions: 1 }] });
    await producer.send({
      topic: 'kjs-basic',
      acks: -1,
      messages: [
        { key: 'k1', value: 'v1', headers: { h1: 'a', h2: Buffer.from([0, 1, 2]) } },
        { key: null, value: 'no key' },
        { key: 'tombstone', value: null },
      ],
    });
    const { records } = await readPartition('kjs-basic', 0);
    expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      [0, 'k1', 'v1'],
      [1, null, 'no key'],
      [2, 'tombstone', null],
    ]);
    expect(records[0]!.headers.map((h) => [h.key, h.value])).toEqual([
      ['h1', Buffer.from('a')],
      ['h2', Buffer.from([0, 1, 2])],
    ]);
  });

  it('round-trips gzip-compressed batches byte for byte', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-gzip', numPartitions: 1 }] });
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `key-${i}`, value: `value-${i} `.repeat(10) }));
    const [result] = await producer.send({ topic: 'kjs-gzip', compression: CompressionTypes.GZIP, messages });
    expect(result!.errorCode).toBe(0);
    const { records, batches } = await readPartition('kjs-gzip', 0);
    expect(batches.every((b) => (b.attributes & 0x07) === 1)).toBe(true);
    expect(records.map((r) => r.value!.toString())).toEqual(messages.map((m) => m.value));
    expect(records.map((r) => r.offset)).toEqual(messages.map((_, i) => i));
  });

  it('spreads keyed records over many partitions, each partition in order', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-many', numPartitions: 12 }] });
    const messages = Array.from({ length: 600 }, (_, i) => ({ key: `user-${i % 50}`, value: String(i) }));
    for (let i = 0; i < messages.length; i += 100) await producer.send({ topic: 'kjs-many', messages: messages.slice(i, i + 100) });
    const allValues: number[] = [];
    const partitionOfKey = new Map<string, number>();
    let nonEmpty = 0;
    for (let partition = 0; partition < 12; partition++) {
      const { records } = await readPartition('kjs-many', partition);
      if (records.length > 0) nonEmpty++;
      const values = records.map((r) => Number(r.value!.toString()));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      allValues.push(...values);
      for (const record of records) {
        const key = record.key!.toString();
        expect(partitionOfKey.get(key) ?? partition).toBe(partition);
        partitionOfKey.set(key, partition);
      }
    }
    expect(allValues.sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));
    expect(partitionOfKey.size).toBe(50);
    expect(nonEmpty).toBeGreaterThan(6);
  });

  it('does not duplicate with an idempotent producer', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 1 }] });
    const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idempotent.connect();
    try {
      for (let i = 0; i < 5; i++) await idempotent.send({ topic: 'kjs-idem', acks: -1, messages: [{ value: `idem-${i}` }] });
    } finally {
      await idempotent.disconnect();
    }
    const { records, batches } = await readPartition('kjs-idem', 0);
    expect(records.map((r) => r.value!.toString())).toEqual(['idem-0', 'idem-1', 'idem-2', 'idem-3', 'idem-4']);
    expect(batches[0]!.producerId).toBeGreaterThanOrEqual(0);
    expect(batches.map((b) => b.baseSequence)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('kafkajs admin', () => {
  it('creates, lists and deletes topics, with Kafka errors for bad requests', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }] })).toBe(true);
    expect(await admin.listTopics()).toContain('kjs-admin');
    await expect(admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }] })).resolves.toBe(false);
    await expect(admin.createTopics({ topics: [{ topic: 'kjs-rf', numPartitions: 1, replicationFactor: 3 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
    await expect(admin.createTopics({ topics: [{ topic: 'bad/name', numPartitions: 1 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
    });
    const metadata = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
    expect(metadata.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).toEqual([
      [0, 0, [0], [0]],
      [1, 0, [0], [0]],
      [2, 0, [0], [0]],
    ]);
    await admin.deleteTopics({ topics: ['kjs-admin'] });
    expect(await admin.listTopics()).not.toContain('kjs-admin');
  });

  it('adds partitions and refuses to shrink', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-parts', numPartitions: 2 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-parts', count: 5 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: ['kjs-parts'] });
    expect(metadata.topics[0]!.partitions).toHaveLength(5);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-parts', count: 3 }] })).rejects.toMatchObject({
      type: 'INVALID_PARTITIONS',
    });
  });

  it('describes and alters topic configs', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-configs', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
    const describe = async (): Promise<Map<string, string | null>> => {
      const result = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'kjs-configs' }] });
      return new Map(result.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    };
    expect((await describe()).get('retention.ms')).toBe('123456');
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'kjs-configs', configEntries: [{ name: 'retention.ms', value: '654321' }] }] });
    expect((await describe()).get('retention.ms')).toBe('654321');
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'kjs-configs', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const broker = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '0' }] });
    const entries = broker.resources[0]!.configEntries;
    expect(entries.find((e) => e.configName === 'num.partitions')?.configValue).toBe('1');
    // What the server was started with is read-only; Kafka's dynamic broker configs are not.
    expect(entries.find((e) => e.configName === 'node.id')?.readOnly).toBe(true);
    expect(entries.find((e) => e.configName === 'log.retention.ms')?.readOnly).toBe(false);
    expect(entries.find((e) => e.configName === 'log.retention.hours')).toMatchObject({ readOnly: true, configValue: '168' });
  });

  it('deletes records below an offset and fetches offsets by timestamp', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-offsets', numPartitions: 1 }] });
    const base = Date.now() - 100_000;
    await producer.send({
      topic: 'kjs-offsets',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })),
    });
    const byTime = await admin.fetchTopicOffsetsByTimestamp('kjs-offsets', base + 4500);
    expect(byTime).toEqual([{ partition: 0, offset: '5' }]);
    await admin.deleteTopicRecords({ topic: 'kjs-offsets', partitions: [{ partition: 0, offset: '4' }] });
    const offsets = await admin.fetchTopicOffsets('kjs-offsets');
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, low: '4', high: '10' })]);
  });
});
