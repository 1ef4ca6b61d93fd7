/** The README's embedded-API example, run as written (only the import path and data dir differ). */
import { rmSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { Brook, KafkaError } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const dataDir = tempDir('brook-readme-');
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

it('runs the README example: create a topic, produce keyed records, read them back', async () => {
  // --- README example starts here ---
  const brook = await Brook.open({ dataDir /* default './brook-data' */ });
  await brook.admin.createTopic('logs', { partitions: 4, configs: { 'retention.ms': '86400000' } });

  const producer = brook.producer({ lingerMs: 5, compression: 'lz4' });
  const sends = [];
  for (let i = 0; i < 1000; i++) {
    // Not awaited one by one: sends batch up per partition; each resolves when acknowledged.
    sends.push(producer.send({ topic: 'logs', key: `host-${i % 3}`, value: `line ${i}`, headers: { app: 'web' } }));
  }
  const acks = await Promise.all(sends); // [{ topic, partition, offset, timestamp }, ...]
  await producer.close();

  const consumer = brook.consumer({ topic: 'logs', from: 'beginning', follow: false });
  const perHost = new Map<string, string[]>();
  for await (const record of consumer) {
    const host = record.key!.toString();
    perHost.set(host, [...(perHost.get(host) ?? []), record.value!.toString()]);
  }
  console.log((await brook.admin.describeTopic('logs')).partitions);
  await brook.close();
  // --- README example ends here ---

  expect(acks).toHaveLength(1000);
  expect(new Set(acks.map((a) => `${a.partition}:${a.offset}`)).size).toBe(1000);
  expect([...perHost.keys()].sort()).toEqual(['host-0', 'host-1', 'host-2']);
  for (const [host, values] of perHost) {
    const numbers = values.map((v) => Number(v.slice('line '.length)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b)); // send order per key
    expect(numbers.every((n) => `host-${n % 3}` === host)).toBe(true);
  }
});

it('rejects produce errors with the Kafka error name, and reopens the data dir after close', async () => {
  const brook = await Brook.open({ dataDir, autoCreateTopics: false });
  const producer = brook.producer();
  const error = await producer.send({ topic: 'nope', value: 'x' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KafkaError);
  expect((error as KafkaError).code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  await brook.admin.createTopic('kept', { partitions: 1 });
  await brook.producer().send({ topic: 'kept', value: 'v' });
  await brook.close();

  const reopened = await Brook.open({ dataDir });
  expect((await reopened.admin.describeTopic('kept')).partitions[0]!.logEndOffset).toBe(1);
  const consumer = reopened.consumer({ topic: 'kept', from: { offset: 0 }, follow: true, maxWaitMs: 50 });
  const iterator = consumer[Symbol.asyncIterator]();
  expect((await iterator.next()).value.value.toString()).toBe('v');
  const pending = iterator.next(); // waits for new records until closed
  await consumer.close();
  expect((await pending).done).toBe(true);
  await reopened.close();
});
