/**
 * NetworkBackend (src/embedded/network-backend.ts) against a real `brook serve` process, and the
 * embedded API (Brook) running over it. Run `npx tsc -p tsconfig.json` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaCodeError } from '../../src/common/errors.js';
import { BrokerUnreachableError } from '../../src/client/errors.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../src/embedded/backend.js';
import { Brook } from '../../src/embedded/brook.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeResponseFrame } from '../../src/protocol/headers.js';
import * as fetchApi from '../../src/protocol/apis/fetch.js';
import { startBrookServe, type RunningServe } from './brook-serve.js';
import { apiVersionsAnswer, startFakeBroker } from './fake-broker.js';

let serve: RunningServe;
let backend: NetworkBackend;

beforeAll(async () => {
  serve = await startBrookServe(['--num-partitions', '2']);
  backend = await NetworkBackend.connect(serve.address);
}, 30_000);

afterAll(async () => {
  await backend?.close();
  await serve?.stop();
});

function batchOf(...values: string[]): Buffer {
  return encodeRecordBatch(values.map((v) => ({ key: Buffer.from(`k-${v}`), value: Buffer.from(v) })));
}

function valuesIn(records: Buffer | null): string[] {
  if (records === null) return [];
  return [...iterateBatches(records)].flatMap((b) => decodeRecords(records.subarray(b.pos, b.pos + b.sizeBytes)).map((r) => r.value!.toString()));
}

async function codeOf(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(KafkaCodeError);
  return (error as KafkaCodeError).errorCode;
}

describe('NetworkBackend against brook serve', () => {
  it('reads num.partitions and auto.create.topics.enable from the broker', () => {
    expect(backend.numPartitions).toBe(2);
    expect(backend.autoCreateTopics).toBe(true);
  });

  it('creates, lists, describes and deletes topics', async () => {
    await backend.createTopic('orders', { partitions: 3, configs: { 'retention.ms': '3600000' } });
    const listed = await backend.listTopics();
    const orders = listed.find((t) => t.name === 'orders');
    expect(orders).toMatchObject({ partitionCount: 3, internal: false, configs: { 'retention.ms': '3600000' } });

    const details = await backend.describeTopic('orders');
    expect(details!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(details!.configs['retention.ms']).toBe('3600000');
    expect(details!.configs['cleanup.policy']).toBe('delete'); // effective configs include defaults
    // Sizes by DescribeLogDirs (an empty log: 0 bytes); no Kafka API reports segment counts.
    expect(details!.partitions[0]).toEqual({ partition: 0, logStartOffset: 0, logEndOffset: 0, highWatermark: 0, sizeBytes: 0, segmentCount: -1 });

    await backend.deleteTopic('orders');
    expect(await backend.describeTopic('orders')).toBeUndefined();
    expect((await backend.listTopics()).some((t) => t.name === 'orders')).toBe(false);
  });

  it('throws KafkaCodeError with the broker code for admin errors', async () => {
    await backend.createTopic('dup', { partitions: 1 });
    expect(await codeOf(backend.createTopic('dup', { partitions: 1 }))).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect(await codeOf(backend.deleteTopic('missing'))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await codeOf(backend.createPartitions('dup', 1))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(await codeOf(backend.alterTopicConfigs('dup', { 'retention.ms': 'soon' }, 'replace'))).toBe(ErrorCode.INVALID_CONFIG);
    expect(await codeOf(backend.createTopic('bad/name', { partitions: 1 }))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('produces and fetches whole batches, with offsets, watermarks and listOffset', async () => {
    await backend.createTopic('events', { partitions: 2 });
    const first = await backend.produce('events', 1, batchOf('a', 'b'), 1);
    const second = await backend.produce('events', 1, batchOf('c'), 'all');
    expect(first).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(second).toMatchObject({ errorCode: 0, baseOffset: 2 });

    const [p1, p0] = await backend.fetch(
      [{ topic: 'events', partition: 1, fetchOffset: 1, partitionMaxBytes: 1 << 20 }, { topic: 'events', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
      { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20 },
    );
    expect(p1).toMatchObject({ topic: 'events', partition: 1, errorCode: 0, highWatermark: 3, logStartOffset: 0 });
    expect(valuesIn(p1!.records)).toEqual(['a', 'b', 'c']); // whole batches: may start before fetchOffset
    expect(p0).toMatchObject({ partition: 0, errorCode: 0, highWatermark: 0 });
    expect(valuesIn(p0!.records)).toEqual([]);

    expect(await backend.listOffset('events', 1, EARLIEST_TIMESTAMP)).toMatchObject({ errorCode: 0, offset: 0 });
    expect(await backend.listOffset('events', 1, LATEST_TIMESTAMP)).toMatchObject({ errorCode: 0, offset: 3 });
    const details = await backend.describeTopic('events');
    expect(details!.partitions[1]).toMatchObject({ logStartOffset: 0, logEndOffset: 3, highWatermark: 3 });
  });

  it('returns data-plane errors as codes, not exceptions', async () => {
    expect((await backend.produce('ghost', 0, batchOf('x'), 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await backend.listOffset('ghost', 0, LATEST_TIMESTAMP)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const [fetched] = await backend.fetch([{ topic: 'ghost', partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 1024 });
    expect(fetched!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await backend.deleteRecords('ghost', 0, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('acks=0 produce resolves without offsets and the records arrive', async () => {
    await backend.createTopic('quiet', { partitions: 1 });
    expect(await backend.produce('quiet', 0, batchOf('q1', 'q2'), 0)).toEqual({ errorCode: 0, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1 });
    // Nothing acknowledges acks=0 (the broker may still be appending), so poll the end offset.
    await expect.poll(async () => (await backend.listOffset('quiet', 0, LATEST_TIMESTAMP)).offset, { timeout: 10_000 }).toBe(2);
  });

  it('replaces or merges topic configs, grows partitions and deletes records', async () => {
    await backend.createTopic('tuned', { partitions: 1, configs: { 'retention.ms': '1000000' } });
    await backend.alterTopicConfigs('tuned', { 'segment.bytes': '1048576' }, 'incremental');
    expect((await backend.listTopics()).find((t) => t.name === 'tuned')!.configs).toEqual({ 'retention.ms': '1000000', 'segment.bytes': '1048576' });
    await backend.alterTopicConfigs('tuned', { 'cleanup.policy': 'compact' }, 'replace');
    expect((await backend.listTopics()).find((t) => t.name === 'tuned')!.configs).toEqual({ 'cleanup.policy': 'compact' });

    await backend.createPartitions('tuned', 4);
    expect((await backend.describeTopic('tuned'))!.partitionCount).toBe(4);

    await backend.produce('tuned', 0, batchOf('1', '2', '3'), 1);
    expect(await backend.deleteRecords('tuned', 0, 2)).toEqual({ errorCode: 0, lowWatermark: 2 });
    expect((await backend.describeTopic('tuned'))!.partitions[0]!.logStartOffset).toBe(2);
  });

  it('carries the embedded Producer and Consumer through a Brook over the network', async () => {
    const other = await NetworkBackend.connect(serve.address);
    const brook = new Brook(other);
    try {
      const producer = brook.producer({ lingerMs: 0 });
      const sent = await producer.sendBatch([1, 2, 3].map((n) => ({ topic: 'embedded', partition: 0, value: Buffer.from(`v${n}`) })));
      expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]); // auto-created with the broker's num.partitions
      expect((await other.describeTopic('embedded'))!.partitionCount).toBe(2);
      const consumer = brook.consumer({ topic: 'embedded', partitions: [0], from: 'beginning', follow: false });
      const seen: string[] = [];
      for await (const record of consumer) seen.push(record.value!.toString());
      expect(seen).toEqual(['v1', 'v2', 'v3']);
    } finally {
      await brook.close();
    }
  });

  it('fails to connect with "cannot reach broker" when nothing listens', async () => {
    const stopped = await startBrookServe();
    await stopped.stop();
    await expect(NetworkBackend.connect(stopped.address)).rejects.toThrow(BrokerUnreachableError);
    await expect(NetworkBackend.connect(stopped.address)).rejects.toThrow(`cannot reach broker ${stopped.address}`);
  });
});

describe('NetworkBackend against a minimal broker', () => {
  it('drops a partial batch at the end of a fetch (Kafka cuts at partitionMaxBytes) and keeps whole ones', async () => {
    const whole = batchOf('w1', 'w2');
    const cut = batchOf('cut').subarray(0, 30);
    const fake = await startFakeBroker((header) => {
      if (header.requestApiKey === ApiKey.ApiVersions) return apiVersionsAnswer(header, { [ApiKey.ApiVersions]: [0, 3], [ApiKey.Fetch]: [4, 11] });
      const partition = { ...fetchApi.defaultPartitionData(), highWatermark: 3, records: Buffer.concat([whole, cut]) };
      return encodeResponseFrame(ApiKey.Fetch, header.requestApiVersion, header.correlationId, {
        ...fetchApi.defaultResponse(),
        responses: [{ ...fetchApi.defaultFetchableTopicResponse(), topic: 't', partitions: [partition] }],
      });
    });
    const minimal = await NetworkBackend.connect(fake.address, { numPartitions: 5 });
    try {
      expect(minimal.numPartitions).toBe(5);
      expect(minimal.autoCreateTopics).toBe(true); // the broker cannot describe its config: Kafka's default
      const [result] = await minimal.fetch([{ topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 100 });
      expect(result!.records!.length).toBe(whole.length);
      expect(valuesIn(result!.records)).toEqual(['w1', 'w2']);
    } finally {
      minimal.close().catch(() => {});
      await fake.close();
    }
  });
});
