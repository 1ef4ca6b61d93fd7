/**
 * How the CLI turns input lines into records and records into output lines.
 *
 * JSON lines (`--format json`), one object per line:
 *   {"key": "k" | null, "value": "text" | null | <any JSON>, "headers": {"h": "v" | null} or
 *    [{"key": "h", "value": "v" | null}], "partition": 0, "timestamp": 1700000000000}
 * All fields but value are optional; a non-string value is stored as its JSON text. "topic" and
 * "offset" are accepted and ignored so `consume --format json` output can be produced again;
 * any other field is an error (it is usually a typo).
 */
import type { RecordHeader } from '../protocol/record-batch.js';
import type { ConsumerRecord } from '../embedded/consumer.js';

export interface LineRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  partition?: number;
  timestamp?: number;
}

const JSON_FIELDS = new Set(['key', 'value', 'headers', 'partition', 'timestamp', 'topic', 'offset']);

/** Parses one JSON line; throws an Error whose message says what is wrong (no line number). */
export function parseJsonLine(line: Buffer): LineRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.toString('utf8'));
  } catch (err) {
    throw new Error(`invalid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('expected a JSON object like {"key": "k", "value": "v"}');
  }
  const object = parsed as Record<string, unknown>;
  for (const field of Object.keys(object)) {
    if (!JSON_FIELDS.has(field)) throw new Error(`unknown field "${field}" (expected key, value, headers, partition, timestamp)`);
  }
  if (!('value' in object)) throw new Error('missing "value" (use null for a tombstone)');
  const record: LineRecord = {
    key: nullableString(object.key, 'key'),
    value: object.value === null ? null : Buffer.from(typeof object.value === 'string' ? object.value : JSON.stringify(object.value), 'utf8'),
    headers: parseHeaders(object.headers),
  };
  if (object.partition !== undefined) record.partition = nonNegativeInteger(object.partition, 'partition');
  if (object.timestamp !== undefined) record.timestamp = nonNegativeInteger(object.timestamp, 'timestamp');
  return record;
}

function nullableString(value: unknown, field: string): Buffer | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Error(`"${field}" must be a string or null, got ${JSON.stringify(value)}`);
  return Buffer.from(value, 'utf8');
}

function nonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`"${field}" must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseHeaders(value: unknown): RecordHeader[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.map((entry: unknown, i) => {
      if (typeof entry !== 'object' || entry === null || typeof (entry as { key?: unknown }).key !== 'string') {
        throw new Error(`"headers"[${i}] must be {"key": "...", "value": "..." | null}`);
      }
      const header = entry as { key: string; value?: unknown };
      return { key: header.key, value: nullableString(header.value, `headers[${i}].value`) };
    });
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, value: nullableString(v, `headers.${key}`) }));
  }
  throw new Error('"headers" must be an object or an array of {"key", "value"}');
}

/** Splits at the first separator; a line without one is a keyless record with the whole line as value. */
export function splitKey(line: Buffer, separator: Buffer): { key: Buffer | null; value: Buffer } {
  const at = line.indexOf(separator);
  if (at === -1) return { key: null, value: line };
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length) };
}

export type OutputFormat = 'value' | 'json';

const NEWLINE = Buffer.from('\n');

/** Appends the output line(s) for `record` to `out` (Buffers, so binary values pass unchanged). */
export function formatRecord(record: ConsumerRecord, format: OutputFormat, keySeparator: Buffer | null, out: Buffer[]): void {
  if (format === 'json') {
    out.push(Buffer.from(JSON.stringify({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key?.toString('utf8') ?? null,
      value: record.value?.toString('utf8') ?? null,
      headers: record.headers.map((h) => ({ key: h.key, value: h.value?.toString('utf8') ?? null })),
    }) + '\n', 'utf8'));
    return;
  }
  if (keySeparator !== null) {
    if (record.key !== null) out.push(record.key);
    out.push(keySeparator);
  }
  if (record.value !== null) out.push(record.value);
  out.push(NEWLINE);
}
