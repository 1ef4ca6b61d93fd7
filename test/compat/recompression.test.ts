/**
 * compression.type end to end against a real `brook serve`: kafkajs produces uncompressed to a
 * zstd topic, the segment files hold zstd batches, and kafkajs (with a zstd codec registered, as
 * its users do) and kcat read every record back intact; kcat produces lz4 to a gzip topic and
 * zstd to an `uncompressed` one. Large produces take the validation pool, small ones do not.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import zstd from 'zstd-napi';
import { Compression } from '../../src/protocol/compression.js';
import { ATTR_COMPRESSION_MASK, iterateBatches } from '../../src/protocol/record-batch.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const kcatFound = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0;
if (!kcatFound && process.env.CI === 'true') throw new Error('kcat is not installed, and CI=true requires it (apt-get install kcat)');

CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer),
  decompress: async (buffer: Buffer) => zstd.decompress(buffer),
});

let server: ServerProcess;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  server = await startServer(undefined, [], { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
  kafka = new Kafka({ clientId: 'recompression', brokers: [server.address], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  expect(await server?.stop()).toBe(0);
});

/** The codec of every batch in the partition's segment files, in order. */
function storedCodecs(topic: string): number[] {
  const dir = path.join(server.dataDir, `${topic}-0`);
  const codecs: number[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    for (const { header } of iterateBatches(fs.readFileSync(path.join(dir, name)))) codecs.push(header.attributes & ATTR_COMPRESSION_MASK);
  }
  return codecs;
}

function kcat(args: string[], input?: string): string {
  const result = spawnSync('kcat', ['-b', server.address, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`kcat ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

async function consumeWithKafkajs(topic: string, count: number): Promise<{ key: string; value: string; header: string; offset: string }[]> {
  const consumer = kafka.consumer({ groupId: `read-${topic}`, maxWaitTimeInMs: 200 });
  const seen: { key: string; value: string; header: string; offset: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({ key: message.key!.toString(), value: message.value!.toString(), header: message.headers!.n!.toString(), offset: message.offset });
          if (seen.length === count) resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('compression.type=zstd', () => {
  it('stores kafkajs\'s uncompressed batches as zstd; kafkajs and kcat read them back intact', async () => {
    await admin.createTopics({ topics: [{ topic: 'packed', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] }] });
    const small = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `small ${i}`, headers: { n: String(i) } }));
    // Over 128 KiB in one batch (POOL_MIN_BYTES): this one is checked and recompressed in the pool.
    const large = Array.from({ length: 1500 }, (_, i) => ({ key: `k${50 + i}`, value: `large ${50 + i} ${'x'.repeat(100 + (i % 50))}`, headers: { n: String(50 + i) } }));
    await producer.send({ topic: 'packed', compression: CompressionTypes.None, messages: small });
    await producer.send({ topic: 'packed', compression: CompressionTypes.None, messages: large });
    await producer.send({ topic: 'packed', compression: CompressionTypes.GZIP, messages: [{ key: 'k1550', value: 'gzip 1550', headers: { n: '1550' } }] });
    expect(storedCodecs('packed')).toEqual([Compression.zstd, Compression.zstd, Compression.zstd]);

    const expected = [...small, ...large, { key: 'k1550', value: 'gzip 1550', headers: { n: '1550' } }].map((m, i) => ({ key: m.key, value: m.value, header: m.headers.n, offset: String(i) }));
    expect(await consumeWithKafkajs('packed', expected.length)).toEqual(expected);
    if (kcatFound) {
      const lines = kcat(['-C', '-t', 'packed', '-p', '0', '-e', '-o', 'beginning', '-f', '%o|%k|%s|%h\\n']).trimEnd().split('\n');
      expect(lines).toEqual(expected.map((m) => `${m.offset}|${m.key}|${m.value}|n=${m.header}`));
    }
    // The idempotent producer's sequences still line up after recompression.
    await producer.send({ topic: 'packed', messages: [{ key: 'k1551', value: 'after', headers: { n: '1551' } }] });
    expect(storedCodecs('packed')).toHaveLength(4);
  });
});

describe.skipIf(!kcatFound)('compression.type with kcat', () => {
  it('recompresses kcat\'s lz4 to gzip, and stores zstd from kcat uncompressed on an `uncompressed` topic', async () => {
    await admin.createTopics({ topics: [
      { topic: 'gz', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'gzip' }, { name: 'compression.gzip.level', value: '9' }] },
      { topic: 'plain', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'uncompressed' }] },
    ] });
    const lines = Array.from({ length: 200 }, (_, i) => `key-${i}:line ${i} ${'y'.repeat(i % 40)}`);
    kcat(['-P', '-t', 'gz', '-p', '0', '-K', ':', '-X', 'compression.codec=lz4'], lines.join('\n') + '\n');
    kcat(['-P', '-t', 'plain', '-p', '0', '-K', ':', '-X', 'compression.codec=zstd'], lines.join('\n') + '\n');
    expect(new Set(storedCodecs('gz'))).toEqual(new Set([Compression.gzip]));
    expect(new Set(storedCodecs('plain'))).toEqual(new Set([Compression.none]));
    for (const topic of ['gz', 'plain']) {
      const out = kcat(['-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%k:%s\\n']).trimEnd().split('\n');
      expect(out).toEqual(lines);
    }
  });
});
