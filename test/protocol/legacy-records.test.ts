import zlib from 'node:zlib';
import lz4 from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { Compression, compress } from '../../src/protocol/compression.js';
import { DecodeError } from '../../src/protocol/decode-error.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { downConvert, encodeMessage, LegacyRecordsError, readMessageSet, upConvert, type LegacyMessage } from '../../src/protocol/legacy-records.js';
import { decodeRecords, encodeRecordBatch, iterateBatches, readBatchHeader } from '../../src/protocol/record-batch.js';
import { xxhash32 } from '../../src/protocol/xxhash32.js';

const MAX = 1 << 20;
const message = (offset: number, magic: number, value: string, key: string | null = null, timestamp = -1): LegacyMessage => ({
  offset, magic, timestamp, logAppendTime: false, key: key === null ? null : Buffer.from(key), value: Buffer.from(value),
});

/** A compressed wrapper as a Kafka 0.10 producer writes it (magic 1: inner offsets 0..n-1). */
function wrapper(codec: number, magic: number, inner: LegacyMessage[], wrapperOffset: number): Buffer {
  const set = Buffer.concat(inner.map((m) => encodeMessage(m)));
  const compressed = codec === Compression.lz4 ? lz4.compressFrameSync(set) : compress(codec, set);
  return encodeMessage({ offset: wrapperOffset, magic, timestamp: magic === 1 ? 1_700_000_000_000 : -1, logAppendTime: false, key: null, value: compressed }, codec);
}

describe('xxhash32', () => {
  it('matches the reference vectors', () => {
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('message sets (magic 0 and 1)', () => {
  it('reads plain messages of both formats with keys, values and timestamps', () => {
    const set = Buffer.concat([encodeMessage(message(0, 0, 'a', 'k')), encodeMessage(message(1, 1, 'b', null, 1234))]);
    expect(readMessageSet(set, MAX).map((m) => [m.offset, m.magic, m.key?.toString() ?? null, m.value!.toString(), m.timestamp]))
      .toEqual([[0, 0, 'k', 'a', -1], [1, 1, null, 'b', 1234]]);
  });

  it('opens gzip, snappy and lz4 wrappers', () => {
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4]) {
      const inner = [message(0, 1, 'x', 'k0', 10), message(1, 1, 'y', 'k1', 11)];
      expect(readMessageSet(wrapper(codec, 1, inner, 1), MAX).map((m) => m.value!.toString())).toEqual(['x', 'y']);
    }
  });

  it('reads a magic-0 lz4 wrapper whose frame header checksum covers the frame magic (Kafka 0.8-0.9 writers)', () => {
    const set = encodeMessage(message(0, 0, 'old lz4'));
    const frame = Buffer.from(lz4.compressFrameSync(set));
    const flags = frame[4]!;
    const descriptorEnd = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0);
    frame[descriptorEnd] = (xxhash32(frame.subarray(0, descriptorEnd)) >>> 8) & 0xff; // the old, broken checksum
    const broken = encodeMessage({ ...message(0, 0, ''), value: frame }, Compression.lz4);
    expect(readMessageSet(broken, MAX).map((m) => m.value!.toString())).toEqual(['old lz4']);
  });

  it('refuses a CRC mismatch, a truncated message, nested compression and zstd', () => {
    const good = encodeMessage(message(0, 1, 'value'));
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 1;
    expect(() => readMessageSet(flipped, MAX)).toThrow(DecodeError);
    expect(() => readMessageSet(good.subarray(0, good.length - 2), MAX)).toThrow(DecodeError);
    const nested = encodeMessage({ ...message(0, 1, ''), value: zlib.gzipSync(wrapper(Compression.gzip, 1, [message(0, 1, 'deep')], 0)) }, Compression.gzip);
    expect(() => readMessageSet(nested, MAX)).toThrow(DecodeError);
    const zstd = encodeMessage({ ...message(0, 1, ''), value: compress(Compression.zstd, good) }, Compression.zstd);
    expect(() => readMessageSet(zstd, MAX)).toThrow(LegacyRecordsError);
    try {
      readMessageSet(zstd, MAX);
    } catch (error) {
      expect((error as LegacyRecordsError).errorCode).toBe(ErrorCode.INVALID_RECORD);
    }
  });
});

describe('up-conversion (Produce v0-v2)', () => {
  it('turns a compressed magic-1 message set into one v2 batch with the same codec, keys, values and timestamps', () => {
    const inner = [message(0, 1, 'one', 'a', 1_700_000_000_001), message(1, 1, 'two', 'b', 1_700_000_000_002)];
    const batch = upConvert(wrapper(Compression.snappy, 1, inner, 1), 99, MAX);
    const header = readBatchHeader(batch);
    expect([header.magic, header.attributes & 7, header.recordsCount, header.lastOffsetDelta]).toEqual([2, Compression.snappy, 2, 1]);
    expect(decodeRecords(batch).map((r) => [r.offset, r.key!.toString(), r.value!.toString(), r.timestamp]))
      .toEqual([[0, 'a', 'one', 1_700_000_000_001], [1, 'b', 'two', 1_700_000_000_002]]);
  });

  it('stamps magic-0 messages, which have no timestamp, with the arrival time', () => {
    const batch = upConvert(Buffer.concat([encodeMessage(message(0, 0, 'a')), encodeMessage(message(1, 0, 'b'))]), 1_700_000_123_456, MAX);
    expect(decodeRecords(batch).map((r) => [r.value!.toString(), r.timestamp])).toEqual([['a', 1_700_000_123_456], ['b', 1_700_000_123_456]]);
  });
});

describe('down-conversion (Fetch v0-v3)', () => {
  it('writes the records of v2 batches as uncompressed messages with absolute offsets, from the fetch offset on', () => {
    const first = encodeRecordBatch([{ key: Buffer.from('k0'), value: Buffer.from('v0'), timestamp: 5 }, { value: Buffer.from('v1'), timestamp: 6 }], { baseOffset: 10, compression: Compression.gzip });
    const second = encodeRecordBatch([{ value: Buffer.from('v2'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: 7 }], { baseOffset: 12 });
    const records = Buffer.concat([first, second, second.subarray(0, 20)]); // a partial batch at the end is left out
    for (const magic of [0, 1] as const) {
      const converted = readMessageSet(downConvert(records, magic, 11), MAX);
      expect(converted.map((m) => [m.offset, m.magic, m.value!.toString(), m.timestamp]))
        .toEqual([[11, magic, 'v1', magic === 1 ? 6 : -1], [12, magic, 'v2', magic === 1 ? 7 : -1]]);
    }
  });

  it('round-trips through up-conversion', () => {
    const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 42 }], { baseOffset: 0 });
    const again = upConvert(downConvert(batch, 1, 0), 0, MAX);
    expect([...iterateBatches(again)]).toHaveLength(1);
    expect(decodeRecords(again).map((r) => [r.key!.toString(), r.value!.toString(), r.timestamp])).toEqual([['k', 'v', 42]]);
  });
});
