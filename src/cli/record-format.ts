/**
 * How `brook produce --format json` turns input lines into records (output: output-format.ts).
 *
 * JSON lines, one object per line:
 *   {"key": "k" | null, "value": "text" | null | <any JSON>, "headers": {"h": "v" | null} or
 *    [{"key": "h", "value": "v" | null}], "partition": 0, "timestamp": 1700000000000}
 * All fields but value are optional; a non-string value is stored as its JSON text. Bytes that
 * are not text come as base64 in "keyBase64" / "valueBase64" (also in a header entry) instead of
 * "key" / "value", as `brook consume --format json --base64` writes them. "topic" and "offset"
 * are accepted and ignored so `consume --format json` output can be produced again (a timestamp
 * may be epoch ms or an ISO 8601 string, as --time-format iso writes it); any other field is an
 * error (it is usually a typo).
 */
import type { RecordHeader } from '../protocol/record-batch.js';

export interface LineRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  partition?: number;
  timestamp?: number;
}

const JSON_FIELDS = new Set(['key', 'value', 'keyBase64', 'valueBase64', 'headers', 'partition', 'timestamp', 'topic', 'offset']);

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
    if (!JSON_FIELDS.has(field)) throw new Error(`unknown field "${field}" (expected key, value, keyBase64, valueBase64, headers, partition, timestamp)`);
  }
  if (!('value' in object) && !('valueBase64' in object)) throw new Error('missing "value" (use null for a tombstone)');
  if ('value' in object && 'valueBase64' in object) throw new Error('give only one of "value" and "valueBase64"');
  if ('key' in object && 'keyBase64' in object) throw new Error('give at most one of "key" and "keyBase64"');
  const record: LineRecord = {
    key: 'keyBase64' in object ? base64Field(object.keyBase64, 'keyBase64') : nullableString(object.key, 'key'),
    value: 'valueBase64' in object ? base64Field(object.valueBase64, 'valueBase64')
      : object.value === null ? null : Buffer.from(typeof object.value === 'string' ? object.value : JSON.stringify(object.value), 'utf8'),
    headers: parseHeaders(object.headers),
  };
  if (object.partition !== undefined) record.partition = nonNegativeInteger(object.partition, 'partition');
  if (object.timestamp !== undefined) record.timestamp = timestampField(object.timestamp);
  return record;
}

function nullableString(value: unknown, field: string): Buffer | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Error(`"${field}" must be a string or null, got ${JSON.stringify(value)}`);
  return Buffer.from(value, 'utf8');
}

/** Base64 text (standard alphabet, padding optional) to bytes; anything else is an error. */
function base64Field(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) {
    throw new Error(`"${field}" must be base64 text, got ${JSON.stringify(value)}`);
  }
  return Buffer.from(value, 'base64');
}

/** Epoch milliseconds, or an ISO 8601 time with a zone ("2024-05-01T12:00:00.000Z"). */
function timestampField(value: unknown): number {
  if (typeof value === 'string') {
    const ms = parseIsoTime(value);
    if (ms === null) throw new Error(`"timestamp" must be epoch milliseconds or an ISO 8601 time with a zone, got ${JSON.stringify(value)}`);
    return ms;
  }
  return nonNegativeInteger(value, 'timestamp');
}

/** An ISO 8601 date-time with a zone (Z or ±hh:mm) to epoch ms; null if it is not one. */
export function parseIsoTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
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
      const header = entry as { key: string; value?: unknown; valueBase64?: unknown };
      if ('valueBase64' in header) return { key: header.key, value: base64Field(header.valueBase64, `headers[${i}].valueBase64`) };
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
