/**
 * What the consumers check before decoding fetched bytes (Kafka consumers' check.crcs=true):
 *
 * - each whole batch's CRC-32C (it covers attributes to the end) and magic byte: a batch whose
 *   bytes changed at rest is corrupt, named by its offsets;
 * - that offsets run on from where the fetch started: on a topic that is not compacted a gap
 *   means data the broker could not read (a damaged length makes it skip to the next readable
 *   batch), so it is reported as damaged offsets instead of passing silently.
 *
 * Without skipping, the bytes handed on stop before the first problem (what precedes it is still
 * delivered) and the problem is returned, for the consumer to raise on its next poll. With
 * skipping, damaged batches are cut out, each problem is returned for reporting, and reading goes
 * on past it. Pure function over its arguments; main thread.
 */
import { CorruptRecordError } from '../common/errors.js';
import { crc32c } from '../protocol/crc32c.js';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD_BYTES, MAGIC_OFFSET,
} from '../protocol/record-batch.js';
import type { FetchedBatches } from './record-delivery.js';

/** Damaged data found in one partition's fetch: offsets [firstOffset, lastOffset] and why. */
export interface CorruptData {
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  reason: string;
}

/** Corrupt data where a consumer read, naming the topic, partition and offsets. */
export class CorruptDataError extends CorruptRecordError {
  constructor(readonly corrupt: CorruptData) {
    super(describeCorrupt(corrupt));
  }
}

export function describeCorrupt(c: CorruptData): string {
  const offsets = c.lastOffset > c.firstOffset ? `offsets ${c.firstOffset}-${c.lastOffset}` : `offset ${c.firstOffset}`;
  return `corrupt data in ${c.topic}-${c.partition} at ${offsets}: ${c.reason}`;
}

export interface CheckedFetch {
  /** What to decode: the fetched batches, less what was cut; null when nothing is left. */
  fetched: FetchedBatches | null;
  /** Where the next fetch starts. */
  nextOffset: number;
  /** Problems found, in offset order (without skipping, at most the first). */
  problems: CorruptData[];
}

/** `gapsAllowed`: the topic is compacted (the cleaner leaves gaps on purpose). */
export function checkFetched(fetched: FetchedBatches, options: { gapsAllowed: boolean; skip: boolean }): CheckedFetch {
  const { records: bytes, topic, partition, stopOffset } = fetched;
  const problems: CorruptData[] = [];
  const good: Buffer[] = [];
  let expected = fetched.fromOffset;
  let goodStart = 0;
  let pos = 0;
  while (bytes.length - pos >= BATCH_HEADER_BYTES) {
    const sizeBytes = bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > bytes.length - pos) break; // a partial last batch: the next fetch
    const baseOffset = Number(bytes.readBigInt64BE(pos + BASE_OFFSET_OFFSET));
    if (baseOffset >= stopOffset) break;
    const lastOffset = baseOffset + bytes.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    let problem: CorruptData | null = null;
    if (!options.gapsAllowed && baseOffset > expected) {
      problems.push({ topic, partition, firstOffset: expected, lastOffset: baseOffset - 1, reason: 'missing from the log (damaged data the broker could not read)' });
      if (!options.skip) return stopBefore(fetched, pos, expected, problems);
    }
    if (bytes.readInt8(pos + MAGIC_OFFSET) !== CURRENT_MAGIC) {
      problem = { topic, partition, firstOffset: baseOffset, lastOffset: Math.max(lastOffset, baseOffset), reason: `bad magic byte ${bytes.readInt8(pos + MAGIC_OFFSET)}` };
    } else {
      const stored = bytes.readUInt32BE(pos + CRC_OFFSET);
      const computed = crc32c(bytes.subarray(pos + ATTRIBUTES_OFFSET, pos + sizeBytes));
      if (stored !== computed) {
        problem = { topic, partition, firstOffset: baseOffset, lastOffset: Math.max(lastOffset, baseOffset), reason: `record batch fails its CRC-32C check (stored ${hex(stored)}, computed ${hex(computed)})` };
      }
    }
    if (problem !== null) {
      problems.push(problem);
      if (!options.skip) return stopBefore(fetched, pos, Math.max(expected, baseOffset), problems);
      if (pos > goodStart) good.push(bytes.subarray(goodStart, pos));
      goodStart = pos + sizeBytes;
    }
    expected = Math.max(expected, lastOffset + 1);
    pos += sizeBytes;
  }
  const nextOffset = Math.min(expected, stopOffset);
  if (problems.length === 0) return { fetched, nextOffset, problems };
  if (pos > goodStart) good.push(bytes.subarray(goodStart, pos));
  const records = good.length === 1 ? good[0]! : Buffer.concat(good);
  return { fetched: records.length === 0 ? null : { ...fetched, records }, nextOffset, problems };
}

/** The batches before `pos` only; the next fetch starts at the problem. */
function stopBefore(fetched: FetchedBatches, pos: number, nextOffset: number, problems: CorruptData[]): CheckedFetch {
  return { fetched: pos === 0 ? null : { ...fetched, records: fetched.records.subarray(0, pos) }, nextOffset, problems };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
