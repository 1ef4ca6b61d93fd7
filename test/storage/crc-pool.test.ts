/**
 * Recovery with the CRC-32C checks in a piscina pool (src/storage/crc-pool.ts, loadLogAsync)
 * against recovery on one thread, on copies of the same damaged log: the same log end offset, the
 * same bytes cut, and byte-identical files afterwards (log, rebuilt indexes, checkpoint). Ranges
 * are made tiny so the pool runs on test-sized segments; the pool is seen to run tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createCrcPool, verifySegmentCrcs, type CrcPool } from '../../src/storage/crc-pool.js';
import { nodeIo } from '../../src/storage/io.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { smallConfig, tempDir } from './helpers.js';
import { random as rng } from '../helpers/random.js';

const config = smallConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
const RANGE_BYTES = 2048;

let pool: ReturnType<typeof createCrcPool>;
const tasks = { count: 0 };
const counting: CrcPool = { run: (task) => (tasks.count++, pool.run(task)) };
beforeAll(() => {
  pool = createCrcPool({ threads: 2 });
});
afterAll(async () => {
  await pool.destroy();
});

/** An unclean log of several 64 KiB segments, batches of varied sizes (one record up to 40). */
function uncleanLog(seed: number): string {
  const random = rng(seed);
  const dir = tempDir();
  const log = PartitionLog.open(dir, config);
  for (let i = 0; log.sizeBytes < 200 * 1024; i++) {
    const count = 1 + Math.floor(random() * 40);
    log.append(encodeRecordBatch(Array.from({ length: count }, (_, j) => ({ value: Buffer.from(`b${i}-${j}`.padEnd(20 + Math.floor(random() * 60), '.')) })), { baseTimestamp: 1000 + i }));
  }
  return dir; // not closed: recovery scans from the recovery point (0)
}

function copyDir(from: string): string {
  const to = tempDir();
  for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
  return to;
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('base64')]));
}

type Damage = (dir: string, random: () => number) => void;
const logFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort().map((n) => path.join(dir, n));
const damages: [string, Damage][] = [
  ['none', () => {}],
  ['a torn tail of the last segment', (dir, random) => {
    const last = logFiles(dir).at(-1)!;
    fs.truncateSync(last, Math.floor(random() * fs.statSync(last).size));
  }],
  ['a flipped byte in the middle of a full segment', (dir, random) => {
    const file = logFiles(dir)[1]!;
    const bytes = fs.readFileSync(file);
    const at = Math.floor(bytes.length * (0.25 + random() * 0.5));
    bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255));
    fs.writeFileSync(file, bytes);
  }],
  ['a flipped byte in the first range', (dir, random) => {
    const file = logFiles(dir)[0]!;
    const bytes = fs.readFileSync(file);
    const at = 70 + Math.floor(random() * (RANGE_BYTES - 70));
    bytes[at] = bytes[at]! ^ 0x5a;
    fs.writeFileSync(file, bytes);
  }],
  ['zeros over the end of a segment (a lost page)', (dir) => {
    const file = logFiles(dir)[1]!;
    const bytes = fs.readFileSync(file);
    bytes.fill(0, bytes.length - 4096);
    fs.writeFileSync(file, bytes);
  }],
];

describe('recovery with the CRC pool', () => {
  for (const [name, damage] of damages) {
    it(`equals recovery on one thread after ${name}`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        const original = uncleanLog(seed);
        damage(original, rng(seed * 31));
        const single = copyDir(original);
        const pooled = copyDir(original);
        const one = PartitionLog.open(single, config);
        const tasksBefore = tasks.count;
        const many = await PartitionLog.openAsync(pooled, config, { crcPool: counting, crcRangeBytes: RANGE_BYTES });
        expect(tasks.count - tasksBefore, `seed ${seed}`).toBeGreaterThan(10);
        expect([many.logEndOffset, many.recovery], `seed ${seed}`).toEqual([one.logEndOffset, one.recovery]);
        if (name !== 'none') expect(one.recovery.truncatedBytes, `seed ${seed}`).toBeGreaterThan(0);
        expect(snapshot(pooled), `seed ${seed}`).toEqual(snapshot(single));
        for (let offset = 0; offset < one.logEndOffset; offset += 97) expect(many.read(offset, 4096).equals(one.read(offset, 4096))).toBe(true);
        one.close();
        many.close();
      }
    });
  }

  it('opens a new partition and a cleanly closed one as open() does (nothing to check in the pool)', async () => {
    const dir = tempDir();
    const fresh = await PartitionLog.openAsync(`${dir}/new-0`, config, { crcPool: counting, crcRangeBytes: RANGE_BYTES });
    expect(fresh.logEndOffset).toBe(0);
    fresh.append(encodeRecordBatch([{ value: Buffer.from('x') }], { baseTimestamp: 1 }));
    fresh.close();
    const tasksBefore = tasks.count;
    const clean = await PartitionLog.openAsync(`${dir}/new-0`, config, { crcPool: counting, crcRangeBytes: RANGE_BYTES });
    expect([clean.logEndOffset, clean.recovery.cleanShutdown, tasks.count]).toEqual([1, true, tasksBefore]);
    clean.close();
  });

  it('reports the start of the first bad batch in each range, and nothing for a small segment', async () => {
    const dir = uncleanLog(9);
    const file = logFiles(dir)[0]!;
    const whole = await verifySegmentCrcs(counting, nodeIo, file, RANGE_BYTES);
    expect(whole.length).toBeGreaterThan(10);
    expect(whole[0]!.start).toBe(0);
    for (let i = 1; i < whole.length; i++) expect(whole[i]!.start).toBe(whole[i - 1]!.end); // contiguous, intact
    const bytes = fs.readFileSync(file);
    const damagedRange = whole[5]!;
    bytes[damagedRange.end - 10] = bytes[damagedRange.end - 10]! ^ 1; // inside the range's last batch
    fs.writeFileSync(file, bytes);
    const after = await verifySegmentCrcs(counting, nodeIo, file, RANGE_BYTES);
    expect(after[5]!.start).toBe(damagedRange.start);
    expect(after[5]!.end).toBeLessThan(damagedRange.end);
    expect(after.filter((_, i) => i !== 5)).toEqual(whole.filter((_, i) => i !== 5));
    expect(await verifySegmentCrcs(counting, nodeIo, file, bytes.length)).toEqual([]);
  });
});
