/**
 * @platformatic/kafka 1.35.0 (the last 1.x line that runs on Node 20) against a real `brook serve`
 * process. It implements only Kafka's flexible versions (KIP-482: request header v2, response
 * header v1, compact types, tagged fields): Metadata 12, Produce 11, Fetch 17 with topic ids,
 * ListOffsets 9, OffsetCommit/OffsetFetch 8-9, FindCoordinator 6, JoinGroup 9, SyncGroup 5, ...
 * Metadata, create topic with configs, produce with every codec it has on Node 20 (zstd needs
 * Node 22's zlib), a consumer group of two with commits, a resume after a broker restart, and the
 * admin describe/list calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const TOPIC = 'plat-orders';
const GROUP = 'plat-group';
const CODECS = ['none', 'gzip', 'snappy', 'lz4'] as const;
const PER_CODEC = 10;

let server: ServerProcess;
const closers: (() => Promise<unknown>)[] = [];

function admin(): Admin {
  const client = new Admin({ clientId: 'plat-admin', bootstrapBrokers: [server.address] });
  closers.push(() => client.close());
  return client;
}

function consumer(): Consumer<string, string, string, string> {
  const client = new Consumer({
    groupId: GROUP, clientId: 'plat-consumer', bootstrapBrokers: [server.address], deserializers: stringDeserializers,
    sessionTimeout: 30_000, heartbeatInterval: 1000,
  });
  closers.push(() => new Promise<void>((resolve, reject) => client.close(true, (error) => (error ? reject(error) : resolve()))));
  return client;
}

async function produce(values: { value: string; compression: (typeof CODECS)[number] }[]): Promise<void> {
  const producer = new Producer({ clientId: 'plat-producer', bootstrapBrokers: [server.address], serializers: stringSerializers });
  try {
    for (const codec of CODECS) {
      const messages = values.filter((v) => v.compression === codec).map((v) => ({ topic: TOPIC, key: v.value, value: v.value }));
      if (messages.length > 0) await producer.send({ compression: codec, acks: -1, messages });
    }
  } finally {
    await producer.close();
  }
}

/** Reads from `stream` until `done()`; every message is committed as it is read. */
async function readUntil(stream: AsyncIterable<Message<string, string, string, string>>, sink: Message<string, string, string, string>[], done: () => boolean): Promise<void> {
  if (done()) return;
  for await (const message of stream) {
    sink.push(message);
    await message.commit();
    if (done()) return;
  }
}

describe('@platformatic/kafka 1.35.0 (flexible versions only)', () => {
  beforeAll(async () => {
    server = await startServer(undefined, [], { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    expect(await server?.stop()).toBe(0);
  });

  it('creates a topic with configs and reads it back in metadata and configs', async () => {
    const client = admin();
    const [created] = await client.createTopics({ topics: [TOPIC], partitions: 2, replicas: 1, configs: [{ name: 'retention.ms', value: '3600000' }] });
    expect(created!.partitions).toBe(2);
    expect(created!.configuration['retention.ms']).toBe('3600000');
    const metadata = await client.metadata({ topics: [TOPIC] });
    const topic = metadata.topics.get(TOPIC)!;
    expect(topic.id).toBe(created!.id);
    expect(topic.partitions.map((p) => [p.leader, p.leaderEpoch])).toEqual([[0, 0], [0, 0]]);
    const [described] = await client.describeConfigs({ resources: [{ resourceType: 2, resourceName: TOPIC }] });
    expect(described!.configs.find((c) => c.name === 'retention.ms')?.value).toBe('3600000');
  });

  it('a group of two splits the partitions, reads every codec, commits; the admin lists and describes it', async () => {
    const [a, b] = [consumer(), consumer()];
    const streams = await Promise.all([a, b].map((c) => c.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 200 })));
    closers.push(...streams.map((s) => () => s.close()));
    const values = CODECS.flatMap((compression) => Array.from({ length: PER_CODEC }, (_, i) => ({ compression, value: `${compression} ${i}` })));
    await produce(values);
    const read: Message<string, string, string, string>[][] = [[], []];
    const unique = (): number => new Set(read.flat().map((m) => `${m.partition}:${m.offset}`)).size;
    await Promise.all(streams.map((stream, i) => readUntil(stream, read[i]!, () => unique() === values.length)).map((p) => Promise.race([p, waitFor(() => unique() === values.length)])));
    expect(read.flat().map((m) => m.value).sort()).toEqual([...new Set(read.flat().map((m) => m.value))].sort());
    expect(new Set(read.flat().map((m) => m.value))).toEqual(new Set(values.map((v) => v.value)));
    // Both members took part: each read exactly one partition, not the same one.
    const partitionsRead = read.map((messages) => [...new Set(messages.map((m) => m.partition))]);
    expect(partitionsRead.flat().sort()).toEqual([0, 1]);

    const client = admin();
    const groups = await client.listGroups({ states: ['STABLE'] });
    expect([...groups.keys()]).toContain(GROUP);
    const described = (await client.describeGroups({ groups: [GROUP] })).get(GROUP)!;
    expect(described.members.size).toBe(2);
    const [offsets] = await client.listConsumerGroupOffsets({ groups: [GROUP] });
    const committed = offsets!.topics.find((t) => t.name === TOPIC)!.partitions.reduce((sum, p) => sum + Number(p.committedOffset), 0);
    expect(committed).toBe(values.length);
    await Promise.all(streams.map((s) => s.close()));
    await Promise.all([a.close(), b.close()]);
  });

  it('resumes from the committed offsets after the broker restarts', async () => {
    await produce(Array.from({ length: 3 }, (_, i) => ({ compression: 'gzip' as const, value: `after restart ${i}` })));
    const dataDir = server.dataDir;
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
    expect(await server.stop()).toBe(0);
    server = await startServer(dataDir, [], { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
    const resumed = consumer();
    const stream = await resumed.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 200 });
    closers.push(() => stream.close());
    const read: Message<string, string, string, string>[] = [];
    await readUntil(stream, read, () => read.length >= 3);
    expect(read.map((m) => m.value).sort()).toEqual(['after restart 0', 'after restart 1', 'after restart 2']);
  });
});

/** Resolves once `condition()` holds (checked every 50 ms); the test's own timeout bounds it. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}
