/**
 * Damage at rest in a closed segment, read back with `brook consume`: changed bytes fail the
 * batch's CRC-32C check; a changed length makes the broker hop to the next intact batch. Either
 * way consume prints everything before the damage and stops with one line naming topic, partition
 * and offsets, or with --skip-corrupt reports it and reads on; the rest of the segment and later
 * segments stay readable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BROOK, REPO, brook } from './helpers.js';
import { tempDir } from '../helpers/temp-dir.js';

const LINE_COUNT = 30_000;
const lines = Array.from({ length: LINE_COUNT }, (_, i) => `record ${i}`);

interface BatchAt {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
}

/** The batches of a segment file, walked by their length fields. */
function batchesOf(file: string): BatchAt[] {
  const bytes = fs.readFileSync(file);
  const out: BatchAt[] = [];
  for (let pos = 0; pos + 61 <= bytes.length;) {
    const sizeBytes = bytes.readInt32BE(pos + 8) + 12;
    const baseOffset = Number(bytes.readBigInt64BE(pos));
    out.push({ position: pos, sizeBytes, baseOffset, lastOffset: baseOffset + bytes.readInt32BE(pos + 23) });
    pos += sizeBytes;
  }
  return out;
}

function consume(dataDir: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BROOK, '--data-dir', dataDir, 'consume', 'c', ...args], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const expected = (skipFrom: number, skipTo: number) => lines.filter((_, offset) => offset < skipFrom || offset > skipTo).map((l) => `${l}\n`).join('');

describe('brook consume over damaged segments', () => {
  const pristine = tempDir('brook-corrupt-');
  let segmentFiles: string[] = [];

  beforeAll(async () => {
    const d = ['--data-dir', pristine];
    expect((await brook([...d, 'topics', 'create', 'c', '--config', 'segment.bytes=65536'])).code).toBe(0);
    expect((await brook([...d, 'produce', 'c', '--batch-bytes', '8192'], { input: lines.map((l) => `${l}\n`).join('') })).code).toBe(0);
    segmentFiles = fs.readdirSync(path.join(pristine, 'c-0')).filter((f) => f.endsWith('.log')).sort();
    expect(segmentFiles.length).toBeGreaterThanOrEqual(4);
  });

  /** A copy of the data dir with `damage` applied to the first segment's third batch. */
  function damaged(damage: (bytes: Buffer, batch: BatchAt) => void): { dataDir: string; batch: BatchAt } {
    const dataDir = tempDir('brook-corrupt-copy-');
    fs.cpSync(pristine, dataDir, { recursive: true });
    const file = path.join(dataDir, 'c-0', segmentFiles[0]!);
    const batch = batchesOf(file)[2]!;
    const bytes = fs.readFileSync(file);
    damage(bytes, batch);
    fs.writeFileSync(file, bytes);
    return { dataDir, batch };
  }

  it.each([
    ['changed bytes', (bytes: Buffer, b: BatchAt) => bytes.write('XXXX', b.position + b.sizeBytes - 20, 'latin1'), /record batch fails its CRC-32C check/],
    ['a length too large', (bytes: Buffer, b: BatchAt) => bytes.writeInt32BE(1_000_000, b.position + 8), /missing from the log/],
    ['a length too small', (bytes: Buffer, b: BatchAt) => bytes.writeInt32BE(100, b.position + 8), /record batch fails its CRC-32C check/],
  ])('with %s: one line naming the offsets, the records before it printed; --skip-corrupt reads every other record', (_name, damage, reason) => {
    const { dataDir, batch } = damaged(damage);
    const stopped = consume(dataDir);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stopped.stderr).toContain(`brook: corrupt data in c-0 at offsets ${batch.baseOffset}-${batch.lastOffset}: `);
    expect(stopped.stderr).toMatch(reason);
    expect(stopped.stderr).toContain('--skip-corrupt');
    expect(stopped.stdout).toBe(expected(batch.baseOffset, Infinity));

    const skipped = consume(dataDir, '--skip-corrupt');
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(new RegExp(`^brook: corrupt data in c-0 at offsets ${batch.baseOffset}-${batch.lastOffset}: .*\\(skipped\\)\\n$`));
    expect(skipped.stdout).toBe(expected(batch.baseOffset, batch.lastOffset)); // the rest of the segment and every later one

    const later = batchesOf(path.join(dataDir, 'c-0', segmentFiles[2]!))[0]!.baseOffset;
    expect(consume(dataDir, '--offset', String(later), '--max-messages', '2').stdout).toBe(`record ${later}\nrecord ${later + 1}\n`);
  });
});
