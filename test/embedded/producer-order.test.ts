/**
 * What the producer keeps when a batch fails for good: later records of the same partition (of
 * every partition with maxInFlight 1) fail with it instead of landing after the gap, so what is
 * stored is a prefix of what was handed over; and batches never exceed what the topic accepts.
 */
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/embedded/producer.js';
import { Consumer } from '../../src/embedded/consumer.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { MemoryBackend } from './memory-backend.js';

async function readValues(backend: MemoryBackend, topic: string): Promise<string[]> {
  const consumer = new Consumer(backend, { topic, from: 'beginning', follow: false });
  const values: string[] = [];
  for await (const record of consumer) values.push(record.value!.toString());
  return values;
}

const numbered = (count: number) => Buffer.from(Array.from({ length: count }, (_, i) => `line-${String(i).padStart(5, '0')}\n`).join(''));

describe('Producer order on failure', () => {
  it('fails the batches of a partition queued behind one that failed for good, so none lands after the gap', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('t', { partitions: 1 });
    backend.hold();
    // A non-retriable refusal of the second produce; the later ones would succeed if sent.
    backend.rejectNext = [null, ErrorCode.MESSAGE_TOO_LARGE];
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 1024 });
    const pending = producer.sendLines('t', numbered(1000));
    await new Promise((resolve) => setTimeout(resolve, 20)); // every batch sealed and queued
    backend.release();
    const result = await pending;
    const stored = await readValues(backend, 't');
    expect(result.firstFailedLine).toBe(stored.length);
    expect(result.recordCount).toBe(stored.length);
    expect(result.failedCount).toBe(1000 - stored.length);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => `line-${String(i).padStart(5, '0')}`));
    expect((result.error as { code?: string }).code).toBe('MESSAGE_TOO_LARGE');
  });

  it('sends what is handed over after the failure was reported, with a new producerId', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('t', { partitions: 1 });
    backend.rejectNext = [ErrorCode.MESSAGE_TOO_LARGE];
    const producer = new Producer(backend, { lingerMs: 0 });
    expect((await producer.sendLines('t', numbered(10))).failedCount).toBe(10);
    const later = await producer.sendLines('t', numbered(3));
    expect(later).toMatchObject({ recordCount: 3, failedCount: 0, firstFailedLine: -1 });
    expect(await readValues(backend, 't')).toEqual(['line-00000', 'line-00001', 'line-00002']);
  });

  it('with maxInFlight 1 sends one batch at a time and a failure anywhere leaves a prefix of the lines over all partitions', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('t', { partitions: 3 });
    backend.rejectNext = [null, null, null, null, ErrorCode.MESSAGE_TOO_LARGE];
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 512, maxInFlight: 1 });
    const result = await producer.sendLines('t', numbered(2000));
    expect(backend.maxInFlightSeen).toBe(1);
    const stored = (await readValues(backend, 't')).sort();
    expect(new Set(backend.produceCalls.map((c) => c.partition)).size).toBe(3); // keyless lines moved on
    expect(result.firstFailedLine).toBe(stored.length);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => `line-${String(i).padStart(5, '0')}`));
  });

  it('keeps every batch within the topic\'s segment.bytes and max.message.bytes, whatever batchBytes says', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('small-segments', { partitions: 1, configs: { 'segment.bytes': '65536' } });
    await backend.createTopic('small-messages', { partitions: 1, configs: { 'max.message.bytes': '2000' } });
    const producer = new Producer(backend, { lingerMs: 50, batchBytes: 1_048_576 });
    const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i + 1}\n`).join(''));
    expect((await producer.sendLines('small-segments', text)).recordCount).toBe(20_000);
    expect((await producer.sendLines('small-messages', text)).recordCount).toBe(20_000);
    const sizes = (topic: string) => backend.produceCalls.filter((c) => c.topic === topic).map((c) => c.sizeBytes);
    expect(Math.max(...sizes('small-segments'))).toBeLessThanOrEqual(65_536);
    expect(Math.max(...sizes('small-messages'))).toBeLessThanOrEqual(2000);
    expect(await readValues(backend, 'small-messages')).toHaveLength(20_000);
  });
});
