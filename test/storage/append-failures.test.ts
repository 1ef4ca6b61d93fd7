/**
 * Regression tests from a review of PartitionLog's error paths: an append that fails with an I/O
 * error must leave the log as it was (the worker answers KAFKA_STORAGE_ERROR, a retriable code, so
 * a client resends), and a failed roll must not leak descriptors.
 */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/common/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { FaultyIo, nodeIo, type FileIo } from '../../src/storage/io.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { batchOf, readAll, smallConfig, tempDir } from './helpers.js';

/** A FileIo over the real one that counts open descriptors and can fail directory fsyncs. */
class CountingIo implements FileIo {
  readonly openFds = new Set<number>();
  failDirFsyncs = 0;
  openSync(path: string, flags: string): number {
    const fd = nodeIo.openSync(path, flags);
    this.openFds.add(fd);
    return fd;
  }
  closeSync(fd: number): void {
    nodeIo.closeSync(fd);
    this.openFds.delete(fd);
  }
  fsyncDirSync(path: string): void {
    if (this.failDirFsyncs > 0) {
      this.failDirFsyncs--;
      throw Object.assign(new Error('EIO: i/o error, fsync (injected)'), { code: 'EIO', errno: -5 });
    }
    nodeIo.fsyncDirSync(path);
  }
  writeSync = nodeIo.writeSync;
  readSync = nodeIo.readSync;
  fsyncSync = nodeIo.fsyncSync;
  ftruncateSync = nodeIo.ftruncateSync;
  fstatSizeSync = nodeIo.fstatSizeSync;
  renameSync = nodeIo.renameSync;
  unlinkSync = nodeIo.unlinkSync;
  readdirSync = nodeIo.readdirSync;
  mkdirSync = nodeIo.mkdirSync;
  rmSync = nodeIo.rmSync;
  existsSync = nodeIo.existsSync;
  fileIdSync = nodeIo.fileIdSync;
  pathIdSync = nodeIo.pathIdSync;
}

describe('PartitionLog append failures', () => {
  it('with flush.messages=1, an append whose fsync fails leaves the log without the batch (a retry is not a duplicate)', () => {
    const dir = tempDir();
    const io = new FaultyIo(nodeIo, { seed: 1 });
    const log = PartitionLog.open(dir, smallConfig({ flushMessages: 1 }), { io });
    expect(log.append(batchOf('a', 2, 1)).errorCode).toBe(ErrorCode.NONE);
    const sizeBefore = log.sizeBytes;
    io.failNext('fsync');
    expect(() => log.append(batchOf('b', 2, 1))).toThrow(StorageError);
    expect(log.logEndOffset).toBe(2);
    expect(log.highWatermark).toBe(2);
    expect(log.sizeBytes).toBe(sizeBefore);
    // The client retries after KAFKA_STORAGE_ERROR: the batch must be there once.
    const retry = log.append(batchOf('b', 2, 1));
    expect([retry.errorCode, retry.baseOffset]).toEqual([ErrorCode.NONE, 2]);
    expect(readAll((o, m) => log.read(o, m), 0, log.logEndOffset).map((v) => v.value)).toEqual(['a-0', 'a-1', 'b-0', 'b-1']);
    log.close();
    const again = PartitionLog.open(dir, smallConfig({ flushMessages: 1 }));
    expect(readAll((o, m) => again.read(o, m), 0, again.logEndOffset).map((v) => v.value)).toEqual(['a-0', 'a-1', 'b-0', 'b-1']);
    again.close();
  });

  it('with flush.messages=1, an idempotent batch whose fsync failed is appended on retry, not answered as a duplicate of nothing durable', () => {
    const io = new FaultyIo(nodeIo, { seed: 2 });
    const log = PartitionLog.open(tempDir(), smallConfig({ flushMessages: 1 }), { io });
    const idempotent = (seq: number) => batchOf(`s${seq}`, 1, 1, { producerId: 7, producerEpoch: 0, baseSequence: seq });
    expect(log.append(idempotent(0)).errorCode).toBe(ErrorCode.NONE);
    io.failNext('fsync');
    expect(() => log.append(idempotent(1))).toThrow(StorageError);
    const retry = log.append(idempotent(1));
    expect([retry.errorCode, retry.duplicate, retry.baseOffset]).toEqual([ErrorCode.NONE, false, 1]);
    log.close();
  });

  it('a roll whose directory fsync fails closes the segment it opened, and the next append rolls and succeeds', () => {
    const dir = tempDir();
    const io = new CountingIo();
    const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 512 }), { io });
    let failures = 0;
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 0) io.failDirFsyncs = 1; // fails the roll (or a later one) this append reaches
      try {
        expect(log.append(batchOf(`r${i}`, 2, 1)).errorCode).toBe(ErrorCode.NONE);
      } catch (err) {
        expect(err).toBeInstanceOf(StorageError);
        failures++;
        expect(log.append(batchOf(`r${i}`, 2, 1)).errorCode).toBe(ErrorCode.NONE);
      }
    }
    expect(failures).toBeGreaterThan(0);
    expect(log.segmentCount).toBeGreaterThan(1);
    expect(readAll((o, m) => log.read(o, m), 0, log.logEndOffset).length).toBe(60);
    io.failDirFsyncs = 0;
    log.close();
    expect([...io.openFds]).toEqual([]);
  });

  for (const [what, target] of [['whole segments', 15], ['within the first segment', 1]] as const) {
    it(`a deleteRecordsBefore (${what}) whose checkpoint write fails moves nothing, and its retry persists`, () => {
      const dir = tempDir();
      const config = smallConfig({ segmentBytes: 512 });
      const io = new FaultyIo(nodeIo, { seed: 3 });
      const log = PartitionLog.open(dir, config, { io });
      for (let i = 0; i < 20; i++) log.append(batchOf(`d${i}`, 2, 1));
      const segmentsBefore = log.segmentCount;
      io.failNext('write'); // the checkpoint's temp file: the first write this call makes
      expect(() => log.deleteRecordsBefore(target)).toThrow(StorageError);
      expect([log.logStartOffset, log.segmentCount]).toEqual([0, segmentsBefore]);
      expect(readAll((o, m) => log.read(o, m), 0, log.logEndOffset)).toHaveLength(40);
      // The client retries DeleteRecords after KAFKA_STORAGE_ERROR: success must mean persisted.
      expect(log.deleteRecordsBefore(target)).toBe(target);
      const afterCrash = PartitionLog.open(dir, config); // no close: a crash
      expect(afterCrash.logStartOffset).toBe(target);
      afterCrash.close();
      log.close();
    });
  }
});
