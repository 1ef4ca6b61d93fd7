/**
 * LogReader.readAt (threadpool reads of 64 KiB and more) while its FdCache closes and reopens the
 * segment files underneath: every read returns the bytes the writer's own read returns, and the
 * process never holds more than the cap plus the reads in flight. A read that waited for a slot
 * while its file was deleted (retention) or replaced (a cleaner swap) with its descriptor closed
 * meanwhile locates its batch again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogReader, READ_ASYNC_MIN_BYTES } from '../../src/storage/log-reader.js';
import { FdCache } from '../../src/storage/fd-cache.js';
import { ReadSlots } from '../../src/storage/read-slots.js';
import { OffsetOutOfRangeError } from '../../src/storage/errors.js';
import { nodeIo, type FileIo } from '../../src/storage/io.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { readBytesFor } from '../../src/storage/segment-read.js';
import { smallConfig, tempDir, valuesIn } from './helpers.js';
import { random as rng } from '../helpers/random.js';

const KiB = 1024;
const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** Batch i: 4 records of ~5 KiB, values "b<i>-<j>:..." (~20 KiB a batch). */
function bigBatch(i: number, key?: string): Buffer {
  const records = Array.from({ length: 4 }, (_, j) => ({ key: key === undefined ? null : Buffer.from(key), value: Buffer.from(`b${i}-${j}:`.padEnd(5 * KiB, String.fromCharCode(97 + ((i + j) % 26)))) }));
  return encodeRecordBatch(records, { baseTimestamp: 1_000 + i });
}

/** nodeIo whose opens record the most descriptors the process held, and whose async reads can be held. */
function watchedIo() {
  const state = { mostFds: 0, gate: null as Promise<void> | null };
  const io: FileIo = {
    ...nodeIo,
    openSync: (path, flags) => {
      const fd = nodeIo.openSync(path, flags);
      state.mostFds = Math.max(state.mostFds, openFds());
      return fd;
    },
    readAsync: async (...args) => {
      if (state.gate !== null) await state.gate;
      return nodeIo.readAsync!(...args);
    },
  };
  return { io, state };
}

describe('LogReader.readAt under descriptor eviction', () => {
  let dir: string;
  let log: PartitionLog;
  beforeAll(() => {
    dir = tempDir();
    log = PartitionLog.open(dir, smallConfig({ segmentBytes: 256 * KiB, indexIntervalBytes: 4 * KiB }));
    for (let i = 0; i < 240; i++) log.append(bigBatch(i));
    expect(log.segmentCount).toBeGreaterThanOrEqual(16);
  });
  afterAll(() => log.close());

  it('returns byte-identical data to 120 concurrent reads while a cache of 4 closes and reopens files, within cap + slots descriptors', async () => {
    const seed = Number(process.env.SEED ?? 11);
    const random = rng(seed);
    const { io, state } = watchedIo();
    const cap = 4;
    const slots = new ReadSlots(3);
    const files = new FdCache(cap);
    const reader = new LogReader(dir, { io, files, readSlots: slots });
    const hw = log.highWatermark;
    const fdsBefore = openFds();
    state.mostFds = fdsBefore;
    const jobs = Array.from({ length: 120 }, () => ({ offset: Math.floor(random() * hw), maxBytes: READ_ASYNC_MIN_BYTES + Math.floor(random() * 192 * KiB) }));
    const reads: Promise<Buffer>[] = [];
    for (const [k, job] of jobs.entries()) {
      reads.push(reader.readAt(reader.locate(job.offset, hw)!, job.maxBytes, hw));
      // Synchronous reads of other segments between the async ones: more evictions while reads wait.
      if (k % 3 === 0) reader.read(Math.floor(random() * hw), 4 * KiB, hw);
      if (k % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(reads);
    results.forEach((got, k) => expect(got.equals(log.read(jobs[k]!.offset, jobs[k]!.maxBytes)), `seed ${seed} read ${k}`).toBe(true));
    // Most reach the threadpool; those near a segment's end are shorter and stay on this thread.
    expect(results.filter((got) => got.length >= READ_ASYNC_MIN_BYTES - 20 * KiB).length).toBeGreaterThan(60);
    expect(files.stats.evictions, 'descriptors were closed and reopened').toBeGreaterThan(50);
    expect(state.mostFds - fdsBefore, `seed ${seed}`).toBeLessThanOrEqual(cap + slots.max);
    reader.close();
    expect(openFds()).toBe(fdsBefore);
  });

  it('a read waiting for a slot whose segment retention deleted meanwhile answers out of range; the one reading already gets its bytes', async () => {
    const victimDir = tempDir();
    const victim = PartitionLog.open(victimDir, smallConfig({ segmentBytes: 256 * KiB, indexIntervalBytes: 4 * KiB }));
    for (let i = 0; i < 60; i++) victim.append(bigBatch(i));
    const [, second, third] = victim.segmentBaseOffsets();
    const hw = victim.highWatermark;
    const expectedFirst = victim.read(0, 128 * KiB);
    const { io, state } = watchedIo();
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const files = new FdCache(2);
    const reader = new LogReader(victimDir, { io, files, readSlots: new ReadSlots(1) });
    const first = reader.readAt(reader.locate(0, hw)!, 128 * KiB, hw); // holds the one slot: pinned
    const waiting = reader.readAt(reader.locate(second! + 1, hw)!, 128 * KiB, hw); // waits, not pinned
    const evictionsBefore = files.stats.evictions;
    reader.read(hw - 8, 4 * KiB, hw); // the last segment's files take the cache: the second's .log is closed
    expect(files.stats.evictions).toBeGreaterThan(evictionsBefore);
    victim.deleteRecordsBefore(third!); // deletes the first two segments
    open();
    expect((await first).equals(expectedFirst)).toBe(true); // from its pinned descriptor
    await expect(waiting).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    reader.close();
    victim.close();
  });

  it('a read waiting for a slot whose segment the cleaner replaced meanwhile reads the cleaned segment, not old positions in the new file', async () => {
    const cleanedDir = tempDir();
    const compacted = PartitionLog.open(cleanedDir, smallConfig({ segmentBytes: 256 * KiB, indexIntervalBytes: 4 * KiB, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0 }));
    for (let i = 0; i < 50; i++) compacted.append(bigBatch(i, `k${i % 3}`));
    const hw = compacted.highWatermark;
    const { io, state } = watchedIo();
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const files = new FdCache(2);
    const reader = new LogReader(cleanedDir, { io, files, readSlots: new ReadSlots(1) });
    const holder = reader.readAt(reader.locate(compacted.segmentBaseOffsets()[3]!, hw)!, 128 * KiB, hw); // holds the one slot
    const offset = 1 * 4 + 1; // batch 1 (key k1) of the first segment: cleaned away, k1 lives on later
    const location = reader.locate(offset, hw)!;
    const before = reader.read(offset, 128 * KiB, hw);
    expect(readBytesFor(location, 128 * KiB)).toBeGreaterThanOrEqual(READ_ASYNC_MIN_BYTES); // waits for the slot
    const waiting = reader.readAt(location, 128 * KiB, hw);
    reader.read(compacted.segmentBaseOffsets()[2]! + 1, 4 * KiB, hw); // closes the first segment's .log
    expect(compacted.clean().groupCount).toBeGreaterThan(0); // swaps a new .log in at the first segment's name
    open();
    await holder;
    const got = await waiting;
    const expected = compacted.read(offset, 128 * KiB);
    expect(expected.equals(before)).toBe(false);
    expect(got.equals(expected)).toBe(true);
    expect(got.length).toBeGreaterThan(0); // the empty batch the cleaner kept at the group end
    reader.close();
    compacted.close();
  });
});
