/**
 * The console's message browser: reads records of one partition (or all) through Broker.fetch,
 * from an offset, a timestamp (ListOffsets), the oldest or the newest, with an optional substring
 * filter on key or value, and a cursor (next offset per partition) for "newer" pages and the live
 * tail. Bounded: at most RECORDS_LIMIT_MAX records shown and SCAN_RECORDS_MAX records read per
 * partition per request (a filter that matches nothing stops there and says how far it got).
 * Main thread.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRecords, iterateBatches, ATTR_CONTROL } from '../protocol/record-batch.js';
import type { FetchRequest, FetchResult, PartitionState } from '../engine/broker.js';
import type { MetricsBroker } from '../metrics/source.js';

export const RECORDS_LIMIT_DEFAULT = 50;
export const RECORDS_LIMIT_MAX = 500;
const SCAN_RECORDS_MAX = 20_000;
const FETCH_BYTES = 1024 * 1024;
/** Longest key or value text shown; longer ones are cut (the bytes stay in the log). */
const TEXT_CHARS_MAX = 64 * 1024;

export interface BrowseBroker extends MetricsBroker {
  fetch(requests: FetchRequest[], options: { maxWaitMs: number; minBytes: number; maxBytes: number }): Promise<FetchResult[]>;
  listOffset(topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; timestamp: number }>;
  /** The state of a partition, opening it first if the engine opens partitions lazily. */
  loadPartitionState?(topic: string, partition: number): Promise<PartitionState | undefined>;
}

/** Browsing reads the partition anyway, so it may open one not open yet (metrics never do). */
export async function openedState(broker: BrowseBroker, topic: string, partition: number): Promise<PartitionState | undefined> {
  return (await broker.loadPartitionState?.(topic, partition)) ?? broker.partitionState(topic, partition);
}

export type StartFrom = 'oldest' | 'newest' | 'offset' | 'timestamp';

export interface BrowseRequest {
  topic: string;
  /** One partition, or every partition of the topic merged by timestamp. */
  partition: number | 'all';
  from: StartFrom;
  offset?: number;
  timestampMs?: number;
  limit: number;
  /** Substring looked for in the key and the value (as UTF-8 text). */
  filter?: string;
  /** Next offset per partition from a previous answer: continue there (overrides `from`). */
  cursor?: Map<number, number>;
}

export interface ShownBytes {
  /** UTF-8 text, or for bytes that are not valid UTF-8, their base64. */
  text: string;
  encoding: 'utf8' | 'base64';
  /** The text pretty-printed when it parses as JSON. */
  json: string | null;
  sizeBytes: number;
  truncated: boolean;
}

export interface BrowsedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: ShownBytes | null;
  value: ShownBytes | null;
  headers: { key: string; value: string | null }[];
}

export interface BrowseResult {
  records: BrowsedRecord[];
  /** Where the next page (or tail poll) continues, per partition. */
  cursor: Record<number, number>;
  /** Records read to find these (filtering may read many more than it shows). */
  scannedRecordCount: number;
  /** False when the scan bound stopped a partition before its high watermark. */
  reachedEnd: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function showBytes(bytes: Buffer | null): ShownBytes | null {
  if (bytes === null) return null;
  let text: string;
  let encoding: ShownBytes['encoding'] = 'utf8';
  try {
    text = utf8.decode(bytes);
  } catch {
    text = bytes.toString('base64');
    encoding = 'base64';
  }
  const truncated = text.length > TEXT_CHARS_MAX;
  if (truncated) text = text.slice(0, TEXT_CHARS_MAX);
  let json: string | null = null;
  const first = text.trimStart()[0];
  if (encoding === 'utf8' && !truncated && (first === '{' || first === '[')) {
    try {
      json = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      json = null;
    }
  }
  return { text, encoding, json, sizeBytes: bytes.length, truncated };
}

function matches(filter: string | undefined, key: Buffer | null, value: Buffer | null): boolean {
  if (filter === undefined || filter === '') return true;
  return (key !== null && key.includes(filter)) || (value !== null && value.includes(filter));
}

async function startOffset(broker: BrowseBroker, request: BrowseRequest, partition: number, logStartOffset: number, highWatermark: number): Promise<number> {
  const fromCursor = request.cursor?.get(partition);
  if (fromCursor !== undefined) return Math.min(Math.max(fromCursor, logStartOffset), highWatermark);
  switch (request.from) {
    case 'oldest':
      return logStartOffset;
    case 'newest':
      return Math.max(logStartOffset, highWatermark - request.limit);
    case 'offset':
      return Math.min(Math.max(request.offset ?? 0, logStartOffset), highWatermark);
    case 'timestamp': {
      const found = await broker.listOffset(request.topic, partition, request.timestampMs ?? 0);
      return found.errorCode !== ErrorCode.NONE || found.offset < 0 ? highWatermark : found.offset;
    }
  }
}

interface PartitionScan {
  partition: number;
  matched: BrowsedRecord[];
  /** The offset after the last record read. */
  scannedTo: number;
  start: number;
  scannedRecordCount: number;
  reachedEnd: boolean;
}

async function scanPartition(broker: BrowseBroker, request: BrowseRequest, partition: number): Promise<PartitionScan> {
  const state = await openedState(broker, request.topic, partition);
  if (state === undefined) return { partition, matched: [], scannedTo: 0, start: 0, scannedRecordCount: 0, reachedEnd: true };
  const start = await startOffset(broker, request, partition, state.logStartOffset, state.highWatermark);
  const scan: PartitionScan = { partition, matched: [], scannedTo: start, start, scannedRecordCount: 0, reachedEnd: false };
  while (scan.matched.length < request.limit && scan.scannedRecordCount < SCAN_RECORDS_MAX) {
    const [result] = await broker.fetch(
      [{ topic: request.topic, partition, fetchOffset: scan.scannedTo, partitionMaxBytes: FETCH_BYTES }],
      { maxWaitMs: 0, minBytes: 0, maxBytes: FETCH_BYTES },
    );
    if (result === undefined || result.errorCode !== ErrorCode.NONE || result.records === null || result.records.length === 0) break;
    const before = scan.scannedTo;
    for (const { pos, sizeBytes, header } of iterateBatches(result.records)) {
      if ((header.attributes & ATTR_CONTROL) !== 0) {
        scan.scannedTo = Math.max(scan.scannedTo, header.baseOffset + header.lastOffsetDelta + 1);
        continue;
      }
      for (const record of decodeRecords(result.records.subarray(pos, pos + sizeBytes))) {
        if (record.offset < scan.scannedTo) continue;
        if (scan.matched.length >= request.limit || scan.scannedRecordCount >= SCAN_RECORDS_MAX) break;
        scan.scannedTo = record.offset + 1;
        scan.scannedRecordCount++;
        if (!matches(request.filter, record.key, record.value)) continue;
        scan.matched.push({
          partition, offset: record.offset, timestamp: record.timestamp, key: showBytes(record.key), value: showBytes(record.value),
          headers: record.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
        });
      }
    }
    if (scan.scannedTo === before) break; // nothing new below the high watermark
  }
  scan.reachedEnd = scan.scannedTo >= (broker.partitionState(request.topic, partition)?.highWatermark ?? 0);
  return scan;
}

/** Reads the records `request` asks for; throws nothing for empty or unknown partitions (they show none). */
export async function browse(broker: BrowseBroker, request: BrowseRequest, partitionCount: number): Promise<BrowseResult> {
  const partitions = request.partition === 'all' ? Array.from({ length: partitionCount }, (_, p) => p) : [request.partition];
  const scans = await Promise.all(partitions.map((p) => scanPartition(broker, request, p)));
  let records = scans.flatMap((s) => s.matched).sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
  // "Newest" keeps the latest records across partitions; otherwise the earliest, and the cursor resumes after them.
  const newest = request.from === 'newest' && request.cursor === undefined;
  records = newest ? records.slice(-request.limit) : records.slice(0, request.limit);
  const cursor: Record<number, number> = {};
  for (const scan of scans) {
    const shown = records.filter((r) => r.partition === scan.partition);
    // Newest drops older records only, so every partition resumes after what it read.
    const allShown = newest || shown.length === scan.matched.length;
    cursor[scan.partition] = allShown ? scan.scannedTo : shown.length > 0 ? shown[shown.length - 1]!.offset + 1 : scan.start;
  }
  return {
    records,
    cursor,
    scannedRecordCount: scans.reduce((sum, s) => sum + s.scannedRecordCount, 0),
    reachedEnd: scans.every((s) => s.reachedEnd),
  };
}

/** `0:12,1:40` → partition → offset; null when malformed. */
export function parseCursor(raw: string): Map<number, number> | null {
  const cursor = new Map<number, number>();
  for (const part of raw.split(',')) {
    const match = /^(\d+):(\d+)$/.exec(part.trim());
    if (match === null) return null;
    cursor.set(Number(match[1]), Number(match[2]));
  }
  return cursor;
}

export function formatCursor(cursor: Record<number, number>): string {
  return Object.entries(cursor).map(([p, o]) => `${p}:${o}`).join(',');
}
