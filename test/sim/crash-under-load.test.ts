/**
 * A real server process under kafkajs produce traffic (an idempotent producer and a plain one,
 * acks=-1, several partitions) is SIGKILLed at seeded random moments and restarted on the same
 * data dir, round after round. After each kill a copy of every partition is recovered in this
 * process (the original stays untouched for the server's own recovery) and checked; after the
 * restart the server must report the same watermarks and the committed group offsets.
 *
 * kcat is not used as a producer here: it reports delivery only through librdkafka's delivery
 * report callback, which kcat prints just with -v/-D options whose output format is not a stable
 * contract; kafkajs `send()` resolving is an unambiguous acknowledgement.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { decodeRecords, iterateBatches } from '../../src/protocol/record-batch.js';
import { KafkaClient } from '../../src/client/client.js';
import { defaultOffsetCommitRequestPartition } from '../../src/protocol/apis/offset-commit.js';
import { startGroupServer, type GroupServer } from '../groups-e2e/helpers.js';
import { buildDist, checkPartitionDir, expectEachOnce, prng, simSeed, sleep, tempDir } from './helpers.js';

const TOPIC = 'load';
const PARTITION_COUNT = 3;
const GROUP = 'sim-readers';
const ROUNDS = Number(process.env.BROOK_SIM_ROUNDS ?? 10);
const trace = (what: string) => process.env.BROOK_SIM_TRACE && console.log(`[sim] ${new Date().toISOString()} ${what}`);

beforeAll(buildDist);

let server: GroupServer | null = null;
afterAll(async () => {
  if (server !== null) server.child.kill('SIGKILL');
});

function kafkaFor(broker: string, clientId: string): Kafka {
  return new Kafka({
    brokers: [broker], clientId, logLevel: logLevel.NOTHING,
    connectionTimeout: 1000, requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 300 },
  });
}

/** What one producer had acknowledged, per partition, in acknowledgement order. */
interface Lane {
  name: string;
  idempotent: boolean;
  acked: string[][];
}

/** Sends small batches to each partition in turn until `stop()`; records what `send()` resolved. */
async function runLane(producer: Producer, lane: Lane, round: number, random: () => number, stopped: () => boolean): Promise<void> {
  let seq = 0;
  while (!stopped()) {
    const partition = Math.floor(random() * PARTITION_COUNT);
    const count = 1 + Math.floor(random() * 4);
    const values = Array.from({ length: count }, () => `${lane.name}-r${round}-${seq++}-${'p'.repeat(Math.floor(random() * 120))}`);
    try {
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition })) });
      lane.acked[partition]!.push(...values);
    } catch {
      if (stopped()) return;
      await sleep(20);
    }
  }
}

/** Recovers a copy of a partition dir (as a restart would) and returns its state and values. */
function recoverCopy(dir: string): { logStartOffset: number; highWatermark: number; logEndOffset: number; values: string[] } {
  const copy = tempDir('brook-sim-copy-');
  fs.cpSync(dir, copy, { recursive: true });
  const log = PartitionLog.open(copy, DEFAULT_LOG_CONFIG);
  const values: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const buf = log.read(offset, 1 << 20);
    for (const { pos, sizeBytes } of iterateBatches(buf)) {
      for (const record of decodeRecords(buf.subarray(pos, pos + sizeBytes))) {
        if (record.offset < offset) continue;
        expect(record.offset, `offsets contiguous in ${dir}`).toBe(offset);
        values.push(record.value!.toString());
        offset = record.offset + 1;
      }
    }
  }
  const state = { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset, values };
  log.close();
  checkPartitionDir(copy); // the recovered files: contiguous, indexes agree with a scan
  fs.rmSync(copy, { recursive: true, force: true });
  return state;
}

describe('SIGKILL of brook serve under produce load', () => {
  it(`keeps every acknowledged record exactly once and in order, indexes consistent and committed offsets, over ${ROUNDS} kill/restart rounds`, async () => {
    const seed = simSeed('crash-under-load', 9001);
    const random = prng(seed);
    const dataDir = tempDir();
    const lanes: Lane[] = [
      { name: 'idem', idempotent: true, acked: [[], [], []] },
      { name: 'plain', idempotent: false, acked: [[], [], []] },
    ];
    const committed = new Map<number, number>();
    let commitCount = 0;
    const lastState = new Map<number, ReturnType<typeof recoverCopy>>();
    for (let round = 0; round < ROUNDS; round++) {
      const context = `seed ${seed} round ${round}`;
      server = await startGroupServer(dataDir);
      trace(`round ${round}: server up`);
      const kafka = kafkaFor(server.broker, `sim-${round}`);
      const admin = kafka.admin();
      await admin.connect();
      if (round === 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic: TOPIC, numPartitions: PARTITION_COUNT, configEntries: [{ name: 'segment.bytes', value: '16384' }, { name: 'index.interval.bytes', value: '512' }] }],
        });
      } else {
        // The restarted server recovered what the copies recovered, and kept the committed offsets.
        const offsets = await admin.fetchTopicOffsets(TOPIC);
        for (const { partition, high } of offsets) expect(Number(high), `${context}: high watermark of ${partition}`).toBe(lastState.get(partition)!.highWatermark);
        const [fetched] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        for (const { partition, offset } of fetched!.partitions) {
          if (committed.has(partition)) expect(Number(offset), `${context}: committed offset of ${partition}`).toBe(committed.get(partition));
        }
      }
      trace('checked restart');
      const producers = lanes.map((lane) => kafka.producer({ idempotent: lane.idempotent, maxInFlightRequests: lane.idempotent ? 1 : 5, allowAutoTopicCreation: false }));
      await Promise.all(producers.map((p) => p.connect()));
      trace('producers connected');
      let stop = false;
      const running = lanes.map((lane, i) => runLane(producers[i]!, lane, round, random, () => stop));
      // Commit some offsets (an empty group: kafkajs commits with generation -1) while producing.
      const loadMs = 300 + Math.floor(random() * 1200);
      const commitAt = Math.floor(random() * loadMs);
      await sleep(commitAt);
      const partition = Math.floor(random() * PARTITION_COUNT);
      const offset = ++commitCount * 3;
      // A standalone commit (generation -1, no member) as a simple consumer does it; kafkajs's
      // admin.setOffsets joins the group first, which takes seconds.
      try {
        const client = await KafkaClient.connect(server.broker);
        const response = await client.offsetCommit({
          groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '',
          topics: [{ name: TOPIC, partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: partition, committedOffset: offset }] }],
        });
        await client.close();
        if (response.topics[0]!.partitions[0]!.errorCode === 0) committed.set(partition, offset);
      } catch {
        // not acknowledged: no claim about it
      }
      trace(`committed at ${commitAt} of ${loadMs} ms`);
      await sleep(loadMs - commitAt);
      trace('killing');
      server.child.kill('SIGKILL');
      await server.stop();
      server = null;
      stop = true;
      await Promise.all(running);
      trace('lanes stopped');
      await Promise.all([...producers.map((p) => p.disconnect().catch(() => {})), admin.disconnect().catch(() => {})]);

      for (let p = 0; p < PARTITION_COUNT; p++) {
        const state = recoverCopy(path.join(dataDir, `${TOPIC}-${p}`));
        lastState.set(p, state);
        expect(state.logStartOffset).toBeLessThanOrEqual(state.highWatermark);
        expect(state.highWatermark).toBeLessThanOrEqual(state.logEndOffset);
        for (const lane of lanes) {
          const acked = lane.acked[p]!;
          const mine = state.values.filter((v) => v.startsWith(`${lane.name}-`));
          if (lane.idempotent) {
            // Exactly once, even the records whose send() failed: retries never duplicate.
            expect(new Set(mine).size, `${context}: idempotent duplicates in partition ${p}`).toBe(mine.length);
            expectEachOnce(mine, acked, `${context}: ${lane.name} partition ${p}`);
          } else {
            const present = new Set(mine);
            const missing = acked.filter((v) => !present.has(v));
            expect(missing, `${context}: plain producer records lost in partition ${p}`).toEqual([]);
          }
          // Acknowledged records keep their acknowledgement order (each lane awaits every send).
          const ackedSet = new Set(acked);
          const order = [...new Set(mine.filter((v) => ackedSet.has(v)))];
          expect(order, `${context}: ${lane.name} order in partition ${p}`).toEqual(acked);
        }
      }
      expect(lanes.every((lane) => lane.acked.flat().length > 0), `${context}: traffic was acknowledged`).toBe(true);
    }
    const total = lanes.map((lane) => lane.acked.flat().length).reduce((a, b) => a + b, 0);
    console.log(`[sim] crash-under-load: ${ROUNDS} SIGKILL rounds, ${total} acknowledged records, ${commitCount} offset commits attempted, ${committed.size} partitions with a committed offset`);
    expect(committed.size).toBeGreaterThan(0);
    // A last clean start and stop: the real directories check out too.
    server = await startGroupServer(dataDir);
    await server.stop();
    server = null;
    for (let p = 0; p < PARTITION_COUNT; p++) checkPartitionDir(path.join(dataDir, `${TOPIC}-${p}`));
  });
});
