/**
 * Broker.fetch's reads (src/engine/fetch.ts) on a real broker: multi-partition fetches return whole,
 * CRC-valid batches in offset order holding what was produced, within maxBytes (KIP-74: only the
 * first non-empty partition may exceed it, by one batch); concurrent fetches stay within a
 * FetchBudget (+ one batch each) and account every byte; concurrent fetches into a ReadBufferPool
 * never share a block and give every block back; a long-poll's discarded reads return their
 * buffers and bytes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Broker } from '../../src/engine/broker.js';
import type { FetchRequest, FetchResult } from '../../src/engine/broker-types.js';
import { FetchBudget } from '../../src/server/fetch-budget.js';
import { ReadBufferPool, type ReadBuffers } from '../../src/storage/read-buffers.js';
import { checkBatch, decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { tempDataDir } from './helpers.js';

const KiB = 1024;
const TOPIC = 'reads';
const PARTITIONS = 3;
const BATCHES = 40;

let dataDir: string;
let broker: Broker;
/** produced[p][offset] = the value written there. */
let produced: string[][];
let largestBatch: number;

function batchFor(p: number, i: number): { batch: Buffer; values: string[] } {
  const recordBytes = (4 + (i % 5) * 2) * KiB; // batches of ~12 to ~36 KiB
  const values = [0, 1, 2].map((r) => `p${p}-b${i}-r${r}:`.padEnd(recordBytes, String.fromCharCode(97 + ((p + i + r) % 26))));
  return { batch: encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })), { baseTimestamp: 1_000 + i }), values };
}

async function produce(p: number, i: number): Promise<void> {
  const { batch, values } = batchFor(p, i);
  const result = await broker.produce(TOPIC, p, batch);
  expect(result.errorCode).toBe(ErrorCode.NONE);
  expect(result.baseOffset).toBe(produced[p]!.length);
  produced[p]!.push(...values);
  largestBatch = Math.max(largestBatch, batch.length);
}

beforeEach(async () => {
  dataDir = tempDataDir();
  broker = await Broker.open({ dataDir, groups: false });
  await broker.createTopic(TOPIC, { partitions: PARTITIONS });
  produced = Array.from({ length: PARTITIONS }, () => []);
  largestBatch = 0;
  await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
    for (let i = 0; i < BATCHES; i++) await produce(p, i);
  }));
});
afterEach(async () => {
  await broker.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const request = (partition: number, fetchOffset: number, partitionMaxBytes: number): FetchRequest => ({ topic: TOPIC, partition, fetchOffset, partitionMaxBytes });
const now = { maxWaitMs: 0, minBytes: 1 };

/**
 * Checks a result's records: whole CRC-valid batches, consecutive offsets, the first holding
 * `fetchOffset`, every value as produced. Returns the batch sizes.
 */
function expectProduced(result: FetchResult, fetchOffset: number): number[] {
  expect(result.errorCode).toBe(ErrorCode.NONE);
  const records = result.records!;
  const sizes: number[] = [];
  let next = -1;
  for (const { pos, sizeBytes, header } of iterateBatches(records)) {
    expect(checkBatch(records, pos)).toEqual({ sizeBytes });
    if (next === -1) expect(header.baseOffset <= fetchOffset && fetchOffset <= header.baseOffset + header.lastOffsetDelta).toBe(true);
    else expect(header.baseOffset).toBe(next);
    for (const record of decodeRecords(records.subarray(pos, pos + sizeBytes))) {
      expect(record.value!.toString()).toBe(produced[result.partition]![record.offset]);
    }
    next = header.baseOffset + header.lastOffsetDelta + 1;
    sizes.push(sizeBytes);
  }
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(records.length);
  return sizes;
}

/** The offset after the last record of a result. */
function nextOffset(result: FetchResult, fetchOffset: number): number {
  let next = fetchOffset;
  for (const { header } of iterateBatches(result.records!)) next = header.baseOffset + header.lastOffsetDelta + 1;
  return next;
}

describe('Broker.fetch reads', () => {
  it('returns whole, valid batches of every partition in order, within the limits', async () => {
    const offsets = [0, 0, 0];
    const seen: string[][] = [[], [], []];
    for (let round = 0; offsets.some((o, p) => o < produced[p]!.length); round++) {
      expect(round).toBeLessThan(200);
      const results = await broker.fetch(offsets.map((o, p) => request(p, o, 200 * KiB)), { ...now, maxBytes: 500 * KiB });
      expect(results.map((r) => r.partition)).toEqual([0, 1, 2]);
      const total = results.reduce((sum, r) => sum + r.records!.length, 0);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(500 * KiB);
      results.forEach((result, p) => {
        expectProduced(result, offsets[p]!);
        expect(result.records!.length).toBeLessThanOrEqual(200 * KiB);
        for (const { pos, sizeBytes } of iterateBatches(result.records!)) {
          for (const record of decodeRecords(result.records!.subarray(pos, pos + sizeBytes))) if (record.offset >= offsets[p]!) seen[p]!.push(record.value!.toString());
        }
        offsets[p] = nextOffset(result, offsets[p]!);
      });
      // The first partition with data gets as many whole batches as its 200 KiB allow.
      const first = results.find((r) => r.records!.length > 0)!;
      if (offsets[first.partition]! < produced[first.partition]!.length) {
        const following = batchFor(first.partition, Math.floor(offsets[first.partition]! / 3)).batch.length;
        expect(first.records!.length + following).toBeGreaterThan(200 * KiB);
      }
    }
    expect(seen).toEqual(produced);
  });

  it('KIP-74: below one batch, the first non-empty partition gets one whole batch and later ones nothing', async () => {
    const end = produced[0]!.length;
    const results = await broker.fetch([request(0, end, 1000), request(1, 4, 1000), request(2, 0, 1000)], { ...now, maxBytes: 1000 });
    expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0]);
    expect(results[0]!.records!.length).toBe(0); // at the high watermark: empty, not "first"
    expect(expectProduced(results[1]!, 4)).toEqual([batchFor(1, 1).batch.length]); // offsets 3-5
    expect(results[2]!.records!.length).toBe(0);
    // A partition limit below one batch does the same with a roomy maxBytes.
    const [one, two] = await broker.fetch([request(2, 0, 10), request(1, 0, 10)], { ...now, maxBytes: 1 << 20 });
    expect(expectProduced(one!, 0)).toEqual([batchFor(2, 0).batch.length]);
    expect(two!.records!.length).toBe(0);
  });

  it('keeps concurrent fetches within a FetchBudget plus one batch each, and accounts every byte', async () => {
    const budget = new FetchBudget(1 << 20);
    const fetches = 20;
    const all = await Promise.all(Array.from({ length: fetches }, (_, k) => {
      const from = (k * 7) % 60;
      return broker.fetch([0, 1, 2].map((p) => request(p, from, 512 * KiB)), { ...now, maxBytes: 512 * KiB, budget });
    }));
    let held = 0;
    all.forEach((results, k) => {
      const total = results.reduce((sum, r) => sum + r.records!.length, 0);
      expect(total).toBeGreaterThan(0); // over budget, still one batch (KIP-74)
      for (const result of results) expectProduced(result, (k * 7) % 60);
      held += total;
    });
    expect(budget.inUseBytes).toBe(held);
    expect(budget.peakBytes).toBeLessThanOrEqual(budget.bytesMax + fetches * largestBatch);
    expect(held).toBeLessThanOrEqual(budget.bytesMax + fetches * largestBatch); // all held at once
    for (const results of all) for (const result of results) budget.release(result.records!.length);
    expect(budget.inUseBytes).toBe(0);
  });

  it('reads concurrent fetches into distinct pool blocks, and gets every block back', async () => {
    const pool = new ReadBufferPool();
    const fetches = 20;
    // Round 2 starts with round 1's blocks idle, so its concurrent reads are served by reuse.
    for (const shift of [0, 5]) {
      const idleBefore = pool.idleBytes;
      const froms = Array.from({ length: fetches }, (_, k) => (k * 11 + shift) % 90);
      const all = await Promise.all(froms.map((from, k) => broker.fetch([request(k % 3, from, 256 * KiB), request((k + 1) % 3, from, 256 * KiB)], { ...now, maxBytes: 384 * KiB, buffers: pool })));
      expect(pool.lentBytes).toBeGreaterThan(0);
      if (shift > 0) expect(pool.idleBytes).toBeLessThan(idleBefore); // idle blocks were taken
      // Nothing released yet: had two reads shared a block, one of them would now hold the other's bytes.
      all.forEach((results, k) => {
        for (const result of results) expectProduced(result, froms[k]!);
      });
      const nonEmpty = all.flat().filter((r) => r.records!.length > 0);
      expect(nonEmpty.length).toBeGreaterThanOrEqual(fetches);
      expect(new Set(nonEmpty.map((r) => r.records!.buffer)).size).toBe(nonEmpty.length);
      for (const result of all.flat()) pool.release(result.records);
      expect(pool.lentBytes).toBe(0);
    }
  });

  it('a long-poll gives back the buffers and bytes of the reads it discards', async () => {
    const pool = new ReadBufferPool();
    const counted = { acquires: 0 };
    const buffers: ReadBuffers = { acquire: (bytes) => (counted.acquires++, pool.acquire(bytes)), release: (b) => pool.release(b) };
    const budget = new FetchBudget(64 << 20);
    const from = produced[1]!.length - 12; // the last few batches of partitions 0 and 1: well under minBytes
    const fetching = broker.fetch([request(0, from, 1 << 20), request(1, from, 1 << 20)], { maxWaitMs: 2000, minBytes: 8 << 20, maxBytes: 16 << 20, budget, buffers });
    // Nothing is produced meanwhile: the first read is short, the wait times out, and the read after
    // it is the answer, so exactly one read of each partition is discarded (fetch-wakeup.test.ts
    // covers the wake-up by an append). The wait is long enough that the first read, on the
    // threadpool, ends before it even on a loaded machine (a read ending after it is the answer).
    const results = await fetching;
    expectProduced(results[0]!, from);
    expectProduced(results[1]!, from);
    const bytes = results[0]!.records!.length + results[1]!.records!.length;
    expect(counted.acquires).toBe(4); // two reads of each partition, the first pair dropped
    expect(pool.lentBytes).toBeGreaterThan(0); // the final result's blocks, nothing more (see below)
    expect(budget.inUseBytes).toBe(bytes);
    pool.release(results[0]!.records);
    pool.release(results[1]!.records);
    expect(pool.lentBytes).toBe(0);
    budget.release(bytes);
    expect(budget.inUseBytes).toBe(0);
  });
});
