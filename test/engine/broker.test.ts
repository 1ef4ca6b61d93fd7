import fs from 'node:fs';
import path from 'node:path';
import { METADATA_DIR_NAME } from '../../src/storage/metadata-log.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { DataDirLockedError, KafkaCodeError } from '../../src/common/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Compression } from '../../src/protocol/compression.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { batchOf, legacyMessageV1, readAll, settle, tempDataDir, values } from './helpers.js';

const open: Broker[] = [];
async function openBroker(dataDir: string, options: Partial<Parameters<typeof Broker.open>[0]> = {}): Promise<Broker> {
  const broker = await Broker.open({ dataDir, ...options });
  open.push(broker);
  return broker;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return ErrorCode.NONE;
  } catch (err) {
    if (err instanceof KafkaCodeError) return err.errorCode;
    throw err;
  }
}

describe('Broker produce and durability', () => {
  it('keeps per-partition order across many partitions and concurrent producers, and every acknowledged record exactly once after reopen', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir);
    const partitionCount = 6, producerCount = 4, batchCount = 40;
    await broker.createTopic('orders', { partitions: partitionCount });
    const acked = new Map<string, number>(); // value -> offset of its batch
    await Promise.all(
      Array.from({ length: partitionCount * producerCount }, async (_, i) => {
        const partition = i % partitionCount, producer = Math.floor(i / partitionCount);
        for (let seq = 0; seq < batchCount; seq++) {
          const vals = [0, 1, 2].map((r) => `p${partition}-w${producer}-s${seq}-r${r}`);
          const result = await broker.produce('orders', partition, batchOf(vals));
          expect(result.errorCode).toBe(ErrorCode.NONE);
          vals.forEach((v, r) => acked.set(v, result.baseOffset + r));
        }
      }),
    );
    await broker.close();

    const reopened = await openBroker(dataDir);
    const seen = new Set<string>();
    for (let partition = 0; partition < partitionCount; partition++) {
      const records = await readAll(reopened, 'orders', partition);
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i)); // dense offsets from 0
      const lastSeq = new Map<string, number>();
      for (const record of records) {
        const value = record.value!.toString();
        expect(seen.has(value)).toBe(false);
        seen.add(value);
        expect(acked.get(value)).toBe(record.offset);
        const [p, w, s] = value.split('-');
        expect(p).toBe(`p${partition}`);
        const seq = Number(s!.slice(1));
        expect(seq).toBeGreaterThanOrEqual(lastSeq.get(w!) ?? 0); // each producer's batches in order
        lastSeq.set(w!, seq);
      }
    }
    expect(seen.size).toBe(acked.size);
  });

  it('answers produce errors as codes and changes nothing', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('small', { partitions: 1, configs: { 'max.message.bytes': '1000' } });
    const big = batchOf(['x'.repeat(2000)]);
    expect((await broker.produce('small', 0, big)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const corrupt = batchOf(['hello']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect((await broker.produce('small', 0, corrupt)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await broker.produce('small', 0, batchOf(['ok']).subarray(0, 40))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const oldMagic = batchOf(['magic 1']);
    oldMagic[16] = 1;
    expect((await broker.produce('small', 0, oldMagic)).errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    const legacy = legacyMessageV1(Buffer.from('old'), Date.now()); // shorter than a v2 header
    expect(legacy.length).toBeLessThan(61);
    expect((await broker.produce('small', 0, legacy)).errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    expect((await broker.produce('small', 1, batchOf(['a']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await broker.produce('nope', 0, batchOf(['a']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(broker.partitionState('small', 0)!.logEndOffset).toBe(0);
  });
});

describe('Broker produce to compacted topics', () => {
  it('refuses a batch holding a keyless record with INVALID_RECORD and writes nothing, as Kafka does', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('state', { partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    for (const compression of [Compression.none, Compression.zstd]) {
      const mixed = encodeRecordBatch([{ key: Buffer.from('k1'), value: Buffer.from('v1') }, { value: Buffer.from('no key') }], { compression });
      const refused = await broker.produce('state', 0, mixed);
      expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD);
    }
    // A corrupted keyless batch is refused for its CRC first, as Kafka does, whatever its bytes decode to.
    const corrupt = encodeRecordBatch([{ value: Buffer.from('no key either') }]);
    corrupt[corrupt.length - 3]! ^= 0x5a;
    const corruptAnswer = await broker.produce('state', 0, corrupt);
    expect(corruptAnswer.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(corruptAnswer.errorMessage).toMatch(/CRC/);
    expect(broker.partitionState('state', 0)!.logEndOffset).toBe(0);
    const keyed = await broker.produce('state', 0, encodeRecordBatch([{ key: Buffer.from('k1'), value: Buffer.from('v1') }]));
    expect(keyed.errorCode).toBe(ErrorCode.NONE);
    // A delete-policy topic takes keyless records as before.
    await broker.createTopic('plain', { partitions: 1 });
    expect((await broker.produce('plain', 0, batchOf(['no key']))).errorCode).toBe(ErrorCode.NONE);
  });
});

describe('Broker admin', () => {
  it('creates the valid topics of one createTopics call and answers each refused one with its code', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir);
    await broker.createTopic('taken', { partitions: 1 });
    const outcomes = await broker.createTopics([
      { name: 'fresh', partitions: 3 },
      { name: 'taken', partitions: 1 },
      { name: 'bad/name', partitions: 1 },
      { name: 'too-wide', partitions: 100_000 },
      { name: 'fresh', partitions: 1 },
      { name: 'configured', partitions: 2, configs: { 'retention.ms': '1000' } },
    ]);
    expect(outcomes.map((e) => (e === null ? null : (e as unknown as { errorCode: number }).errorCode))).toEqual([
      null, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_PARTITIONS, ErrorCode.TOPIC_ALREADY_EXISTS, null,
    ]);
    expect(broker.topics().map((t) => [t.name, t.partitionCount])).toEqual([['configured', 2], ['fresh', 3], ['taken', 1]]);
    expect((await broker.produce('fresh', 2, batchOf(['x']))).errorCode).toBe(ErrorCode.NONE);
    await broker.close();
    const reopened = await openBroker(dataDir);
    expect(reopened.topic('configured')?.configs).toEqual({ 'retention.ms': '1000' });
    expect(reopened.topic('fresh')?.partitionCount).toBe(3);
  });

  it('commits concurrent createTopics calls together: fewer metadata records than calls, each call answered for its own topics', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir);
    const calls = Array.from({ length: 50 }, (_, i) => broker.createTopics([{ name: `g${i}`, partitions: 2 }, { name: 'contested', partitions: 1 }]));
    const outcomes = await Promise.all(calls);
    const codes = outcomes.map((errors) => errors.map((e) => (e === null ? 0 : (e as unknown as { errorCode: number }).errorCode)));
    expect(codes.every(([own]) => own === 0)).toBe(true);
    // Exactly one call wins the contested name, whichever commit it landed in.
    expect(codes.filter(([, contested]) => contested === 0)).toHaveLength(1);
    expect(codes.filter(([, contested]) => contested === ErrorCode.TOPIC_ALREADY_EXISTS)).toHaveLength(49);
    expect(broker.topics()).toHaveLength(51);
    for (const i of [0, 25, 49]) expect((await broker.produce(`g${i}`, 1, batchOf(['x']))).errorCode).toBe(ErrorCode.NONE);
    await broker.close();
    const metadata = PartitionLog.open(path.join(dataDir, METADATA_DIR_NAME), DEFAULT_LOG_CONFIG);
    const records = metadata.logEndOffset;
    metadata.close();
    expect(records).toBeLessThan(50);
    const reopened = await openBroker(dataDir);
    expect(reopened.topics()).toHaveLength(51);
  });

  it('deletes the existing topics of one deleteTopics call together and answers each refused one with its code', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir);
    await broker.createTopics([{ name: 'a', partitions: 20 }, { name: 'b', partitions: 20 }, { name: 'kept', partitions: 1 }]);
    expect((await broker.produce('a', 7, batchOf(['x']))).errorCode).toBe(ErrorCode.NONE);
    const outcomes = await broker.deleteTopics(['a', 'missing', '__consumer_offsets', 'b']);
    expect(outcomes.map((e) => (e === null ? null : (e as unknown as { errorCode: number }).errorCode))).toEqual([
      null, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null,
    ]);
    expect(broker.topics().map((t) => t.name)).toEqual(['kept']);
    expect(fs.readdirSync(dataDir).filter((name) => /^[ab]-\d+$/.test(name))).toEqual([]);
    await broker.close();
    const reopened = await openBroker(dataDir);
    expect(reopened.topics().map((t) => t.name)).toEqual(['kept']);
    // The names are free again, and the new topics start empty.
    await reopened.createTopic('a', { partitions: 20 });
    expect(reopened.partitionState('a', 7)!.logEndOffset).toBe(0);
  });

  it('throws admin errors as Kafka codes', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 2 });
    expect(await codeOf(broker.createTopic('t', { partitions: 1 }))).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect(await codeOf(broker.createTopic('bad/name', { partitions: 1 }))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(await codeOf(broker.createTopic('u', { partitions: 0 }))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(await codeOf(broker.createTopic('u', { partitions: 1, configs: { 'retention.ms': 'soon' } }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(await codeOf(broker.createTopic('u', { partitions: 1, configs: { 'no.such.config': '1' } }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(await codeOf(broker.deleteTopic('u'))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await codeOf(broker.createPartitions('t', 2))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(await codeOf(broker.alterTopicConfigs('t', { 'retention.ms': '-7' }, 'incremental'))).toBe(ErrorCode.INVALID_CONFIG);
    expect(broker.topics().map((t) => t.name)).toEqual(['t']);
  });

  it('creates partitions, alters configs and deletes topics, and remembers it across reopen', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir, { topicDefaults: { 'retention.ms': '5000' } });
    await broker.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '100000' } });
    await broker.createPartitions('t', 3);
    expect((await broker.produce('t', 2, batchOf(['new partition']))).errorCode).toBe(ErrorCode.NONE);
    await broker.alterTopicConfigs('t', { 'cleanup.policy': 'compact' }, 'incremental');
    expect(broker.topicConfig('t')).toMatchObject({ 'retention.ms': '5000', 'segment.bytes': '100000', 'cleanup.policy': 'compact' });
    await broker.alterTopicConfigs('t', { 'retention.ms': '1000' }, 'replace');
    expect(broker.topic('t')!.configs).toEqual({ 'retention.ms': '1000' });
    await broker.createTopic('gone', { partitions: 1 });
    await broker.produce('gone', 0, batchOf(['old']));
    await broker.deleteTopic('gone');
    expect(broker.topic('gone')).toBeUndefined();
    await broker.createTopic('gone', { partitions: 1 });
    expect(broker.partitionState('gone', 0)!.logEndOffset).toBe(0); // nothing of the old topic survives
    await broker.close();

    const reopened = await openBroker(dataDir, { topicDefaults: { 'retention.ms': '5000' } });
    expect(reopened.topic('t')).toMatchObject({ partitionCount: 3, configs: { 'retention.ms': '1000' }, internal: false });
    expect(reopened.topicConfig('t')['segment.bytes']).toBe(String(1024 ** 3)); // replaced away
    expect(values(await readAll(reopened, 't', 2))).toEqual(['new partition']);
    expect(reopened.clusterId).toBe(broker.clusterId);
  });

  it('refuses a second Broker on the same data dir with DataDirLockedError, and close is idempotent', async () => {
    const dataDir = tempDataDir();
    const broker = await openBroker(dataDir);
    await expect(Broker.open({ dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
    await Promise.all([broker.close(), broker.close()]);
    await broker.close();
    const again = await openBroker(dataDir);
    expect(again.topics()).toEqual([]);
  });
});

describe('Broker fetch, listOffset, deleteRecords', () => {
  it('wakes a long-polling fetch when a produce lands', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 2 });
    let settled = false;
    const fetch = broker
      .fetch([{ topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }, { topic: 't', partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20 }], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20 })
      .finally(() => (settled = true));
    await settle();
    await settle();
    expect(settled).toBe(false);
    await broker.produce('t', 1, batchOf(['wake up']));
    await settle();
    expect(settled).toBe(true);
    const [p0, p1] = await fetch;
    expect([p0!.records!.length, p1!.highWatermark, p1!.records!.length > 0]).toEqual([0, 1, true]);
  });

  it('answers a long-poll in progress when the broker closes, and a fetch after close at once with a retriable code', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 1 });
    const request = { topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 };
    // maxWaitMs 60 s against the test's 20 s timeout: waiting it out fails the test.
    const waiting = broker.fetch([request], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20 });
    await settle();
    await broker.close();
    expect((await waiting)[0]!.errorCode).toBe(ErrorCode.NONE);
    const [after] = await broker.fetch([request], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20 });
    expect([after!.errorCode, after!.records]).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, null]);
  }, 20_000);

  it('answers a ListOffsets by timestamp after close with a retriable code, reopening no file', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 1 });
    await broker.produce('t', 0, batchOf(['a', 'b']));
    expect((await broker.listOffset('t', 0, 0)).offset).toBe(0); // opens the reader
    await broker.close();
    const fdsAfterClose = fs.readdirSync('/proc/self/fd').length;
    expect((await broker.listOffset('t', 0, 0)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsAfterClose);
  });

  it('honours maxBytes and partitionMaxBytes but returns one whole batch for the first non-empty partition', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 2 });
    for (const partition of [0, 1]) for (let i = 0; i < 3; i++) await broker.produce('t', partition, batchOf(['v'.repeat(1000)]));
    const batchBytes = batchOf(['v'.repeat(1000)]).length;
    const both = [0, 1].map((partition) => ({ topic: 't', partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 }));
    const total = await broker.fetch(both, { maxWaitMs: 0, minBytes: 1, maxBytes: batchBytes + 500 });
    expect(total.map((r) => r.records!.length)).toEqual([batchBytes, 0]);
    const tiny = await broker.fetch(both.map((r) => ({ ...r, partitionMaxBytes: 10 })), { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 });
    expect(tiny.map((r) => r.records!.length)).toEqual([batchBytes, 0]);
    const all = await broker.fetch(both, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 });
    expect(all.map((r) => r.records!.length)).toEqual([3 * batchBytes, 3 * batchBytes]);
    // minBytes not reached: waits out maxWaitMs, then answers with what there is.
    const waited = await broker.fetch(both, { maxWaitMs: 50, minBytes: 100 * batchBytes, maxBytes: 1 << 20 });
    expect(waited.map((r) => r.records!.length)).toEqual([3 * batchBytes, 3 * batchBytes]);
    const errors = await broker.fetch([{ topic: 't', partition: 0, fetchOffset: 4, partitionMaxBytes: 100 }, { topic: 'x', partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 100 });
    expect(errors.map((r) => r.errorCode)).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  });

  it('lists offsets by timestamp, earliest and latest', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 1 });
    await broker.produce('t', 0, batchOf(['a', 'b'], { timestamp: 1000 }));
    await broker.produce('t', 0, batchOf(['c'], { timestamp: 2000 }));
    await broker.produce('t', 0, batchOf(['d'], { timestamp: 3000 }));
    expect(await broker.listOffset('t', 0, 1500)).toEqual({ errorCode: 0, offset: 2, timestamp: 2000 });
    expect(await broker.listOffset('t', 0, 0)).toEqual({ errorCode: 0, offset: 0, timestamp: 1000 });
    expect(await broker.listOffset('t', 0, 9999)).toEqual({ errorCode: 0, offset: -1, timestamp: -1 });
    expect(await broker.listOffset('t', 0, -1)).toMatchObject({ errorCode: 0, offset: 4 });
    expect(await broker.listOffset('t', 0, -2)).toMatchObject({ errorCode: 0, offset: 0 });
    expect((await broker.listOffset('t', 3, -1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('deletes records below an offset, moving the log start offset', async () => {
    const broker = await openBroker(tempDataDir());
    await broker.createTopic('t', { partitions: 1 });
    for (const v of ['a', 'b', 'c', 'd']) await broker.produce('t', 0, batchOf([v]));
    expect(await broker.deleteRecords('t', 0, 2)).toEqual({ errorCode: 0, lowWatermark: 2 });
    expect(await broker.listOffset('t', 0, -2)).toMatchObject({ offset: 2 });
    const [before] = await broker.fetch([{ topic: 't', partition: 0, fetchOffset: 1, partitionMaxBytes: 1000 }], { maxWaitMs: 0, minBytes: 1, maxBytes: 1000 });
    expect(before!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(values(await readAll(broker, 't', 0))).toEqual(['c', 'd']);
    expect((await broker.deleteRecords('t', 0, 9)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await broker.deleteRecords('t', 0, -1)).toEqual({ errorCode: 0, lowWatermark: 4 });
    expect((await broker.deleteRecords('nope', 0, 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await broker.produce('t', 0, batchOf(['e']))).baseOffset).toBe(4);
  });
});
