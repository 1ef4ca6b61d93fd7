/**
 * Shared pieces of the seeded fault and crash tests: the seed (BROOK_SIM_SEED reruns a failure),
 * a seeded PRNG, and log checkers that open a partition directory from disk and compare what an
 * index-driven read returns with a full scan of the .log files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRecords, iterateBatches, type StoredRecord } from '../../src/protocol/record-batch.js';
import { segmentBaseOffsets, segmentPaths } from '../../src/storage/file-names.js';
import { LogReader } from '../../src/storage/log-reader.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Workers and the server run from dist/, which `npm test` builds before vitest starts. Tests do not
 * rebuild it themselves: a tsc run rewriting dist/ while another test file starts a worker from it
 * is a race. Run `npx tsc -p tsconfig.json` first when running these files alone.
 */
export function buildDist(): void {
  const main = path.join(repoRoot, 'dist/src/server/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npx tsc -p tsconfig.json first`);
}

/** The run's seed: BROOK_SIM_SEED if set, else `fallback`. Printed so a failure can be rerun. */
export function simSeed(testName: string, fallback: number): number {
  const raw = process.env.BROOK_SIM_SEED;
  const seed = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`BROOK_SIM_SEED must be an integer, got '${raw}'`);
  console.log(`[sim] ${testName}: seed ${seed} (rerun with BROOK_SIM_SEED=${seed})`);
  return seed;
}


/** The shared seeded PRNG (test/helpers/random.ts). */
export { random as prng } from '../helpers/random.js';

export { tempDir } from '../helpers/temp-dir.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ScannedBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
}

/** Every batch of every segment of a partition directory, by reading the .log files whole. */
export function scanPartition(dir: string): ScannedBatch[] {
  const out: ScannedBatch[] = [];
  for (const baseOffset of segmentBaseOffsets(fs.readdirSync(dir))) {
    const buf = fs.readFileSync(segmentPaths(dir, baseOffset).log);
    let end = 0;
    for (const { pos, sizeBytes, header } of iterateBatches(buf)) {
      out.push({ baseOffset: header.baseOffset, lastOffset: header.baseOffset + header.lastOffsetDelta, bytes: buf.subarray(pos, pos + sizeBytes) });
      end = pos + sizeBytes;
    }
    if (end !== buf.length) throw new Error(`${dir}: segment ${baseOffset} has ${buf.length - end} bytes after its last whole batch`);
  }
  return out;
}

export function recordsOf(batches: readonly ScannedBatch[]): StoredRecord[] {
  return batches.flatMap((b) => decodeRecords(b.bytes));
}

/**
 * Checks a closed (or at least quiet) partition directory: batches contiguous from the first,
 * and for every batch an index-driven LogReader read at its base offset, and at an offset inside
 * it, starts with exactly that batch's bytes. Returns the scanned batches.
 */
export function checkPartitionDir(dir: string): ScannedBatch[] {
  const batches = scanPartition(dir);
  for (let i = 1; i < batches.length; i++) {
    if (batches[i]!.baseOffset !== batches[i - 1]!.lastOffset + 1) {
      throw new Error(`${dir}: batch at ${batches[i]!.baseOffset} follows one ending at ${batches[i - 1]!.lastOffset}`);
    }
  }
  checkOffsetIndexes(dir, batches);
  const reader = new LogReader(dir);
  try {
    const end = batches.length === 0 ? 0 : batches[batches.length - 1]!.lastOffset + 1;
    for (const batch of batches) {
      for (const offset of new Set([batch.baseOffset, batch.lastOffset])) {
        const read = reader.read(offset, batch.bytes.length, end);
        if (!read.subarray(0, batch.bytes.length).equals(batch.bytes)) {
          throw new Error(`${dir}: an index-driven read at offset ${offset} does not start with the batch at ${batch.baseOffset}`);
        }
      }
    }
  } finally {
    reader.close();
  }
  return batches;
}

/**
 * Every .index entry (int32 relativeOffset, int32 position) must point at the start of the batch
 * with that base offset, as a full scan finds it. Entries past the .log (a torn tail cut back)
 * would send readers beyond the data; recovery must have removed them.
 */
function checkOffsetIndexes(dir: string, batches: readonly ScannedBatch[]): void {
  const batchAtOffset = new Map(batches.map((b) => [b.baseOffset, b]));
  for (const baseOffset of segmentBaseOffsets(fs.readdirSync(dir))) {
    const paths = segmentPaths(dir, baseOffset);
    if (!fs.existsSync(paths.index)) continue; // rebuilt at open when missing
    const log = fs.readFileSync(paths.log);
    const index = fs.readFileSync(paths.index);
    for (let at = 0; at + 8 <= index.length; at += 8) {
      const offset = baseOffset + index.readInt32BE(at);
      const position = index.readInt32BE(at + 4);
      const batch = batchAtOffset.get(offset);
      const there = batch === undefined ? null : log.subarray(position, position + batch.bytes.length);
      if (batch === undefined || there === null || !there.equals(batch.bytes)) {
        throw new Error(`${dir}: index entry ${at / 8} of segment ${baseOffset} (offset ${offset} -> position ${position}) does not point at that batch`);
      }
    }
  }
}

/** Fails with a message naming the duplicates or the missing values. */
export function expectEachOnce(present: readonly string[], acknowledged: Iterable<string>, context: string): void {
  const counts = new Map<string, number>();
  for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
  const missing: string[] = [];
  const duplicated: string[] = [];
  for (const v of acknowledged) {
    const n = counts.get(v) ?? 0;
    if (n === 0) missing.push(v);
    else if (n > 1) duplicated.push(v);
  }
  if (missing.length > 0 || duplicated.length > 0) {
    throw new Error(`${context}: ${missing.length} acknowledged records missing (${missing.slice(0, 5).join(', ')}), ${duplicated.length} duplicated (${duplicated.slice(0, 5).join(', ')})`);
  }
}
