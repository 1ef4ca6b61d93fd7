/**
 * FdCache and LazyFile (src/storage/fd-cache.ts) on real files: least recently used descriptors
 * closed past the cap and reopened on use, pinned ones never closed, a swapped file noticed by its
 * identity; the open-files budget (open-files.ts); and whole logs, writers and readers, with many
 * more files than the cap: appends, rolls, reads, retention and cleaner swaps stay correct while
 * descriptors are closed and reopened underneath them, and FaultyIo still loses exactly the
 * unsynced bytes of a file whose descriptor was closed and reopened.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { FdCache } from '../../src/storage/fd-cache.js';
import { FILES_PER_THREAD_MIN, filesPerThread, openFilesLimit, OPEN_FILES_LIMIT_FALLBACK } from '../../src/storage/open-files.js';
import { FaultyIo, nodeIo } from '../../src/storage/io.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { LAST_OFFSET_DELTA_OFFSET, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import { batchOf, readAll, smallConfig, tempDir, valuesIn } from './helpers.js';

const openFds = () => fs.readdirSync('/proc/self/fd').length;

function files(dir: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = `${dir}/f${i}`;
    fs.writeFileSync(path, `file ${i}`);
    return path;
  });
}

function readText(fd: number): string {
  const buf = Buffer.alloc(64);
  return buf.subarray(0, fs.readSync(fd, buf, 0, 64, 0)).toString();
}

describe('FdCache', () => {
  it('opens a file on first use, closes the least recently used past its cap, and reopens it on the next use', () => {
    const dir = tempDir();
    const cache = new FdCache(2);
    const [a, b, c] = files(dir, 3).map((p) => cache.file(nodeIo, p, 'r'));
    const before = openFds();
    expect([a!.isOpen, cache.openCount, openFds()]).toEqual([false, 0, before]);
    expect(readText(a!.fd())).toBe('file 0');
    expect(readText(b!.fd())).toBe('file 1');
    a!.fd(); // a is now the most recently used: c evicts b
    expect(readText(c!.fd())).toBe('file 2');
    expect([a!.isOpen, b!.isOpen, c!.isOpen]).toEqual([true, false, true]);
    expect(openFds()).toBe(before + 2);
    expect(readText(b!.fd())).toBe('file 1'); // reopened, evicting a
    expect([a!.isOpen, cache.openCount, cache.stats.evictions, cache.stats.opens]).toEqual([false, 2, 2, 4]);
    for (const f of [a!, b!, c!]) f.close();
    expect([cache.openCount, openFds()]).toEqual([0, before]);
  });

  it('never closes a pinned descriptor: with every open file pinned it goes over its cap, then back', () => {
    const dir = tempDir();
    const cache = new FdCache(1);
    const [a, b, c] = files(dir, 3).map((p) => cache.file(nodeIo, p, 'r'));
    const fdA = a!.pin();
    const fdB = b!.pin();
    expect(cache.openCount).toBe(2);
    expect(readText(fdA)).toBe('file 0');
    expect(readText(fdB)).toBe('file 1');
    a!.close(); // its owner is done, but a read is in flight: closes at the unpin
    expect(a!.isOpen).toBe(true);
    a!.unpin();
    expect(a!.isOpen).toBe(false);
    b!.unpin();
    c!.fd(); // b unpinned: evicted now
    expect([b!.isOpen, c!.isOpen, cache.openCount]).toEqual([false, true, 1]);
    c!.close();
  });

  it('throws ESTALE when a file reopened after eviction is not the one first opened', () => {
    const dir = tempDir();
    const cache = new FdCache(1);
    const [a, b] = files(dir, 2);
    const tracked = cache.file(nodeIo, a!, 'r', { trackIdentity: true });
    const other = cache.file(nodeIo, b!, 'r');
    tracked.fd();
    const id = tracked.openedId;
    other.fd(); // evicts tracked
    fs.writeFileSync(`${a}.new`, 'replacement');
    fs.renameSync(`${a}.new`, a!); // as the cleaner swaps a segment
    expect(() => tracked.fd()).toThrow(expect.objectContaining({ code: 'ESTALE' }));
    expect([tracked.isOpen, tracked.openedId]).toEqual([false, id]);
    expect(cache.openCount).toBe(0); // other was evicted for the reopen attempt, which then failed
    other.close();
  });
});

describe('open-files budget', () => {
  it('reads the soft limit from /proc/self/limits, with a fallback', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                40000                files\n';
    expect(openFilesLimit(text)).toBe(20_000);
    expect(openFilesLimit('Max open files unlimited unlimited files')).toBe(2 ** 20);
    expect(openFilesLimit('nothing here')).toBe(OPEN_FILES_LIMIT_FALLBACK);
    const live = fs.readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+)/m)![1];
    expect(openFilesLimit()).toBe(Number(live));
  });

  it('splits the limit minus a reserve between threads, never below the minimum', () => {
    expect(filesPerThread(3, { limit: 20_000 })).toBe(5_000); // reserve 5,000
    expect(filesPerThread(1, { limit: 1024 })).toBe(768); // reserve 256
    expect(filesPerThread(4, { limit: 1000, reserve: 200 })).toBe(200);
    expect(filesPerThread(64, { limit: 300 })).toBe(FILES_PER_THREAD_MIN);
  });
});

/** Every record from offset 0 to `end`, stepping over batches the cleaner left empty. */
function readRecords(read: (offset: number, maxBytes: number) => Buffer, end: number): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  for (let offset = 0; offset < end; ) {
    const buf = read(offset, 64 * 1024);
    let last = -1;
    for (const { pos } of iterateBatches(buf)) last = Number(buf.readBigInt64BE(pos)) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    if (last < offset) throw new Error(`no progress at offset ${offset}`);
    out.push(...valuesIn(buf).filter((v) => v.offset >= offset));
    offset = last + 1;
  }
  return out;
}

describe('logs with more files than the cap', () => {
  const config = smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });

  it('appends, rolls, reads and applies retention across 12 partitions sharing a cache of 5 descriptors', () => {
    const cache = new FdCache(5);
    const readerCache = new FdCache(3);
    const dirs = Array.from({ length: 12 }, () => tempDir());
    const logs = dirs.map((dir) => PartitionLog.open(dir, { ...config, retentionMs: -1, retentionBytes: 1500 }, { files: cache }));
    const readers = dirs.map((dir) => new LogReader(dir, { files: readerCache }));
    const fdsBefore = openFds();
    for (let round = 0; round < 30; round++) {
      logs.forEach((log, p) => {
        expect(log.append(batchOf(`p${p}-r${round}`, 2, 1000 + round)).baseOffset).toBe(round * 2);
        if (round % 7 === 3) log.flush();
      });
      expect(cache.openCount).toBeLessThanOrEqual(5);
      expect(openFds()).toBeLessThanOrEqual(fdsBefore + 5 + 3);
    }
    for (const log of logs) log.tick(); // retention.bytes deletes the oldest segments
    logs.forEach((log, p) => {
      expect(log.segmentCount).toBeGreaterThan(1);
      expect(log.logStartOffset).toBeGreaterThan(0);
      const expected = Array.from({ length: 60 - log.logStartOffset }, (_, k) => `p${p}-r${Math.floor((log.logStartOffset + k) / 2)}-${(log.logStartOffset + k) % 2}`);
      expect(readAll((o, m) => log.read(o, m), log.logStartOffset, 60).map((v) => v.value)).toEqual(expected);
      expect(readAll((o, m) => readers[p]!.read(o, m, 60), log.logStartOffset, 60).map((v) => v.value)).toEqual(expected);
      expect(readers[p]!.offsetForTimestamp(1000 + 25, 60)?.offset).toBe(49); // round 24's second record: 1000 + 24 + 1
    });
    expect(cache.stats.evictions).toBeGreaterThan(100);
    expect(readerCache.stats.evictions).toBeGreaterThan(10);
    logs.forEach((log) => log.close());
    readers.forEach((r) => r.close());
    const reopened = dirs.map((dir) => PartitionLog.open(dir, config, { files: cache }));
    reopened.forEach((log) => expect([log.logEndOffset, log.recovery.cleanShutdown]).toEqual([60, true]));
    reopened.forEach((log) => log.close());
    expect(cache.openCount).toBe(0);
  });

  it('compacts with cleaner swaps while a reader and other logs keep the cache full', () => {
    const cache = new FdCache(4);
    const dir = tempDir();
    const compacted = PartitionLog.open(dir, { ...config, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0 }, { files: cache });
    const others = Array.from({ length: 3 }, () => PartitionLog.open(tempDir(), config, { files: cache }));
    const reader = new LogReader(dir, { files: cache });
    const keyed = (key: string, value: string) => encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from(value) }], { baseTimestamp: 1 });
    for (let i = 0; i < 120; i++) {
      compacted.append(keyed(`k${i % 5}`, `v${i}`));
      others[i % 3]!.append(batchOf(`o${i}`, 1, 1));
      if (i % 40 === 39) reader.read(0, 1 << 20, compacted.highWatermark); // keeps reader files in the cache
    }
    const stats = compacted.clean();
    expect(stats.groupCount).toBeGreaterThan(0);
    expect(stats.recordsRemoved).toBeGreaterThan(0);
    for (const other of others) other.append(batchOf('after', 1, 1)); // evicts the cleaned files
    const fromLog = readRecords((o, m) => compacted.read(o, m), compacted.logEndOffset);
    const fromReader = readRecords((o, m) => reader.read(o, m, compacted.highWatermark), compacted.logEndOffset);
    expect(fromReader).toEqual(fromLog);
    // Cleaned: fewer records, each the one written at its offset, each key's latest kept.
    expect(fromLog.length).toBeLessThan(120);
    for (const v of fromLog) expect(v.value).toBe(`v${v.offset}`);
    expect(fromLog.slice(-5).map((v) => v.offset)).toEqual([115, 116, 117, 118, 119]);
    expect(valuesIn(compacted.read(119, 100))[0]!.value).toBe('v119');
    reader.close();
    compacted.close();
    others.forEach((o) => o.close());
    expect(cache.openCount).toBe(0);
  });

  it('FaultyIo loses the unsynced bytes of a file whose descriptor the cache closed and reopened, and keeps the synced ones', () => {
    let lostBytes = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const cache = new FdCache(2);
      const io = new FaultyIo(nodeIo, { seed });
      const dir = tempDir();
      const log = PartitionLog.open(dir, { ...config, segmentBytes: 1 << 20 }, { io, files: cache });
      const other = PartitionLog.open(tempDir(), config, { io, files: cache });
      for (let i = 0; i < 10; i++) log.append(batchOf(`s${i}`, 2, 1));
      log.flush();
      const synced = log.logEndOffset;
      const syncedBytes = log.sizeBytes;
      for (let i = 10; i < 20; i++) {
        log.append(batchOf(`s${i}`, 2, 1));
        other.append(batchOf('evict', 1, 1)); // the log's descriptors are closed between its appends
      }
      expect(cache.stats.evictions).toBeGreaterThan(10);
      const sizeBeforeCrash = fs.statSync(`${dir}/00000000000000000000.log`).size;
      io.simulateCrash();
      const after = fs.statSync(`${dir}/00000000000000000000.log`).size;
      expect(after, `seed ${seed}`).toBeGreaterThanOrEqual(syncedBytes);
      expect(after, `seed ${seed}`).toBeLessThanOrEqual(sizeBeforeCrash);
      lostBytes += sizeBeforeCrash - after;
      const reopened = PartitionLog.open(dir, config);
      expect(reopened.logEndOffset).toBeGreaterThanOrEqual(synced);
      expect(readAll((o, m) => reopened.read(o, m), 0, reopened.logEndOffset).map((v) => v.value)).toEqual(
        Array.from({ length: reopened.logEndOffset }, (_, k) => `s${Math.floor(k / 2)}-${k % 2}`),
      );
      reopened.close();
    }
    expect(lostBytes).toBeGreaterThan(0); // writes through a reopened descriptor still count as unsynced
  });
});
