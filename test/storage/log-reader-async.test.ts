/**
 * LogReader.locate + readAt (src/storage/log-reader.ts) on a real multi-segment log: the same bytes
 * as the synchronous read paths for small (on-thread) and big (threadpool) reads, with fresh
 * buffers or a ReadBufferPool; a read in flight while the reader closes still completes and its
 * descriptors are closed afterwards; locate's empty and out-of-range answers.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogReader, READ_ASYNC_MIN_BYTES } from '../../src/storage/log-reader.js';
import { OffsetOutOfRangeError } from '../../src/storage/errors.js';
import { ReadBufferPool, type ReadBuffers } from '../../src/storage/read-buffers.js';
import { ReadSlots } from '../../src/storage/read-slots.js';
import { readBytesFor } from '../../src/storage/segment-read.js';
import { nodeIo, type FileIo } from '../../src/storage/io.js';
import { checkBatch, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { smallConfig, tempDir, valuesIn } from './helpers.js';

const KiB = 1024;
const BATCHES = 200;
const RECORDS_PER_BATCH = 4;
const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** Batch i: 4 records of ~5 KiB whose values start "b<i>-<j>:" (~20 KiB a batch). */
function bigBatch(i: number): Buffer {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, j) => ({ value: Buffer.from(`b${i}-${j}:`.padEnd(5 * KiB, String.fromCharCode(97 + ((i + j) % 26)))) }));
  return encodeRecordBatch(records, { baseTimestamp: 1_000 + i });
}

/** Every batch in `buf` is whole, CRC-valid, and holds the records written at its offsets. */
function expectWrittenBatches(buf: Buffer): void {
  let end = 0;
  for (const { pos, sizeBytes } of iterateBatches(buf)) {
    expect(checkBatch(buf, pos)).toEqual({ sizeBytes });
    end = pos + sizeBytes;
  }
  expect(end).toBe(buf.length);
  for (const { offset, value } of valuesIn(buf)) {
    expect(value.startsWith(`b${Math.floor(offset / RECORDS_PER_BATCH)}-${offset % RECORDS_PER_BATCH}:`)).toBe(true);
  }
}

/** An io whose async reads are counted and, while `gate` is set, held until it resolves. */
function instrumentedIo() {
  const state = { asyncReads: 0, gate: null as Promise<void> | null, closed: [] as number[] };
  const io: FileIo = {
    ...nodeIo,
    readAsync: async (fd, buf, offset, length, position) => {
      state.asyncReads++;
      if (state.gate !== null) await state.gate;
      return nodeIo.readAsync!(fd, buf, offset, length, position);
    },
    closeSync: (fd) => {
      state.closed.push(fd);
      nodeIo.closeSync(fd);
    },
  };
  return { io, state };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('LogReader.readAt', () => {
  let dir: string;
  let log: PartitionLog;
  let hw: number;
  beforeAll(() => {
    dir = tempDir();
    log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1024 * KiB, indexIntervalBytes: 4 * KiB }));
    for (let i = 0; i < BATCHES; i++) expect(log.append(bigBatch(i)).baseOffset).toBe(i * RECORDS_PER_BATCH);
    hw = log.logEndOffset;
    expect(log.segmentCount).toBeGreaterThanOrEqual(3);
    return () => {
      log.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  });

  const offsets = () => Array.from({ length: Math.ceil(BATCHES * RECORDS_PER_BATCH / 13) }, (_, k) => k * 13).filter((o) => o < hw);
  const sizes = [1, 30 * KiB, 200 * KiB, 1024 * KiB];

  it('returns the same whole batches as the synchronous reads, small reads on-thread and big ones async', async () => {
    const { io, state } = instrumentedIo();
    const reader = new LogReader(dir, { io });
    const paths = { sync: 0, async: 0 };
    for (const maxBytes of sizes) {
      for (const offset of offsets()) {
        for (const limit of [hw, offset + 9]) {
          const location = reader.locate(offset, limit);
          const expected = log.read(offset, maxBytes, limit);
          if (location === null) {
            expect(expected.length).toBe(0);
            continue;
          }
          const before = state.asyncReads;
          const goesAsync = readBytesFor(location, maxBytes) >= READ_ASYNC_MIN_BYTES;
          const got = await reader.readAt(location, maxBytes, limit);
          expect(got.equals(expected)).toBe(true);
          expect(got.equals(reader.read(offset, maxBytes, limit))).toBe(true);
          expect(got.length).toBeGreaterThan(0);
          expectWrittenBatches(got);
          const first = valuesIn(got)[0]!.offset;
          expect(first <= offset && offset < first + RECORDS_PER_BATCH).toBe(true);
          expect(state.asyncReads > before).toBe(goesAsync);
          paths[goesAsync ? 'async' : 'sync']++;
        }
      }
    }
    expect(paths.async).toBeGreaterThan(0);
    expect(paths.sync).toBeGreaterThan(0);
    reader.close();
  });

  it('reads concurrently into a ReadBufferPool, each result intact, and every block comes back', async () => {
    const reader = new LogReader(dir);
    const pool = new ReadBufferPool();
    const jobs = sizes.flatMap((maxBytes) => offsets().map((offset) => ({ offset, maxBytes })));
    for (let round = 0; round < 2; round++) { // round 1 reuses round 0's blocks
      // locate and readAt in one synchronous step each; all reads in flight at once.
      const results = await Promise.all(jobs.map(({ offset, maxBytes }) => reader.readAt(reader.locate(offset, hw)!, maxBytes, hw, pool)));
      expect(pool.lentBytes).toBeGreaterThan(0);
      results.forEach((got, i) => expect(got.equals(log.read(jobs[i]!.offset, jobs[i]!.maxBytes))).toBe(true));
      for (const got of results) pool.release(got);
      expect(pool.lentBytes).toBe(0);
      expect(pool.idleBytes).toBeGreaterThan(0);
    }
    reader.close();
  });

  it('finishes a read whose segment is closed meanwhile, then closes its descriptors', async () => {
    const fdsBefore = openFds();
    const { io, state } = instrumentedIo();
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const reader = new LogReader(dir, { io, readSlots: new ReadSlots(4) }); // a failure here must not hold the process's slots
    const offset = 100 * RECORDS_PER_BATCH;
    const location = reader.locate(offset, hw)!;
    const logFd = location.segment.logFd();
    const reads = [reader.readAt(location, 1024 * KiB, hw), reader.readAt(location, 256 * KiB, hw)];
    reader.close();
    expect(state.closed).not.toContain(logFd); // pinned by the reads in flight
    expect(openFds()).toBeGreaterThan(fdsBefore);
    open();
    const [big, quarter] = await Promise.all(reads);
    expect(big!.equals(log.read(offset, 1024 * KiB))).toBe(true);
    expect(quarter!.equals(log.read(offset, 256 * KiB))).toBe(true);
    expect(big!.length).toBeGreaterThanOrEqual(READ_ASYNC_MIN_BYTES);
    expect(state.closed.filter((fd) => fd === logFd)).toHaveLength(1);
    expect(openFds()).toBe(fdsBefore);
  });

  it('runs at most its ReadSlots of threadpool reads at once, each taking its buffer only when it starts', async () => {
    const fdsBefore = openFds();
    const { io, state } = instrumentedIo();
    let running = 0;
    let mostRunning = 0;
    const readAsync = io.readAsync!;
    io.readAsync = async (...args) => {
      mostRunning = Math.max(mostRunning, ++running);
      try {
        return await readAsync(...args);
      } finally {
        running--;
      }
    };
    let acquired = 0;
    const buffers: ReadBuffers = { acquire: (bytes) => (acquired++, Buffer.allocUnsafe(bytes)), release: () => {} };
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const reader = new LogReader(dir, { io, readSlots: new ReadSlots(2) });
    const starts = Array.from({ length: 8 }, (_, k) => k * 20 * RECORDS_PER_BATCH);
    const reads = starts.map((offset) => reader.readAt(reader.locate(offset, hw)!, 256 * KiB, hw, buffers));
    await new Promise((resolve) => setImmediate(resolve));
    expect([running, acquired]).toEqual([2, 2]); // six wait, without buffers
    reader.close(); // while reads wait for slots: they still finish from their pinned descriptors
    open();
    const results = await Promise.all(reads);
    results.forEach((got, k) => expect(got.equals(log.read(starts[k]!, 256 * KiB))).toBe(true));
    expect([mostRunning, acquired, state.asyncReads]).toEqual([2, 8, 8]);
    expect(state.closed.length).toBeGreaterThan(0); // the close waited for the reads, then happened
    expect(openFds()).toBe(fdsBefore);
  });

  it('looks up each file size once per locate: the .log and the .index, nothing else', () => {
    let fstats = 0;
    const io: FileIo = { ...nodeIo, fstatSizeSync: (fd) => (fstats++, nodeIo.fstatSizeSync(fd)) };
    const reader = new LogReader(dir, { io });
    reader.locate(0, hw); // opens the first segment's files
    const offset = 3 * RECORDS_PER_BATCH + 1; // inside the first segment, past its first batch
    fstats = 0;
    const location = reader.locate(offset, hw)!;
    expect(location.first.baseOffset).toBe(3 * RECORDS_PER_BATCH);
    expect(fstats).toBe(2);
    reader.close();
  });

  it('locates nothing at the high watermark or past a batch it would cut; throws out of range above it', () => {
    const reader = new LogReader(dir);
    expect(reader.locate(hw, hw)).toBeNull();
    expect(reader.locate(8, 10)).toBeNull(); // batch [8, 11] ends at or above 10
    expect(reader.locate(8, 12)?.first.baseOffset).toBe(8);
    expect(() => reader.locate(hw + 1, hw)).toThrow(OffsetOutOfRangeError);
    reader.close();
  });
});

describe('LogReader.locate below the log start', () => {
  it('throws OffsetOutOfRangeError once retention deleted the first segments', () => {
    const dir = tempDir();
    dirs.push(dir);
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 2 * KiB, retentionBytes: 4 * KiB }));
    for (let i = 0; i < 30; i++) log.append(encodeRecordBatch([{ value: Buffer.alloc(200, i) }], { baseTimestamp: 1_000 }));
    log.tick();
    const start = log.logStartOffset;
    expect(start).toBeGreaterThan(0);
    const reader = new LogReader(dir);
    expect(() => reader.locate(0, log.logEndOffset)).toThrow(OffsetOutOfRangeError);
    expect(() => reader.locate(start - 1, log.logEndOffset)).toThrow(OffsetOutOfRangeError);
    expect(reader.locate(start, log.logEndOffset)?.first.baseOffset).toBe(start);
    reader.close();
    log.close();
  });
});
