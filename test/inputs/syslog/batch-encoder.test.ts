/**
 * The syslog batch encoder (batch-encoder.ts) against the record path (SyslogRecords + the sink's
 * routing + the producer's placement): for any run of messages, cut into reads anywhere, the
 * batches it encodes hold, partition by partition and in order, the records the record path
 * makes (key, value, timestamp, headers), keyed records on murmur2's partition, and each batch is
 * one the broker's validator accepts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../../src/embedded/bulk-batch-builder.js';
import type { EncodedBatch } from '../../../src/embedded/bulk-encoded.js';
import { longLines } from '../../../src/inputs/long-lines.js';
import { Routing } from '../../../src/inputs/routing.js';
import { InputStats } from '../../../src/inputs/stats.js';
import { SlabPool, SyslogBatchEncoder, type SlabBatch } from '../../../src/inputs/syslog/batch-encoder.js';
import { SyslogFramer } from '../../../src/inputs/syslog/framing.js';
import { SyslogRecords, type SyslogFormat } from '../../../src/inputs/syslog/records.js';
import { partitionForKey } from '../../../src/protocol/partitioner.js';
import { decodeRecords } from '../../../src/protocol/record-batch.js';
import { RecordWalker } from '../../../src/protocol/record-walker.js';
import { checkBatchHeader, checkRecords } from '../../../src/storage/log-validator.js';

const now = Date.UTC(2026, 0, 2, 3, 4, 5);

const token = fc.oneof(fc.constant('-'), fc.stringMatching(/^[!-~]{1,8}$/), fc.constantFrom('host1', 'host2', 'app', 'ID47', '4242'));
const timestamp = fc.oneof(
  fc.constant('-'),
  fc.constantFrom('2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123456Z', '2024-05-01T12:00:01.5+02:00', '2024-13-01T12:00:00Z'),
  fc.integer({ min: 0, max: 999_999 }).map((us) => `2024-05-01T12:00:00.${String(us).padStart(6, '0')}Z`),
);
/** MSG text without LF (the framing's separator): quotes, controls, non-ASCII, invalid UTF-8 now and then. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\n', ' ')),
  fc.constantFrom('message 1 lorem ipsum', 'a "quoted" \\ path\t\x01 é 日本', '', '\xff\xfe bad', 'C:\\logs\\app.log'),
);
const header = fc.tuple(fc.integer({ min: 0, max: 191 }), token, token, token, token,
  fc.constantFrom('-', '-', '[x@1 a="b"]', '[timeQuality tzKnown="1" isSynced="0"]', '[a@1 p="q\\"r\\]s\\t"][b@2]', '[7 a="b"]'));
/** Runs of messages sharing a header (one app logging), as the byte path's shortcut expects. */
const messages = fc.array(fc.tuple(header, fc.array(fc.tuple(timestamp, fc.option(text)), { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 12 })
  .map((runs) => runs.flatMap(([[pri, host, app, proc, id, sd], lines]) =>
    lines.map(([ts, msg]) => `<${pri}>1 ${ts} ${host} ${app} ${proc} ${id} ${sd}${msg === null ? '' : ` ${msg}`}`)));
/** Now and then a line that is not RFC 5424 at all, or an RFC 3164 one. */
const lines = fc.tuple(messages, fc.array(fc.constantFrom('<13>Oct 11 22:14:15 host3 su: hello', 'no priority here', '<999>1 - - - - - -'), { maxLength: 2 }))
  .map(([good, odd]) => [...good, ...odd]);

interface Expected {
  partition: number | null;
  key: string | null;
  value: string;
  timestamp: number;
  headers: string[];
}

function headerStrings(headers: ReadonlyArray<{ key: string; value: Buffer | null }>): string[] {
  return headers.map((h) => `${h.key}=${h.value?.toString('latin1') ?? 'null'}`);
}

/** What the record path makes of the lines (partition null: keyless, any partition will do). */
function expected(data: Buffer, format: SyslogFormat, routing: Routing, partitionCount: number, maxLineBytes: number): Expected[] {
  const records = new SyslogRecords(format, new InputStats('expected'), routing);
  const framer = new SyslogFramer(longLines(maxLineBytes), {
    frame: (source, start, end, originalBytes) => records.add(source.subarray(start, end), originalBytes, now),
    skipped: () => {},
  });
  framer.push(data);
  return records.take().map((record) => {
    const key = record.fields === null ? record.key : routing.keyFor(record.fields);
    return {
      partition: key === null ? null : partitionForKey(key, partitionCount),
      key: key?.toString('latin1') ?? null,
      value: record.value!.toString('latin1'),
      timestamp: record.timestamp,
      headers: headerStrings(record.headers),
    };
  });
}

/** The encoder's batches for the same bytes, read in `cuts`-sized pieces, taken every `takeEvery` reads. */
function encoded(data: Buffer, format: SyslogFormat, routing: Routing, limits: { partitionCount: number; batchBytesMax: number },
  maxLineBytes: number, cuts: number[], takeEvery: number): EncodedBatch[] {
  const pool = new SlabPool();
  const encoder = new SyslogBatchEncoder(format, new InputStats('encoded'), routing, pool);
  const framer = new SyslogFramer(longLines(maxLineBytes), {
    frame: (source, start, end, originalBytes) => encoder.add(source, start, end, originalBytes, now),
    skipped: () => {},
  });
  const batches: EncodedBatch[] = [];
  const taken: SlabBatch[][] = [];
  for (let pos = 0, read = 0; pos < data.length; read++) {
    const size = cuts[read % cuts.length]!;
    const chunk = Buffer.from(data.subarray(pos, pos + size)); // a socket's fresh buffer per read
    pos += size;
    encoder.begin(chunk, limits);
    framer.push(chunk);
    if (read % takeEvery === 0 || encoder.holdsFullBatches) taken.push(encoder.take());
    // Acknowledge (release) an older take: its slab may go to a later slab, which must not
    // disturb the batches handed over before.
    if (taken.length > 2) batches.push(...released(pool, taken.shift()!));
  }
  taken.push(encoder.take());
  for (const batch of taken) batches.push(...released(pool, batch));
  return batches;
}

/** Copies the batches (as the producer's ring copy would) before their slabs go back to the pool. */
function released(pool: SlabPool, batches: SlabBatch[]): EncodedBatch[] {
  const copies = batches.map((batch) => ({ ...batch, buffer: Buffer.from(batch.buffer) }));
  for (const batch of batches) if (batch.slab !== null) pool.give(batch.slab);
  return copies;
}

function decoded(batch: EncodedBatch): Array<Omit<Expected, 'partition'>> {
  const sealed = BatchBuilder.encoded(Buffer.from(batch.buffer), batch.recordCount, batch.baseTimestampMs, batch.maxTimestampMs).seal();
  const policy = { requireKeys: false, timestampType: 'CreateTime' as const, timestampBeforeMaxMs: Infinity, timestampAfterMaxMs: Infinity };
  expect(checkBatchHeader(sealed, 0)).toBeNull();
  expect(checkRecords(new RecordWalker(), sealed, policy, now)).toBeNull();
  return decodeRecords(sealed).map((record) => ({
    key: record.key?.toString('latin1') ?? null,
    value: record.value!.toString('latin1'),
    timestamp: record.timestamp,
    headers: headerStrings(record.headers),
  }));
}

describe('the syslog batch encoder', () => {
  it('encodes, per partition and in order, the records the record path makes, in batches the broker accepts', () => {
    fc.assert(fc.property(
      lines, fc.constantFrom<SyslogFormat>('json', 'raw'), fc.constantFrom('hostname', undefined), fc.constantFrom(1, 3),
      fc.constantFrom(Infinity, 4096, 600), fc.constantFrom(1 << 20, 40), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 3 }),
      (textLines, format, keyField, partitionCount, batchBytesMax, maxLineBytes, cuts, takeEvery) => {
        const data = Buffer.concat(textLines.map((line) => Buffer.concat([Buffer.from(line, 'latin1'), Buffer.from('\n')])));
        const routing = new Routing({ topic: 'syslog', keyField });
        const want = expected(data, format, routing, partitionCount, maxLineBytes);
        const batches = encoded(data, format, routing, { partitionCount, batchBytesMax }, maxLineBytes, cuts, takeEvery);
        const got = new Map<number, Array<Omit<Expected, 'partition'>>>();
        for (const batch of batches) {
          expect(batch.partition).toBeGreaterThanOrEqual(0);
          expect(batch.partition).toBeLessThan(partitionCount);
          if (batch.recordCount > 1) expect(batch.buffer.length).toBeLessThanOrEqual(batchBytesMax);
          got.set(batch.partition, [...(got.get(batch.partition) ?? []), ...decoded(batch)]);
        }
        // Keyed records: on murmur2's partition, in order there. Keyless ones: in order on whichever.
        for (let partition = 0; partition < partitionCount; partition++) {
          const keyed = (got.get(partition) ?? []).filter((record) => record.key !== null);
          expect(keyed).toEqual(want.filter((record) => record.partition === partition).map(({ partition: _, ...record }) => record));
        }
        const keyless = [...got.values()].flat().filter((record) => record.key === null);
        expect(keyless.length).toBe(want.filter((record) => record.key === null).length);
        if (partitionCount === 1) expect(got.get(0) ?? []).toEqual(want.map(({ partition: _, ...record }) => record));
      },
    ), { numRuns: 400 });
  });

  it('gives an empty slab back on take(), so a connection idle after a partial line holds none', () => {
    const pool = new SlabPool();
    const encoder = new SyslogBatchEncoder('json', new InputStats('idle'), new Routing({ topic: 'syslog', keyField: 'hostname' }), pool);
    encoder.begin(Buffer.from('<13>1 - host app - - - no LF yet'), { partitionCount: 1, batchBytesMax: 1 << 20 });
    expect(encoder.holdsRecords).toBe(false);
    expect(pool.spareCount).toBe(0);
    expect(encoder.take()).toEqual([]);
    expect(pool.spareCount).toBe(1);
  });
});
