/**
 * One consumer group, two kinds of member: Brook's embedded consumer over the network backend and
 * a kafkajs 2.2.4 consumer, both against a real `brook serve` process (needs dist/). They share
 * the partitions through the standard consumer protocol; kafkajs only knows its
 * 'RoundRobinAssigner', which the embedded member also offers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer as KafkaConsumer } from 'kafkajs';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { Consumer, type ConsumerRecord } from '../../src/embedded/consumer.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { makeTempDir, startGroupServer, waitFor } from '../groups-e2e/helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('a group of an embedded member and a kafkajs member', () => {
  it('splits six partitions between them and delivers every record', async () => {
    const server = await startGroupServer(makeTempDir('brook-group-mixed-'));
    cleanups.push(() => server.stop());
    const backend = await NetworkBackend.connect(server.broker);
    cleanups.push(() => backend.close());
    await backend.createTopic('mixed', { partitions: 6 });
    const produce = async (first: number) => {
      for (let p = 0; p < 6; p++) {
        const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`${p}-${first + i}`) }));
        expect((await backend.produce('mixed', p, encodeRecordBatch(records), 1)).errorCode).toBe(0);
      }
    };
    await produce(0);

    const kafka = new Kafka({ brokers: [server.broker], clientId: 'kjs', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const kjs: KafkaConsumer = kafka.consumer({ groupId: 'mixed-g', sessionTimeout: 6000, rebalanceTimeout: 10000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    const kjsValues: string[] = [];
    let kjsAssignment: number[] = [];
    kjs.on(kjs.events.GROUP_JOIN, (e) => (kjsAssignment = e.payload.memberAssignment['mixed'] ?? []));
    await kjs.connect();
    cleanups.push(() => kjs.disconnect());
    await kjs.subscribe({ topic: 'mixed', fromBeginning: true });
    await kjs.run({ eachMessage: async ({ message }) => void kjsValues.push(message.value!.toString()) });

    const embedded = new Consumer(backend, {
      topic: 'mixed', groupId: 'mixed-g', from: 'beginning', sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, autoCommitIntervalMs: 200, maxWaitMs: 200,
    });
    cleanups.push(() => embedded.close());
    const embeddedRecords: ConsumerRecord[] = [];
    const loop = (async () => {
      for (;;) {
        const batch = await embedded.poll();
        if (batch === null) return;
        embeddedRecords.push(...batch);
      }
    })();

    const member = embedded.groupMember!;
    await waitFor('both members to hold partitions', () =>
      member.assignment().length > 0 && kjsAssignment.length > 0 && member.assignment().length + kjsAssignment.length === 6
      && new Set([...member.assignment(), ...kjsAssignment]).size === 6);
    await produce(10);
    const expected = Array.from({ length: 6 }, (_, p) => Array.from({ length: 20 }, (_, i) => `${p}-${i}`)).flat().sort();
    const seen = () => new Set([...kjsValues, ...embeddedRecords.map((r) => r.value!.toString())]);
    await waitFor('every record', () => seen().size === expected.length);
    expect([...seen()].sort()).toEqual(expected);
    // Records of the final generation's partitions came from their owner only.
    const embeddedOwned = new Set(member.assignment());
    const late = embeddedRecords.filter((r) => Number(r.value!.toString().split('-')[1]) >= 10);
    expect(late.every((r) => embeddedOwned.has(r.partition))).toBe(true);
    await embedded.close();
    await loop;
  }, 90_000);
});
