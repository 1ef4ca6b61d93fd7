import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { PartitionLog, type LogTestHooks } from '../../src/storage/partition-log.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { ManualClock } from '../../src/common/clock.js';
import { Compression } from '../../src/protocol/compression.js';
import { ATTR_COMPRESSION_MASK, decodeRecords, encodeRecordBatch, iterateBatches } from '../../src/protocol/record-batch.js';
import type { CleanerStep } from '../../src/storage/log-cleaner.js';
import { smallConfig, tempDir } from './helpers.js';
import { random as rng } from '../helpers/random.js';

interface Rec { offset: number; key: string; value: string | null }


const config = (overrides = {}) => smallConfig({ cleanupPolicy: 'compact', segmentBytes: 2048, indexIntervalBytes: 128, deleteRetentionMs: 1000, ...overrides });

/** Appends 60 batches of 4 keyed records over 15 keys, ~1 in 8 a tombstone; returns all records. */
function fill(log: PartitionLog, seed: number, compression: number = Compression.none): Rec[] {
  const random = rng(seed);
  const all: Rec[] = [];
  for (let b = 0; b < 60; b++) {
    const recs = Array.from({ length: 4 }, (_, i) => {
      const key = `k${Math.floor(random() * 15)}`;
      const value = random() < 0.125 ? null : `v${b}-${i}`;
      return { key, value };
    });
    const result = log.append(encodeRecordBatch(recs.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value) })), { baseTimestamp: 1000 + b, compression }));
    recs.forEach((r, i) => all.push({ offset: result.baseOffset + i, ...r }));
  }
  return all;
}

function latest(all: Rec[], keepTombstones: boolean): Rec[] {
  const byKey = new Map<string, Rec>();
  for (const r of all) byKey.set(r.key, r);
  return [...byKey.values()].filter((r) => keepTombstones || r.value !== null).sort((a, b) => a.offset - b.offset);
}

/** Every record in the log, read batch by batch as a consumer would. */
function readRecords(read: (offset: number, maxBytes: number) => Buffer, end: number): Rec[] {
  const out: Rec[] = [];
  let offset = 0;
  while (offset < end) {
    const buf = read(offset, 4096);
    let progressed = false;
    for (const { pos, sizeBytes, header } of iterateBatches(buf)) {
      for (const r of decodeRecords(buf.subarray(pos, pos + sizeBytes))) {
        if (r.offset >= offset) out.push({ offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString() });
      }
      offset = Math.max(offset, header.baseOffset + header.lastOffsetDelta + 1);
      progressed = true;
    }
    if (!progressed) throw new Error(`no progress at ${offset}`);
  }
  return out;
}

const readLog = (log: PartitionLog) => readRecords((o, m) => log.read(o, m), log.logEndOffset);

describe('log cleaner', () => {
  it('keeps exactly the latest record per key at its original offset, and drops tombstones after delete.retention.ms', () => {
    const clock = new ManualClock();
    const dir = tempDir();
    const log = PartitionLog.open(dir, config(), { clock });
    const all = fill(log, 7);
    log.roll();
    expect(log.segmentCount).toBeGreaterThan(3);
    const stats = log.clean();
    expect(stats.recordsRemoved).toBeGreaterThan(0);
    expect(readLog(log)).toEqual(latest(all, true));
    clock.advance(999);
    log.clean();
    expect(readLog(log)).toEqual(latest(all, true));
    clock.advance(2);
    log.clean();
    expect(readLog(log)).toEqual(latest(all, false));
    const reader = new LogReader(dir);
    expect(readRecords((o, m) => reader.read(o, m, log.highWatermark), log.logEndOffset)).toEqual(latest(all, false));
    reader.close();
    const end = log.logEndOffset;
    log.close();
    const reopened = PartitionLog.open(dir, config(), { clock });
    expect(reopened.logEndOffset).toBe(end);
    expect(readLog(reopened)).toEqual(latest(all, false));
    expect(reopened.append(encodeRecordBatch([{ key: Buffer.from('x'), value: Buffer.from('y') }])).baseOffset).toBe(end);
    reopened.close();
  });

  for (const [name, codec] of Object.entries(Compression).filter(([, c]) => c !== Compression.none)) {
    it(`rewrites ${name} batches with the same codec`, () => {
      const log = PartitionLog.open(tempDir(), config(), { clock: new ManualClock() });
      const all = fill(log, 11, codec);
      log.roll();
      log.clean();
      expect(readLog(log)).toEqual(latest(all, true));
      let compressed = 0;
      for (let offset = 0; offset < log.logEndOffset; ) {
        const raw = log.read(offset, 1 << 20);
        const headers = [...iterateBatches(raw)].map((b) => b.header);
        offset = headers.at(-1)!.baseOffset + headers.at(-1)!.lastOffsetDelta + 1;
        for (const header of headers) if (header.recordsCount > 0) compressed += (header.attributes & ATTR_COMPRESSION_MASK) === codec ? 1 : -1000;
      }
      expect(compressed).toBeGreaterThan(0);
      log.close();
    });
  }

  it('never touches the active segment', () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, config(), { clock: new ManualClock() });
    const all = fill(log, 3);
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    const activePath = `${dir}/${String(activeBase).padStart(20, '0')}.log`;
    const before = fs.readFileSync(activePath);
    log.clean();
    expect(fs.readFileSync(activePath)).toEqual(before);
    const inActive = all.filter((r) => r.offset >= activeBase);
    expect(readLog(log).filter((r) => r.offset >= activeBase)).toEqual(inActive);
    log.close();
  });

  it('keeps a producer\'s last batch, emptied, so its offsets and sequence survive', () => {
    const log = PartitionLog.open(tempDir(), config(), { clock: new ManualClock() });
    const idempotent = encodeRecordBatch([{ key: Buffer.from('p'), value: Buffer.from('old') }], { producerId: 42, producerEpoch: 0, baseSequence: 0 });
    const { baseOffset } = log.append(idempotent);
    for (let i = 0; i < 40; i++) log.append(encodeRecordBatch([{ key: Buffer.from('p'), value: Buffer.from(`new${i}`) }, { key: Buffer.from(`q${i}`), value: Buffer.from('z'.repeat(40)) }]));
    log.roll();
    log.clean();
    const first = [...iterateBatches(log.read(0, 4096))][0]!;
    expect(first.header).toMatchObject({ baseOffset, producerId: 42, baseSequence: 0, recordsCount: 0 });
    expect(log.append(idempotent).duplicate).toBe(true);
    log.close();
  });

  it('compact,delete applies retention and compaction from tick()', () => {
    const clock = new ManualClock();
    const compactDelete = config({ cleanupPolicy: 'compact,delete', retentionMs: -1, minCleanableDirtyRatio: 0.1 });
    const log = PartitionLog.open(tempDir(), compactDelete, { clock });
    const all = fill(log, 5);
    log.roll();
    const sizeBefore = log.sizeBytes;
    log.tick();
    expect(log.sizeBytes).toBeLessThan(sizeBefore);
    expect(readLog(log)).toEqual(latest(all, true));
    // Timestamps are 1000 + b ms: with the clock far past them every closed segment expires.
    log.append(encodeRecordBatch([{ key: Buffer.from('late'), value: Buffer.from('x') }], { baseTimestamp: clock.nowMs() }));
    log.roll();
    log.updateConfig({ ...compactDelete, retentionMs: 60_000 });
    log.tick();
    expect(log.logStartOffset).toBeGreaterThan(all.at(-1)!.offset);
    log.close();
  });

  const steps: CleanerStep[] = ['cleaned', 'swap', 'log-replaced', 'members-deleted', 'indexes-replaced', 'deleted-removed'];
  for (const [k, crashStep] of steps.entries()) {
    it(`a crash after swap step ${k + 1} (${crashStep}) reopens to the old or the cleaned log, and readers never see a torn state`, () => {
      const dir = tempDir();
      const clock = new ManualClock();
      const seen: CleanerStep[] = [];
      let original: Rec[] = [];
      const earlyReader = new LogReader(dir);
      const hooks: LogTestHooks = {
        afterCleanerStep: (step) => {
          seen.push(step);
          // A reader opened before the pass and a fresh one: every record they return is an
          // original record at its offset, and every key's latest value is there.
          for (const reader of [earlyReader, new LogReader(dir)]) {
            const got = readRecords((o, m) => reader.read(o, m, original.at(-1)!.offset + 1), original.at(-1)!.offset + 1);
            const byOffset = new Map(original.map((r) => [r.offset, r]));
            for (const r of got) expect(byOffset.get(r.offset)).toEqual(r);
            for (const r of latest(original, true)) expect(got).toContainEqual(r);
          }
          if (step === crashStep) throw new Error('crash');
        },
      };
      const log = PartitionLog.open(dir, config(), { clock, hooks });
      original = fill(log, 21);
      log.roll();
      earlyReader.refresh();
      readRecords((o, m) => earlyReader.read(o, m, log.highWatermark), log.highWatermark);
      expect(() => log.clean()).toThrow('crash');
      expect(seen.at(-1)).toBe(crashStep);
      const reopened = PartitionLog.open(dir, config(), { clock });
      // The first group is old or cleaned, later groups untouched: only original records, every latest one.
      const records = readLog(reopened);
      const byOffset = new Map(original.map((r) => [r.offset, r]));
      for (const r of records) expect(byOffset.get(r.offset)).toEqual(r);
      for (const r of latest(original, true)) expect(records).toContainEqual(r);
      if (crashStep === 'cleaned') expect(records).toEqual(original);
      else expect(records.length).toBeLessThan(original.length);
      expect(fs.readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
      reopened.clean();
      expect(readLog(reopened)).toEqual(latest(original, true));
      reopened.close();
    });
  }
});

describe('segment roll', () => {
  for (const crashStep of ['sealed', 'opened', 'dir-synced'] as const) {
    it(`a crash after roll step ${crashStep} reopens with every record and appends continue`, () => {
      const dir = tempDir();
      let crashNext = false;
      const log = PartitionLog.open(dir, config({ cleanupPolicy: 'delete' }), {
        hooks: { afterRollStep: (step) => { if (crashNext && step === crashStep) throw new Error('crash'); } },
      });
      const all = fill(log, 9);
      crashNext = true;
      expect(() => log.roll()).toThrow('crash');
      const reopened = PartitionLog.open(dir, config({ cleanupPolicy: 'delete' }));
      expect(readLog(reopened)).toEqual(all);
      const next = reopened.append(encodeRecordBatch([{ key: Buffer.from('a'), value: Buffer.from('b') }]));
      expect(next.baseOffset).toBe(all.length);
      reopened.roll();
      expect(readLog(reopened).at(-1)).toEqual({ offset: all.length, key: 'a', value: 'b' });
      reopened.close();
    });
  }
});

describe('log cleaner error paths', () => {
  for (const part of ['dirty', 'clean'] as const) {
  it(`refuses to clean a ${part} segment with a corrupt batch instead of dropping every batch after it, and leaks no file`, () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, config());
    fill(log, 11);
    log.roll();
    if (part === 'clean') {
      log.clean(); // the first segment is now below firstDirtyOffset: only the rewrite reads it again
      fill(log, 12);
      log.roll();
    }
    // Damage the last byte of a segment's first batch (inside its CRC-covered records).
    // The oldest segment holding more than one batch (below firstDirtyOffset in the 'clean' case).
    const first = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort().map((n) => `${dir}/${n}`)
      .find((path) => { const b = fs.readFileSync(path); return b.length > 12 && b.length > b.readInt32BE(8) + 12; })!;
    const bytes = fs.readFileSync(first);
    const firstBatchBytes = bytes.readInt32BE(8) + 12;
    bytes[firstBatchBytes - 1]! ^= 0xff;
    fs.writeFileSync(first, bytes);
    const filesBefore = fs.readdirSync(dir).sort();
    const before = fs.readFileSync(first);
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const openPaths = () => fs.readdirSync('/proc/self/fd').map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } });
    // The first attempt opens the segments it reads; they stay in the thread's FdCache (bounded).
    expect(() => log.clean()).toThrow(/corrupt/i);
    const fdsBefore = openFds();
    for (let i = 0; i < 3; i++) expect(() => log.clean()).toThrow(/corrupt/i);
    expect(openFds()).toBe(fdsBefore);
    expect(openPaths().filter((p) => p.includes('.cleaned'))).toEqual([]);
    expect(fs.readFileSync(first)).toEqual(before);
    expect(fs.readdirSync(dir).sort()).toEqual(filesBefore);
    // tick() (what the partition worker runs) marks the log uncleanable instead of throwing on
    // every tick — which would crash and restart the worker until the partition went offline —
    // and the log keeps taking appends.
    expect(log.uncleanableReason).toBeNull();
    log.tick();
    expect(log.uncleanableReason).toMatch(/corrupt/i);
    expect(() => log.tick()).not.toThrow();
    const endBefore = log.logEndOffset;
    fill(log, 99);
    expect(log.logEndOffset).toBeGreaterThan(endBefore);
    log.close();
  });
  }
});
