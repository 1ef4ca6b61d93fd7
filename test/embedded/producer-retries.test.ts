/**
 * The producer's delivery rules (bulk-delivery.ts) against the in-memory backend, which answers
 * chosen error codes to chosen produce calls.
 */
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/embedded/kafka-error.js';
import { Producer } from '../../src/embedded/producer.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { readBatchHeader } from '../../src/protocol/record-batch.js';
import { MemoryBackend } from './memory-backend.js';

async function backendWithTopic(): Promise<MemoryBackend> {
  const backend = new MemoryBackend();
  await backend.createTopic('t', { partitions: 1 });
  return backend;
}

const fast = { lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 2 };

describe('Producer retries', () => {
  it('resends the same bytes (same producerId and baseSequence) after retriable errors, then resolves', async () => {
    const backend = await backendWithTopic();
    backend.rejectNext = [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.REQUEST_TIMED_OUT];
    const producer = new Producer(backend, fast);
    const metadata = await producer.send({ topic: 't', value: 'once' });
    expect(metadata.offset).toBe(0);
    expect(backend.attempts).toHaveLength(4);
    for (const attempt of backend.attempts) expect(attempt.equals(backend.attempts[0]!)).toBe(true);
    const header = readBatchHeader(backend.attempts[0]!);
    expect(header.producerId).toBe(0);
    expect(header.baseSequence).toBe(0);
  });

  it('numbers each partition from 0 and advances baseSequence by the record count', async () => {
    const backend = await backendWithTopic();
    const producer = new Producer(backend, fast);
    await Promise.all([producer.send({ topic: 't', value: 'a' }), producer.send({ topic: 't', value: 'b' })]);
    await producer.send({ topic: 't', value: 'c' });
    const sequences = backend.attempts.map((b) => readBatchHeader(b).baseSequence);
    const counts = backend.attempts.map((b) => readBatchHeader(b).recordsCount);
    expect(sequences[0]).toBe(0);
    for (let i = 1; i < sequences.length; i++) expect(sequences[i]).toBe(sequences[i - 1]! + counts[i - 1]!);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('counts DUPLICATE_SEQUENCE_NUMBER as success', async () => {
    const backend = await backendWithTopic();
    backend.rejectNext = [ErrorCode.DUPLICATE_SEQUENCE_NUMBER];
    const producer = new Producer(backend, fast);
    await expect(producer.send({ topic: 't', value: 'dup' })).resolves.toMatchObject({ topic: 't', partition: 0 });
    expect(backend.attempts).toHaveLength(1);
  });

  it('fails a batch on OUT_OF_ORDER_SEQUENCE_NUMBER without retrying, and gives later batches a new producerId from sequence 0', async () => {
    const backend = await backendWithTopic();
    const producer = new Producer(backend, fast);
    await producer.send({ topic: 't', value: 'first' });
    backend.rejectNext = [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER];
    const failure = await producer.send({ topic: 't', value: 'refused' }).catch((err: unknown) => err);
    expect((failure as KafkaError).code).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    await producer.send({ topic: 't', value: 'later' });
    const headers = backend.attempts.map((b) => readBatchHeader(b));
    expect(headers.map((h) => [h.producerId, h.baseSequence])).toEqual([[0, 0], [0, 1], [1, 0]]);
  });

  it('gives up when the retries are used up, with the last error', async () => {
    const backend = await backendWithTopic();
    backend.rejectWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const producer = new Producer(backend, { ...fast, retries: 2 });
    const failure = await producer.send({ topic: 't', value: 'x' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(KafkaError);
    expect((failure as KafkaError).code).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(backend.attempts).toHaveLength(3);
  });

  it('gives up once deliveryTimeoutMs has passed, however many retries are left', async () => {
    const backend = await backendWithTopic();
    backend.rejectWith = ErrorCode.KAFKA_STORAGE_ERROR;
    // A second attempt needs the first failure within deliveryTimeoutMs - backoff: 1 s leaves room for a stall.
    const producer = new Producer(backend, { lingerMs: 0, retryBackoffMs: 20, retryBackoffMaxMs: 20, deliveryTimeoutMs: 1000 });
    const failure = await producer.send({ topic: 't', value: 'x' }).catch((err: unknown) => err);
    expect((failure as KafkaError).code).toBe('KAFKA_STORAGE_ERROR');
    expect(backend.attempts.length).toBeGreaterThan(1);
  });

  it('does not retry non-retriable codes', async () => {
    const backend = await backendWithTopic();
    backend.rejectNext = [ErrorCode.MESSAGE_TOO_LARGE];
    const producer = new Producer(backend, fast);
    await expect(producer.send({ topic: 't', value: 'big' })).rejects.toThrow(/MESSAGE_TOO_LARGE/);
    expect(backend.attempts).toHaveLength(1);
  });

  it('without idempotence sends producerId -1 and does not retry unless retries is set', async () => {
    const backend = await backendWithTopic();
    backend.rejectNext = [ErrorCode.NOT_LEADER_OR_FOLLOWER];
    const plain = new Producer(backend, { ...fast, idempotent: false });
    await expect(plain.send({ topic: 't', value: 'a' })).rejects.toThrow(/NOT_LEADER_OR_FOLLOWER/);
    expect(readBatchHeader(backend.attempts[0]!).producerId).toBe(-1);
    backend.rejectNext = [ErrorCode.NOT_LEADER_OR_FOLLOWER];
    const retrying = new Producer(backend, { ...fast, idempotent: false, retries: 3 });
    await expect(retrying.send({ topic: 't', value: 'b' })).resolves.toMatchObject({ offset: 0 });
    expect(backend.attempts).toHaveLength(3);
  });

  it('acks 0 turns idempotence off by default', async () => {
    const backend = await backendWithTopic();
    const producer = new Producer(backend, { ...fast, acks: 0 });
    await producer.send({ topic: 't', value: 'a' });
    expect(readBatchHeader(backend.attempts[0]!).producerId).toBe(-1);
    expect(backend.producerIdCount).toBe(0);
  });
});
