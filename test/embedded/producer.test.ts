import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/embedded/producer.js';
import { Consumer } from '../../src/embedded/consumer.js';
import { KafkaError } from '../../src/embedded/kafka-error.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { partitionForKey } from '../../src/protocol/partitioner.js';
import { MemoryBackend } from './memory-backend.js';

async function readAll(backend: MemoryBackend, topic: string) {
  const consumer = new Consumer(backend, { topic, from: 'beginning', follow: false });
  const records = [];
  for await (const record of consumer) records.push(record);
  return records;
}

describe('Producer', () => {
  it('resolves each send with its offset: the batch base offset plus its index', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 1 });
    const sent = await Promise.all([0, 1, 2].map((i) => producer.send({ topic: 't', value: `v${i}` })));
    const more = await producer.send({ topic: 't', value: 'v3' });
    expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(more.offset).toBe(3);
    expect(backend.produceCalls[0]!.recordCount).toBe(3); // one batch for the first three
  });

  it('creates an unknown topic with num.partitions on first send, as Kafka auto-creates', async () => {
    const backend = new MemoryBackend(true, 3);
    await new Producer(backend).send({ topic: 'fresh', value: 'x' });
    expect((await backend.describeTopic('fresh'))?.partitionCount).toBe(3);
  });

  it('rejects sends to an unknown topic with UNKNOWN_TOPIC_OR_PARTITION when auto-create is off', async () => {
    const producer = new Producer(new MemoryBackend(false));
    await expect(producer.send({ topic: 'missing', value: 'x' })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('places keyed records with partitionForKey and keeps per-partition send order', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('keyed', { partitions: 4 });
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 200 });
    const sends = [];
    for (let i = 0; i < 400; i++) sends.push(producer.send({ topic: 'keyed', key: `k${i % 7}`, value: String(i) }));
    const metadata = await Promise.all(sends);
    for (let i = 0; i < 400; i++) {
      expect(metadata[i]!.partition).toBe(partitionForKey(Buffer.from(`k${i % 7}`), 4));
    }
    const records = await readAll(backend, 'keyed');
    expect(records).toHaveLength(400);
    for (let p = 0; p < 4; p++) {
      const values = records.filter((r) => r.partition === p).map((r) => Number(r.value!.toString()));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('spreads keyless records over partitions batch by batch (sticky), and honours an explicit partition', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('spread', { partitions: 3 });
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 500 });
    const metadata = await Promise.all(Array.from({ length: 300 }, (_, i) => producer.send({ topic: 'spread', value: `value-${i}` })));
    expect(new Set(metadata.map((m) => m.partition)).size).toBe(3);
    expect((await producer.send({ topic: 'spread', value: 'pinned', partition: 2 })).partition).toBe(2);
    await expect(producer.send({ topic: 'spread', value: 'x', partition: 3 })).rejects.toBeInstanceOf(KafkaError);
  });

  it('keeps encoded batches within batchBytes', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 50, batchBytes: 4096 });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => producer.send({ topic: 't', key: `key-${i}`, value: 'x'.repeat(i % 50) })));
    expect(backend.produceCalls.length).toBeGreaterThan(1);
    for (const call of backend.produceCalls) expect(call.sizeBytes).toBeLessThanOrEqual(4096);
  });

  it('holds at most bufferBytes and makes ready() wait until acknowledgements free room', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('t', { partitions: 1 });
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 1000, bufferBytes: 3000 });
    backend.hold();
    const sends = Array.from({ length: 100 }, (_, i) => producer.send({ topic: 't', value: 'y'.repeat(100 + (i % 3)) }));
    expect(producer.hasCapacity()).toBe(false);
    let ready = false;
    const readyPromise = producer.ready().then(() => (ready = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready).toBe(false);
    expect(backend.maxInFlightSeen).toBe(1); // one produce in flight per partition
    backend.release();
    while (!ready) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      backend.release();
    }
    await readyPromise;
    const offsets = (await Promise.all(sends)).map((m) => m.offset);
    expect(offsets).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects every send of a refused batch with an error carrying the Kafka error name', async () => {
    const backend = new MemoryBackend();
    backend.rejectWith = ErrorCode.MESSAGE_TOO_LARGE;
    const producer = new Producer(backend);
    const results = await Promise.allSettled([producer.send({ topic: 't', value: 'a' }), producer.send({ topic: 't', value: 'b' })]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as KafkaError;
      expect(reason.code).toBe('MESSAGE_TOO_LARGE');
      expect(reason.message).toMatch(/MESSAGE_TOO_LARGE/);
    }
  });

  it('flush() sends lingering batches at once and close() refuses later sends', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 60_000 });
    const send = producer.send({ topic: 't', value: 'late' });
    await producer.flush();
    expect((await send).offset).toBe(0);
    await producer.close();
    await expect(producer.send({ topic: 't', value: 'x' })).rejects.toThrow(/closed/);
  });

  it('round-trips keys, null values, headers and timestamps through the consumer', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { compression: 'gzip' });
    await producer.send({ topic: 't', key: 'k', value: null, headers: { trace: 'abc', empty: null }, timestamp: 1234 });
    const [record] = await readAll(backend, 't');
    expect(record!.key!.toString()).toBe('k');
    expect(record!.value).toBeNull();
    expect(record!.timestamp).toBe(1234);
    expect(record!.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([['trace', 'abc'], ['empty', null]]);
  });
});
