import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { FaultyIo, nodeIo, type FileIo } from '../../src/storage/io.js';
import { StorageError } from '../../src/common/errors.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { batchOf, readAll, smallConfig, tempDir } from './helpers.js';
import { random as rng } from '../helpers/random.js';
import { createCrcPool } from '../../src/storage/crc-pool.js';
import type { LogConfig } from '../../src/storage/log-config.js';

/**
 * Every recovery here runs twice: on one thread (PartitionLog.open) and with the CRC-32C checks in
 * a piscina pool (PartitionLog.openAsync with a crcPool; tiny ranges so it runs on small segments).
 */
let pool: ReturnType<typeof createCrcPool>;
beforeAll(() => {
  pool = createCrcPool({ threads: 2 });
});
afterAll(async () => {
  await pool.destroy();
});
type Reopen = (dir: string, config: LogConfig, options?: { io?: FileIo }) => Promise<PartitionLog>;
const modes: [string, Reopen][] = [
  ['on one thread', async (dir, config, options) => PartitionLog.open(dir, config, options)],
  ['with the CRC pool', (dir, config, options) => PartitionLog.openAsync(dir, config, { ...options, crcPool: pool, crcRangeBytes: 256 })],
];


function activeLogPath(dir: string): string {
  const logs = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  return `${dir}/${logs[logs.length - 1]}`;
}

/** Every record 0..end-1 present in order, values as written by fillLog. */
function expectCleanPrefix(log: PartitionLog): void {
  const values = readAll((o, m) => log.read(o, m), 0, log.logEndOffset);
  expect(values.map((v) => v.offset)).toEqual(Array.from({ length: log.logEndOffset }, (_, i) => i));
  for (const v of values) expect(v.value).toBe(`b${Math.floor(v.offset / 3)}-${v.offset % 3}`);
  // The indexes rebuilt by recovery agree with a full scan: a LogReader (index-driven) reads the same.
  const reader = new LogReader(log.dir);
  expect(readAll((o, m) => reader.read(o, m, log.highWatermark), 0, log.logEndOffset)).toEqual(values);
  reader.close();
}

function fillLog(dir: string, batches: number): PartitionLog {
  const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128 }));
  for (let i = 0; i < batches; i++) log.append(batchOf(`b${i}`, 3, 1000 + i));
  return log;
}

describe.each(modes)('recovery of torn and corrupt tails %s', (_mode, reopen) => {
  it('truncates the active segment at random cut points to a clean prefix, and appends continue', async () => {
    const seed = Number(process.env.SEED ?? 1234);
    const random = rng(seed);
    for (let round = 0; round < 25; round++) {
      const dir = tempDir();
      fillLog(dir, 50); // not closed: an unclean shutdown
      const path = activeLogPath(dir);
      const size = fs.statSync(path).size;
      fs.truncateSync(path, Math.floor(random() * size));
      const log = await reopen(dir, smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128 }));
      expect(log.logEndOffset % 3, `seed ${seed} round ${round}`).toBe(0);
      expectCleanPrefix(log);
      const next = log.logEndOffset;
      expect(log.append(batchOf(`b${next / 3}`, 3, 1)).baseOffset).toBe(next);
      expectCleanPrefix(log);
      log.close();
    }
  });

  it('cuts at the first batch with a flipped byte near the end and deletes what follows', async () => {
    const seed = Number(process.env.SEED ?? 99);
    const random = rng(seed);
    for (let round = 0; round < 25; round++) {
      const dir = tempDir();
      const before = fillLog(dir, 50).logEndOffset;
      const path = activeLogPath(dir);
      const bytes = fs.readFileSync(path);
      const at = Math.max(0, bytes.length - 1 - Math.floor(random() * Math.min(400, bytes.length)));
      bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255));
      fs.writeFileSync(path, bytes);
      const log = await reopen(dir, smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128 }));
      expect(log.logEndOffset, `seed ${seed} round ${round}`).toBeLessThanOrEqual(before);
      expectCleanPrefix(log);
      log.close();
    }
  });

  it('rebuilds a deleted or garbage index after a clean shutdown', async () => {
    const dir = tempDir();
    fillLog(dir, 60).close();
    const indexes = fs.readdirSync(dir).filter((n) => n.endsWith('.index'));
    fs.rmSync(`${dir}/${indexes[0]}`);
    fs.writeFileSync(`${dir}/${indexes[1]}`, Buffer.from([0, 0, 0, 9, 0x7f, 0, 0, 0]));
    const log = await reopen(dir, smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128 }));
    expect(log.logEndOffset).toBe(180);
    expectCleanPrefix(log);
    log.close();
  });
});

describe.each(modes)('power loss and I/O faults through FaultyIo %s', (_mode, reopen) => {
  it('after simulateCrash recovers at least the fsynced prefix and never corrupt bytes', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const dir = tempDir();
      const io = new FaultyIo(nodeIo, { seed });
      const config = smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128 });
      const log = PartitionLog.open(dir, config, { io });
      let synced = 0;
      for (let i = 0; i < 40; i++) {
        log.append(batchOf(`b${i}`, 3, 1000 + i));
        if (i % 7 === 3) {
          log.flush();
          synced = log.logEndOffset;
        }
      }
      io.simulateCrash();
      const reopened = await reopen(dir, config, { io: nodeIo });
      expect(reopened.logEndOffset, `seed ${seed}`).toBeGreaterThanOrEqual(synced);
      expectCleanPrefix(reopened);
      reopened.close();
    }
  });

  for (const code of ['EIO', 'ENOSPC'] as const) {
    for (const op of ['write', 'fsync'] as const) {
      it(`a ${code} at ${op} makes append throw StorageError, keeps earlier data, and appends resume once it clears`, async () => {
        const dir = tempDir();
        const io = new FaultyIo(nodeIo, { seed: 7, tornWrites: true });
        const config = smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128, flushMessages: 1 });
        const log = PartitionLog.open(dir, config, { io });
        for (let i = 0; i < 10; i++) log.append(batchOf(`b${i}`, 3, 1));
        const end = log.logEndOffset;
        io.failNext(op, code);
        expect(() => log.append(batchOf('b10', 3, 1))).toThrow(StorageError);
        if (op === 'write') expect(log.logEndOffset).toBe(end); // cut back; an fsync failure leaves written bytes
        const resumeAt = log.logEndOffset;
        for (let i = resumeAt / 3; i < 20; i++) expect(log.append(batchOf(`b${i}`, 3, 1)).baseOffset).toBe(i * 3);
        expectCleanPrefix(log);
        log.close();
        const reopened = await reopen(dir, config);
        expect(reopened.logEndOffset).toBe(60);
        expectCleanPrefix(reopened);
        reopened.close();
      });
    }
  }

  it('survives random write faults with torn writes: every acknowledged batch is read back', async () => {
    const seed = Number(process.env.SEED ?? 5);
    const dir = tempDir();
    const io = new FaultyIo(nodeIo, { seed, writeFailRate: 0.2, tornWrites: true, errorCode: 'ENOSPC' });
    const config = smallConfig({ segmentBytes: 2048, indexIntervalBytes: 128 });
    const log = PartitionLog.open(dir, config, { io });
    let i = 0;
    for (let attempt = 0; attempt < 200 && i < 60; attempt++) {
      try {
        expect(log.append(batchOf(`b${i}`, 3, 1)).baseOffset).toBe(i * 3);
        i++;
      } catch (err) {
        expect(err, `seed ${seed}`).toBeInstanceOf(StorageError);
      }
    }
    io.disableFaults();
    expectCleanPrefix(log);
    log.close();
    const reopened = await reopen(dir, config);
    expect(reopened.logEndOffset).toBe(i * 3);
    expectCleanPrefix(reopened);
    reopened.close();
  });
});
