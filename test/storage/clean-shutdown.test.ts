/**
 * The clean-shutdown marker kept until the first change (src/storage/clean-shutdown.ts): opening
 * and closing an untouched, cleanly closed partition writes and fsyncs nothing and holds no
 * descriptor; every kind of change removes the marker durably first, so a crash after it is
 * recovered with a full scan; a failed removal fails the change and writes nothing.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ManualClock } from '../../src/common/clock.js';
import { StorageError } from '../../src/common/errors.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { FaultyIo, nodeIo, type FileIo } from '../../src/storage/io.js';
import { FdCache } from '../../src/storage/fd-cache.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { batchOf, readAll, smallConfig, tempDir } from './helpers.js';

const MARKER = '.clean-shutdown';
const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** nodeIo counting every call that changes the disk, and able to fail directory fsyncs. */
function countingIo() {
  const counts = { writes: 0, fsyncs: 0, metadata: 0 };
  const faults = { dirFsyncs: 0 };
  const io: FileIo = {
    ...nodeIo,
    writeSync: (...args) => (counts.writes++, nodeIo.writeSync(...args)),
    ftruncateSync: (fd, length) => (counts.writes++, nodeIo.ftruncateSync(fd, length)),
    fsyncSync: (fd) => (counts.fsyncs++, nodeIo.fsyncSync(fd)),
    fsyncDirSync: (path) => {
      if (faults.dirFsyncs > 0) {
        faults.dirFsyncs--;
        throw Object.assign(new Error('EIO: i/o error, fsync (injected)'), { code: 'EIO', errno: -5 });
      }
      counts.fsyncs++;
      nodeIo.fsyncDirSync(path);
    },
    renameSync: (from, to) => (counts.metadata++, nodeIo.renameSync(from, to)),
    unlinkSync: (path) => (counts.metadata++, nodeIo.unlinkSync(path)),
    mkdirSync: (path) => (counts.metadata++, nodeIo.mkdirSync(path)),
    rmSync: (path) => (counts.metadata++, nodeIo.rmSync(path)),
    openSync: (path, flags) => {
      if (!flags.startsWith('r')) counts.metadata++; // creates or truncates
      return nodeIo.openSync(path, flags);
    },
  };
  return { io, counts, faults };
}

const config = smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });
/** Record timestamps: recent, so retention.ms (7 days) has nothing to expire. */
const NOW = Date.now();

/** A partition with a few segments and an idempotent producer's batches, closed cleanly. */
function closedPartition(): string {
  const dir = tempDir();
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 30; i++) log.append(batchOf(`c${i}`, 2, NOW + i, { producerId: 7, producerEpoch: 0, baseSequence: i * 2 }));
  log.close();
  return dir;
}

describe('opening and closing an untouched partition', () => {
  it('writes nothing, fsyncs nothing, keeps the marker and holds no descriptor', () => {
    const dir = closedPartition();
    const filesBefore = Object.fromEntries(fs.readdirSync(dir).map((n) => [n, fs.readFileSync(`${dir}/${n}`)]));
    const { io, counts } = countingIo();
    const cache = new FdCache(100);
    const fdsBefore = openFds();
    const log = PartitionLog.open(dir, config, { io, files: cache });
    expect([cache.openCount, openFds()]).toEqual([0, fdsBefore]);
    expect(log.recovery).toEqual({ cleanShutdown: true, fullyScannedSegmentCount: 0, truncatedBytes: 0 });
    // Reads, a retried (duplicate) produce, refused input, an early tick and a flush change nothing.
    expect(readAll((o, m) => log.read(o, m), 0, 60)).toHaveLength(60);
    expect(log.append(batchOf('c29', 2, NOW + 29, { producerId: 7, producerEpoch: 0, baseSequence: 58 }))).toMatchObject({ duplicate: true, baseOffset: 58 });
    expect(log.append(Buffer.from('not a batch')).errorCode).not.toBe(0);
    log.tick();
    log.flush();
    expect(fs.existsSync(`${dir}/${MARKER}`)).toBe(true);
    log.close();
    expect(counts).toEqual({ writes: 0, fsyncs: 0, metadata: 0 });
    expect([cache.openCount, openFds()]).toEqual([0, fdsBefore]);
    const filesAfter = Object.fromEntries(fs.readdirSync(dir).map((n) => [n, fs.readFileSync(`${dir}/${n}`)]));
    expect(filesAfter).toEqual(filesBefore);
    const again = PartitionLog.open(dir, config);
    expect([again.recovery.cleanShutdown, again.logEndOffset]).toEqual([true, 60]);
    again.close();
  });
});

describe('a partition that never held a record', () => {
  it('is created, closed and reopened without one fsync, and its first append after a reopen is durable as any', () => {
    const dir = `${tempDir()}/new-0`;
    const { io, counts } = countingIo();
    const log = PartitionLog.open(dir, config, { io });
    log.tick();
    log.close();
    expect(counts.fsyncs).toBe(0);
    expect(fs.existsSync(`${dir}/${MARKER}`)).toBe(false); // nothing to trust: the next open scans zero bytes
    const reopened = PartitionLog.open(dir, config, { io });
    expect(reopened.recovery).toEqual({ cleanShutdown: false, fullyScannedSegmentCount: 1, truncatedBytes: 0 });
    reopened.close();
    expect(counts.fsyncs).toBe(0);
    // Once it holds a record, close() makes it durable and marks it clean again.
    const used = PartitionLog.open(dir, config, { io });
    used.append(batchOf('first', 1, NOW));
    used.close();
    expect(counts.fsyncs).toBeGreaterThan(0);
    expect(fs.existsSync(`${dir}/${MARKER}`)).toBe(true);
    const last = PartitionLog.open(dir, config);
    expect([last.recovery.cleanShutdown, last.logEndOffset]).toEqual([true, 1]);
    last.close();
  });
});

describe('the first change after a clean open', () => {
  const keyed = (key: string) => encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from('v') }], { baseTimestamp: 1 });
  const changes: [string, (log: PartitionLog, clock: ManualClock) => void][] = [
    ['append', (log) => log.append(keyed('new'))], // keyed: a compacted topic refuses keyless records
    ['roll', (log) => log.roll()],
    ['deleteRecordsBefore', (log) => log.deleteRecordsBefore(40)],
    ['retention by time from tick()', (log, clock) => (clock.advance(8 * 24 * 3600 * 1000), log.tick())],
    ['clean', (log) => log.clean()],
  ];
  for (const [name, change] of changes) {
    it(`${name} removes the marker (unlink, then fsync of the directory) before it writes`, () => {
      const dir = tempDir();
      const clock = new ManualClock(1_000_000);
      const first = PartitionLog.open(dir, { ...config, cleanupPolicy: 'compact,delete' }, { clock });
      for (let i = 0; i < 40; i++) first.append(keyed(`k${i % 4}`));
      first.close();
      const calls: string[] = [];
      const io: FileIo = {
        ...nodeIo,
        unlinkSync: (path) => (calls.push(`unlink ${path.slice(dir.length + 1)}`), nodeIo.unlinkSync(path)),
        fsyncDirSync: (path) => (calls.push('fsync dir'), nodeIo.fsyncDirSync(path)),
        writeSync: (...args) => (calls.push('write'), nodeIo.writeSync(...args)),
        renameSync: (from, to) => (calls.push('rename'), nodeIo.renameSync(from, to)),
      };
      const log = PartitionLog.open(dir, { ...config, cleanupPolicy: 'compact,delete', minCleanableDirtyRatio: 0 }, { io, clock });
      expect(calls).toEqual([]);
      change(log, clock);
      expect(calls.slice(0, 2)).toEqual([`unlink ${MARKER}`, 'fsync dir']);
      expect(calls.length).toBeGreaterThan(2); // the change itself wrote
      expect(fs.existsSync(`${dir}/${MARKER}`)).toBe(false);
      log.close();
      expect(fs.existsSync(`${dir}/${MARKER}`)).toBe(true);
    });
  }

  it('a crash after the first append following a clean open is recovered with a full scan', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const dir = closedPartition();
      const io = new FaultyIo(nodeIo, { seed });
      const log = PartitionLog.open(dir, config, { io });
      const start = log.logEndOffset;
      for (let i = 0; i < 20; i++) log.append(batchOf(`n${i}`, 2, 5000 + i)); // rolls, nothing fsynced after the roll
      const newSegment = log.segmentBaseOffsets().find((base) => base > start)!;
      io.simulateCrash();
      // Damage a byte in a segment the crash left whole: a clean open would trust it, a full scan does not.
      const path = `${dir}/${String(newSegment).padStart(20, '0')}.log`;
      const bytes = fs.readFileSync(path);
      if (bytes.length > 100) {
        bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0xff;
        fs.writeFileSync(path, bytes);
      }
      const reopened = PartitionLog.open(dir, config);
      expect(reopened.recovery.cleanShutdown, `seed ${seed}`).toBe(false);
      expect(reopened.recovery.fullyScannedSegmentCount).toBeGreaterThan(0);
      const values = readAll((o, m) => reopened.read(o, m), 0, reopened.logEndOffset);
      expect(values.map((v) => v.offset)).toEqual(Array.from({ length: reopened.logEndOffset }, (_, k) => k));
      expect(reopened.logEndOffset).toBeGreaterThanOrEqual(start);
      const reader = new LogReader(dir);
      expect(readAll((o, m) => reader.read(o, m, reopened.highWatermark), 0, reopened.logEndOffset)).toEqual(values);
      reader.close();
      reopened.close();
    }
  });

  it('a failed marker removal fails the append with StorageError and writes nothing; the retry finishes the removal', () => {
    const dir = closedPartition();
    const { io, counts, faults } = countingIo();
    const log = PartitionLog.open(dir, config, { io });
    faults.dirFsyncs = 1;
    expect(() => log.append(batchOf('x', 1, 1))).toThrow(StorageError);
    expect(counts.writes).toBe(0);
    expect(log.logEndOffset).toBe(60);
    expect(fs.existsSync(`${dir}/${MARKER}`)).toBe(false); // unlinked, not yet known durable
    expect(log.append(batchOf('x', 1, 1)).baseOffset).toBe(60);
    expect(counts.fsyncs).toBeGreaterThanOrEqual(1); // the retried directory fsync
    log.close();
  });
});
