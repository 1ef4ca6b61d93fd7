import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/embedded/producer.js';
import { Consumer } from '../../src/embedded/consumer.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { partitionForKey } from '../../src/protocol/partitioner.js';
import { MemoryBackend } from './memory-backend.js';

async function readAll(backend: MemoryBackend, topic: string) {
  const consumer = new Consumer(backend, { topic, from: 'beginning', follow: false });
  const records = [];
  for await (const record of consumer) records.push(record);
  return records;
}

const text = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\n`).join(''));

describe('Producer.sendLines', () => {
  it('turns each line into a record, keeping a CR before LF byte for byte and a last line without LF', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 0 });
    const result = await producer.sendLines('t', Buffer.from('a\r\n\nb c\nlast'));
    expect(result).toEqual({ recordCount: 4, byteCount: 9, failedCount: 0, error: null, firstFailedLine: -1 });
    const records = await readAll(backend, 't');
    expect(records.map((r) => [r.offset, r.key, r.value!.toString()])).toEqual([[0, null, 'a\r'], [1, null, ''], [2, null, 'b c'], [3, null, 'last']]);
  });

  it('drops the CR before LF with stripCarriageReturn, keyed or not', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 0 });
    await producer.sendLines('t', Buffer.from('a\r\n\r\nb\r'), { stripCarriageReturn: true });
    await producer.sendLines('t', Buffer.from('k a\r\nv\r\n'), { stripCarriageReturn: true, keySeparator: Buffer.from(' ') });
    const records = await readAll(backend, 't');
    // A last line without LF loses its CR too: every line ends without one.
    expect(records.map((r) => [r.key?.toString() ?? null, r.value!.toString()])).toEqual([[null, 'a'], [null, ''], [null, 'b'], ['k', 'a'], [null, 'v']]);
  });

  it('splits keys at the first separator and places keyed lines with murmur2, in line order per partition', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('k', { partitions: 4 });
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 300 });
    const lines = Array.from({ length: 500 }, (_, i) => (i % 10 === 9 ? `keyless ${i}` : `k${i % 7}::${i}::x`));
    const result = await producer.sendLines('k', text(lines), { keySeparator: Buffer.from('::') });
    expect(result.recordCount).toBe(500);
    const records = await readAll(backend, 'k');
    expect(records).toHaveLength(500);
    for (const r of records) {
      if (r.key === null) {
        expect(r.value!.toString()).toMatch(/^keyless \d+$/);
        continue;
      }
      expect(r.partition).toBe(partitionForKey(r.key, 4));
      expect(r.value!.toString()).toMatch(/^\d+::x$/);
    }
    for (let p = 0; p < 4; p++) {
      const order = records.filter((r) => r.partition === p).map((r) => Number(/\d+/.exec(r.value!.toString())![0]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(new Set(records.filter((r) => r.key === null).map((r) => r.partition)).size).toBeGreaterThan(1); // sticky moves on
  });

  it('keeps batches within batchBytes and resolves one promise per call', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 50, batchBytes: 4096 });
    const calls = Array.from({ length: 20 }, (_, c) => producer.sendLines('t', text(Array.from({ length: 100 }, (_, i) => `${c}-${i}`.padEnd(40, '.')))));
    const results = await Promise.all(calls);
    expect(results.every((r) => r.recordCount === 100 && r.failedCount === 0)).toBe(true);
    expect(backend.produceCalls.length).toBeGreaterThan(10);
    for (const call of backend.produceCalls) expect(call.sizeBytes).toBeLessThanOrEqual(4096);
    expect((await readAll(backend, 't')).map((r) => r.value!.toString().replace(/\.+$/, ''))[1999]).toBe('19-99');
  });

  it('stops placing mid-call at bufferBytes and goes on as acknowledgements free room', async () => {
    const backend = new MemoryBackend();
    await backend.createTopic('t', { partitions: 1 });
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 1000, bufferBytes: 3000 });
    backend.hold();
    const sending = producer.sendLines('t', text(Array.from({ length: 200 }, (_, i) => `${i}`.padStart(100, '0'))));
    expect(producer.hasCapacity()).toBe(false);
    expect(producer.batches.bufferedBytes).toBeLessThan(3000 + 200);
    let result;
    const done = sending.then((r) => (result = r));
    while (result === undefined) {
      backend.release();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await done;
    expect(result).toMatchObject({ recordCount: 200, failedCount: 0 });
    expect(backend.maxInFlightSeen).toBe(1);
    expect((await readAll(backend, 't')).map((r) => Number(r.value!.toString()))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('reports refused lines as data: counts and the first error, never a rejection', async () => {
    const backend = new MemoryBackend();
    backend.rejectWith = ErrorCode.MESSAGE_TOO_LARGE;
    const producer = new Producer(backend);
    const result = await producer.sendLines('t', text(['a', 'b', 'c']));
    expect(result.recordCount).toBe(0);
    expect(result.failedCount).toBe(3);
    expect(result.error).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    const outOfRange = await producer.sendLines('t', text(['x', 'y']), { partition: 5 });
    expect(outOfRange).toMatchObject({ recordCount: 0, failedCount: 2, error: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
  });

  it('fails every line of an unknown topic when auto-create is off, and flush() still returns', async () => {
    const producer = new Producer(new MemoryBackend(false));
    const result = await producer.sendLines('missing', text(['a', 'b']));
    expect(result).toMatchObject({ recordCount: 0, failedCount: 2, error: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
    await producer.flush();
  });

  it('interleaves with send() in call order on one partition', async () => {
    const backend = new MemoryBackend();
    const producer = new Producer(backend, { lingerMs: 0 });
    const first = producer.send({ topic: 't', value: 'one' });
    const lines = producer.sendLines('t', text(['two', 'three']));
    const last = producer.send({ topic: 't', value: 'four' });
    expect((await first).offset).toBe(0);
    expect((await lines).recordCount).toBe(2);
    expect((await last).offset).toBe(3);
    expect((await readAll(backend, 't')).map((r) => r.value!.toString())).toEqual(['one', 'two', 'three', 'four']);
  });
});
