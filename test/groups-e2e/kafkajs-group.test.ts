/**
 * kafkajs 2.2.4 consumer groups against a real `brook serve` process: the coordinator workers,
 * __consumer_offsets and the group APIs end to end. One scenario, in phases, because each phase
 * builds on the group the previous one left (about 40 s in all, dominated by one session timeout).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { makeTempDir, startGroupServer, waitFor, type GroupServer } from './helpers.js';

const TOPIC = 'orders';
const GROUP = 'billing';
const PARTITION_COUNT = 6;
const CHILD_SCRIPT = path.join(import.meta.dirname, 'fixtures/kafkajs-consumer.mjs');

type Assignment = Record<string, number[]>;

/** One group member, in this process or in a child process, with what it has seen. */
interface Member {
  name: string;
  values: string[];
  /** The assignment of its latest GROUP_JOIN. */
  assignment: Assignment | null;
  stop(): Promise<void>;
}

let server: GroupServer;
let dataDir: string;
let nextValue = 0;
const produced: string[] = [];

function kafkaFor(clientId: string): Kafka {
  return new Kafka({ brokers: [server.broker], clientId, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

async function produce(count: number): Promise<void> {
  const producer = kafkaFor('producer').producer();
  await producer.connect();
  const messages = Array.from({ length: count }, () => {
    const value = `v${nextValue++}`;
    produced.push(value);
    return { key: value, value };
  });
  await producer.send({ topic: TOPIC, messages });
  await producer.disconnect();
}

async function startMember(name: string): Promise<Member> {
  const consumer: Consumer = kafkaFor(name).consumer({
    groupId: GROUP, sessionTimeout: 6000, rebalanceTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 300,
  });
  const member: Member = { name, values: [], assignment: null, stop: () => consumer.disconnect() };
  consumer.on(consumer.events.GROUP_JOIN, (e) => (member.assignment = e.payload.memberAssignment));
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void member.values.push(message.value!.toString()) });
  return member;
}

function startChildMember(name: string): Member & { child: ChildProcess } {
  const child = spawn(process.execPath, [CHILD_SCRIPT, server.broker, GROUP, TOPIC], { stdio: ['ignore', 'pipe', 'inherit'] });
  const member = { name, values: [] as string[], assignment: null as Assignment | null, child, stop: async () => void child.kill('SIGKILL') };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as { join?: Assignment; value?: string };
      if (event.join !== undefined) member.assignment = event.join;
      if (event.value !== undefined) member.values.push(event.value);
    }
  });
  return member;
}

/** True when the members' latest assignments split all partitions among them, with no overlap. */
function assignmentsPartitionTheTopic(members: Member[]): boolean {
  const owners = new Map<number, string>();
  for (const m of members) {
    if (m.assignment === null) return false;
    for (const p of m.assignment[TOPIC] ?? []) {
      if (owners.has(p)) return false;
      owners.set(p, m.name);
    }
  }
  return owners.size === PARTITION_COUNT;
}

function delivered(members: Member[]): Set<string> {
  return new Set(members.flatMap((m) => m.values));
}

async function waitUntilAllDelivered(members: Member[]): Promise<void> {
  await waitFor('every produced record to be delivered', () => {
    const seen = delivered(members);
    return produced.every((v) => seen.has(v));
  });
}

beforeAll(async () => {
  dataDir = makeTempDir('brook-groups-e2e-');
  server = await startGroupServer(dataDir);
  const admin = kafkaFor('admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITION_COUNT }] });
  await admin.disconnect();
});

afterAll(async () => {
  await server?.stop();
});

describe('kafkajs consumer group against brook serve', () => {
  const everyone: Member[] = [];
  // A test that fails before its own stop() must not leave a child consumer running.
  afterAll(() => {
    for (const m of everyone) if ('child' in m) (m.child as ChildProcess).kill('SIGKILL');
  });

  it('three members split six partitions disjointly and receive every record', async () => {
    await produce(300);
    const a = await startMember('a');
    const b = await startMember('b');
    const c = startChildMember('c');
    everyone.push(a, b, c);
    await waitFor('a stable three-member assignment', () => assignmentsPartitionTheTopic([a, b, c]) && [a, b, c].every((m) => Object.values(m.assignment!).flat().length > 0));
    await waitUntilAllDelivered(everyone);
  }, 40_000);

  it('rebalances when a fourth member joins, one leaves cleanly and one is killed, losing no record', async () => {
    const [a, b, c] = everyone as [Member, Member, Member & { child: ChildProcess }];
    const d = await startMember('d');
    everyone.push(d);
    await waitFor('a four-member assignment', () => assignmentsPartitionTheTopic([a, b, c, d]));
    await produce(200);
    await waitUntilAllDelivered(everyone);

    await b.stop(); // LeaveGroup: the others rebalance at once
    await waitFor('a three-member assignment after b left', () => assignmentsPartitionTheTopic([a, c, d]));
    await produce(200);
    await waitUntilAllDelivered(everyone);

    await c.stop(); // SIGKILL: no LeaveGroup; the coordinator expires it after its 6 s session timeout
    await produce(200);
    await waitFor('a two-member assignment after c expired', () => assignmentsPartitionTheTopic([a, d]), 30_000);
    await waitUntilAllDelivered(everyone);
    const seen = delivered(everyone);
    expect(produced.filter((v) => !seen.has(v))).toEqual([]);
  }, 80_000);

  it('keeps committed offsets across a broker restart: a new member resumes after them', async () => {
    for (const m of everyone.slice(0, 1).concat(everyone.slice(3))) await m.stop(); // a and d commit on disconnect
    const admin = kafkaFor('admin').admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const ends = await admin.fetchTopicOffsets(TOPIC);
    await admin.disconnect();
    const committedByPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
    for (const end of ends) expect(committedByPartition.get(end.partition)).toBe(end.offset);

    await server.stop();
    server = await startGroupServer(dataDir);
    const before = produced.length;
    await produce(60);
    const e = await startMember('e');
    await waitFor('the new member to receive the records produced after the restart', () => e.values.length >= 60);
    await new Promise((r) => setTimeout(r, 1000)); // anything older would have arrived with them
    await e.stop();
    expect(new Set(e.values)).toEqual(new Set(produced.slice(before)));
  }, 60_000);
});
