/**
 * The idempotent producer against the real engine: partition worker crashes and storage errors in
 * the middle of a stream of sends. Needs dist/ (partition workers): `npx tsc -p tsconfig.json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import type { BrookBackend } from '../../src/embedded/backend.js';
import { BrokerBackend } from '../../src/embedded/broker-backend.js';
import { KafkaError } from '../../src/embedded/kafka-error.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { NetworkBackend } from '../../src/embedded/network-backend.js';
import { Producer, type RecordMetadata } from '../../src/embedded/producer.js';
import { readAll, values } from '../engine/helpers.js';
import { startGroupServer } from '../groups-e2e/helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

function brokerOf(backend: BrokerBackend): Broker {
  return (backend as unknown as { broker: Broker }).broker;
}

/**
 * Crashes partition `partition`'s worker while the producer's `crashAtCall`-th produce call is in
 * flight: the worker stalls (stops draining its ring), the producer's next batch lands in the ring,
 * and then the worker exits, so at least one batch is lost in the ring and answered
 * NOT_LEADER_OR_FOLLOWER (it may also have been appended just before: a retry must not repeat it).
 */
function crashDuringProduce(backend: BrokerBackend, topic: string, partition: number, crashAtCall: number): { crashed: () => boolean } {
  const broker = brokerOf(backend);
  const produce = backend.produce.bind(backend);
  let calls = 0;
  let crashed = false;
  backend.produce = (t, p, batches, acks) => {
    if (t === topic && p === partition && ++calls === crashAtCall) {
      const handle = broker.workerOf(topic, partition)!;
      handle.injectStall(30_000);
      setTimeout(() => {
        handle.injectCrash('exit');
        crashed = true;
      }, 30);
    }
    return produce(t, p, batches, acks);
  };
  return { crashed: () => crashed };
}

async function openBackend(partitions: number): Promise<BrokerBackend> {
  const backend = await BrokerBackend.open({ dataDir: tempDir() });
  closers.push(() => backend.close());
  await backend.createTopic('t', { partitions });
  return backend;
}

/** Sends `count` records (value `v<i>`, key `k<i % 4>` when keyed) without awaiting each. */
function stream(producer: Producer, count: number, partition?: number): Array<Promise<RecordMetadata>> {
  const sends: Array<Promise<RecordMetadata>> = [];
  for (let i = 0; i < count; i++) sends.push(producer.send({ topic: 't', partition, value: `v${i}` }));
  return sends;
}

describe('idempotent producer (default) against a real Broker', () => {
  it('resolves every send across a partition worker crash and stores each record once, in send order', async () => {
    const backend = await openBackend(2);
    const broker = brokerOf(backend);
    const crash = crashDuringProduce(backend, 't', 0, 3);
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 2048 });
    const sends = [...stream(producer, 3000, 0), ...stream(producer, 500, 1)];
    const results = await Promise.allSettled(sends);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(crash.crashed()).toBe(true);
    expect(broker.workerOf('t', 0)!.restartCount).toBeGreaterThanOrEqual(1);
    expect(values(await readAll(broker, 't', 0))).toEqual(Array.from({ length: 3000 }, (_, i) => `v${i}`));
    expect(values(await readAll(broker, 't', 1))).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
    // Offsets the sends resolved with are where the records are.
    const offsets = (results.slice(0, 3000) as Array<PromiseFulfilledResult<RecordMetadata>>).map((r) => r.value.offset);
    expect(offsets).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('writes producerId, producerEpoch and increasing baseSequences into the stored batch headers', async () => {
    const backend = await openBackend(1);
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 1024 });
    await Promise.all(stream(producer, 200, 0));
    const records = await readAll(brokerOf(backend), 't', 0);
    expect(records).toHaveLength(200);
    const dir = path.join(brokerOf(backend).dataDir, 't-0');
    const log = fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.log'))!));
    let pos = 0;
    let expectedSequence = 0;
    let producerId: bigint | null = null;
    while (pos < log.length) {
      const batchProducerId = log.readBigInt64BE(pos + 43);
      producerId ??= batchProducerId;
      expect(batchProducerId).toBe(producerId);
      expect(log.readInt16BE(pos + 51)).toBe(0);
      expect(log.readInt32BE(pos + 53)).toBe(expectedSequence);
      expectedSequence += log.readInt32BE(pos + 57);
      pos += log.readInt32BE(pos + 8) + 12;
    }
    expect(producerId! >= 0n).toBe(true);
    expect(expectedSequence).toBe(200);
  });

  it('hands two producers of one broker different producer ids', async () => {
    const backend = await openBackend(1);
    const a = await backend.initProducerId();
    const b = await backend.initProducerId();
    expect(a.producerId).not.toBe(b.producerId);
    expect(a.producerEpoch).toBe(0);
  });

  it('with idempotent:false and retries:0, the same crash rejects some sends with a retriable KafkaError', async () => {
    const backend = await openBackend(1);
    crashDuringProduce(backend, 't', 0, 3);
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 2048, idempotent: false, retries: 0 });
    const results = await Promise.allSettled(stream(producer, 3000, 0));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const { reason } of rejected) {
      expect(reason).toBeInstanceOf(KafkaError);
      expect((reason as KafkaError).retriable).toBe(true);
    }
  });

  it('refuses idempotent:true with acks 0', () => {
    expect(() => new Producer({} as BrookBackend, { idempotent: true, acks: 0 })).toThrow(/acks/);
  });
});

describe('idempotent producer through the network backend against brook serve', () => {
  it('resolves every send while the server answers KAFKA_STORAGE_ERROR to a third of the appends, and stores each record once in order', async () => {
    // A worker crash cannot be triggered from outside a server process; BROOK_FAULTS makes appends
    // to t-0's first segment fail at random (torn), which the server answers KAFKA_STORAGE_ERROR.
    const dataDir = tempDir();
    const spec = { seed: 9101, scope: 'partitions', writeFailRate: 0.3, tornWrites: true, pathIncludes: `t-0${path.sep}00000000000000000000.log` };
    const server = await startGroupServer(dataDir, { BROOK_FAULTS: JSON.stringify(spec) });
    closers.push(() => server.stop());
    const backend = await NetworkBackend.connect(server.broker);
    closers.push(() => backend.close());
    await backend.createTopic('t', { partitions: 1 });
    const produce = backend.produce.bind(backend);
    let storageErrorCount = 0;
    backend.produce = async (t, p, batches, acks) => {
      const result = await produce(t, p, batches, acks);
      if (result.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) storageErrorCount++;
      return result;
    };
    const producer = new Producer(backend, { lingerMs: 0, batchBytes: 1024, retryBackoffMs: 5, retryBackoffMaxMs: 20 });
    const results = await Promise.allSettled(stream(producer, 1000, 0));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(storageErrorCount).toBeGreaterThan(0);
    await backend.close();
    await server.stop();
    const broker = await Broker.open({ dataDir });
    closers.push(() => broker.close());
    expect(values(await readAll(broker, 't', 0))).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i}`));
  });
});
