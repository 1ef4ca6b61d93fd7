/**
 * Partition and coordinator worker crashes, injected at seeded moments while kafkajs producers and
 * a kafkajs consumer group run against an in-process BrookServer (so the test holds the Broker and
 * can reach a partition worker's injectCrash and GroupsService.crashWorkerOf). Two partition
 * workers each own two of the topic's partitions: a crash takes down both of a worker's
 * partitions, which recover together, while the other worker never restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Broker } from '../../src/engine/broker.js';
import { BrookServer } from '../../src/server/server.js';
import { readAll, values } from '../engine/helpers.js';
import { waitFor } from '../groups-e2e/helpers.js';
import { buildDist, expectEachOnce, prng, simSeed, sleep, tempDir } from './helpers.js';

const TOPIC = 'events';
const PARTITION_COUNT = 4;
const GROUP = 'sim-group';
const CRASH_COUNT = 8;
const WORKER_COUNT = 2;

let broker: Broker;
let server: BrookServer;
let kafka: Kafka;

beforeAll(async () => {
  buildDist();
  const dataDir = tempDir();
  broker = await Broker.open({ dataDir, workers: WORKER_COUNT, coordinators: { groupConfig: { initialRebalanceDelayMs: 200 } } });
  server = new BrookServer(broker, { port: 0, dataDir });
  await server.listen();
  kafka = new Kafka({ brokers: [`127.0.0.1:${server.port}`], clientId: 'sim', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
  await broker.createTopic(TOPIC, { partitions: PARTITION_COUNT });
});

afterAll(async () => {
  await server?.close();
  await broker?.close();
});

function groupConsumer(consumed: string[]): Consumer {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  void consumer.connect().then(async () => {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => void consumed.push(message.value!.toString()) });
  });
  return consumer;
}

describe('worker crashes under load', () => {
  it(`restarts ${CRASH_COUNT} crashed partition and coordinator workers: others unaffected, no acknowledged record lost, the group resumes from committed offsets`, async () => {
    const seed = simSeed('worker-crash', 4242);
    const random = prng(seed);
    // The producer lane has its own generator, so the crash schedule one seed gives does not depend
    // on how many sends fitted between crashes.
    const laneRandom = prng(seed + 1);
    const consumed: string[] = [];
    const consumers = [groupConsumer(consumed), groupConsumer(consumed)];
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[][] = Array.from({ length: PARTITION_COUNT }, () => []);
    let stop = false;
    let seq = 0;
    const lane = (async () => {
      while (!stop) {
        const partition = Math.floor(laneRandom() * PARTITION_COUNT);
        const batch = Array.from({ length: 1 + Math.floor(laneRandom() * 5) }, () => `m${seq++}`);
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: batch.map((value) => ({ value, partition })) });
          acked[partition]!.push(...batch);
        } catch {
          await sleep(20); // retries exhausted: not acknowledged, no claim about it
        }
      }
    })();

    const workerCrashes = new Array<number>(WORKER_COUNT).fill(0);
    let coordinatorCrashes = 0;
    for (let i = 0; i < CRASH_COUNT; i++) {
      await sleep(200 + Math.floor(random() * 400));
      if (random() < 0.35) {
        broker.groups.crashWorkerOf(broker.groups.partitionFor(GROUP));
        coordinatorCrashes++;
        // A commit refused meanwhile is not retried by kafkajs until its next batch: produce goes on
        // only once the coordinator answers again, so the last commits land even after a last crash.
        await waitFor(`the coordinator to answer again (seed ${seed})`, async () => (await broker.groups.committedOffsets(GROUP).catch(() => null)) !== null, 30_000);
      } else {
        const partition = Math.floor(random() * PARTITION_COUNT);
        const handle = broker.workerOf(TOPIC, partition)!;
        const restartsBefore = handle.restartCount;
        handle.injectCrash(random() < 0.5 ? 'throw' : 'exit');
        workerCrashes[handle.index]!++;
        await waitFor(`the worker of partition ${partition} to restart (seed ${seed})`, () => handle.restartCount > restartsBefore, 30_000);
      }
    }
    await sleep(300);
    stop = true;
    await lane;
    await producer.disconnect();

    // The partitions are spread over both workers, and only crashed workers restarted, once per crash.
    const owners = Array.from({ length: PARTITION_COUNT }, (_, p) => broker.workerOf(TOPIC, p)!);
    expect(new Set(owners.map((w) => w.index)).size).toBe(WORKER_COUNT);
    for (const owner of owners) expect(owner.restartCount, `seed ${seed}: restarts of worker ${owner.index}`).toBe(workerCrashes[owner.index]);
    // Every acknowledged record is in its partition once (idempotent retries included), in order.
    for (let p = 0; p < PARTITION_COUNT; p++) {
      const present = values(await readAll(broker, TOPIC, p));
      expectEachOnce(present, acked[p]!, `seed ${seed}: partition ${p}`);
      expect(new Set(present).size, `seed ${seed}: duplicates in partition ${p}`).toBe(present.length);
      const ackedSet = new Set(acked[p]);
      expect(present.filter((v) => ackedSet.has(v))).toEqual(acked[p]);
    }
    const allAcked = acked.flat();
    await waitFor(`the group to consume every acknowledged record (seed ${seed})`, () => {
      const seen = new Set(consumed);
      return allAcked.every((v) => seen.has(v));
    }, 30_000);
    await Promise.all(consumers.map((c) => c.disconnect()));

    // Committed offsets are at the high watermarks: a new member starts after them, not from 0.
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    await admin.disconnect();
    for (const { partition, offset } of committed!.partitions) {
      expect(Number(offset), `seed ${seed}: committed offset of ${partition}`).toBe(broker.partitionState(TOPIC, partition)!.highWatermark);
    }
    const resumed: string[] = [];
    const late = groupConsumer(resumed);
    const tail = kafka.producer();
    await tail.connect();
    await tail.send({ topic: TOPIC, messages: Array.from({ length: PARTITION_COUNT }, (_, p) => ({ value: `tail-${p}`, partition: p })) });
    await tail.disconnect();
    await waitFor('the resumed member to read the new records', () => resumed.length >= PARTITION_COUNT, 20_000);
    await late.disconnect();
    expect(resumed.sort()).toEqual(Array.from({ length: PARTITION_COUNT }, (_, p) => `tail-${p}`));
    console.log(`[sim] worker-crash: ${workerCrashes.reduce((a, b) => a + b, 0)} partition worker and ${coordinatorCrashes} coordinator crashes, ${allAcked.length} acknowledged records`);
  }, 90_000);
});
