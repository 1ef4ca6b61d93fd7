/**
 * What a caller may hand the producer (strings or Buffers, headers as a map or a list) and its
 * normalisation into the codec's ProducerRecord, plus the size bound the producer batches by.
 */
import type { ProducerRecord, RecordHeader } from '../protocol/record-batch.js';

export type BytesInput = Buffer | Uint8Array | string;

export type HeadersInput =
  | Record<string, BytesInput | null>
  | ReadonlyArray<{ key: string; value: BytesInput | null }>;

export interface SendRecord {
  topic: string;
  key?: BytesInput | null;
  value: BytesInput | null;
  headers?: HeadersInput;
  /** Pins the record to a partition; otherwise keyed records hash (murmur2), keyless ones stick. */
  partition?: number;
  /** Create time in ms; defaults to the time of `send`. */
  timestamp?: number;
}

/**
 * The most bytes one record can add to a batch beyond its key, value and header bytes: length
 * varint (5) + attributes (1) + timestampDelta varlong (10) + offsetDelta (5) + key and value
 * lengths (5 + 5) + header count (5), and 10 per header for its two lengths. Using the bound (not
 * the exact size) keeps an encoded batch at or under the producer's batchBytes.
 */
export const RECORD_OVERHEAD_BYTES_MAX = 36;
const HEADER_OVERHEAD_BYTES_MAX = 10;

export function toBytes(input: BytesInput | null | undefined): Buffer | null {
  if (input === null || input === undefined) return null;
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`expected a string, Buffer or null, got ${typeof input}`);
}

export function toHeaders(input: HeadersInput | undefined): RecordHeader[] {
  if (input === undefined) return [];
  if (Array.isArray(input)) {
    return input.map((h: { key: string; value: BytesInput | null }) => ({ key: String(h.key), value: toBytes(h.value) }));
  }
  return Object.entries(input as Record<string, BytesInput | null>).map(([key, value]) => ({ key, value: toBytes(value) }));
}

export function toProducerRecord(record: SendRecord, nowMs: number): ProducerRecord {
  return {
    key: toBytes(record.key),
    value: toBytes(record.value),
    headers: toHeaders(record.headers),
    timestamp: record.timestamp ?? nowMs,
  };
}

/** Upper bound of the bytes this record adds to an uncompressed batch. */
export function recordBytesMax(record: { key?: Buffer | null; value?: Buffer | null; headers?: readonly RecordHeader[] }): number {
  let bytes = RECORD_OVERHEAD_BYTES_MAX + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers ?? []) {
    bytes += HEADER_OVERHEAD_BYTES_MAX + Buffer.byteLength(header.key) + (header.value?.length ?? 0);
  }
  return bytes;
}
