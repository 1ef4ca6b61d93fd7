/**
 * Confluent REST Proxy v2's produce body (`POST /topics/{topic}`), embedded formats:
 *
 *   Content-Type: application/vnd.kafka.json.v2+json     (also plain application/json)
 *   {"records": [{"key": "k", "value": {"any": "json"}, "partition": 0}, {"value": 53.5}]}
 *     key and value are written as their JSON text, as REST Proxy's JSON serializer does
 *     ("k" is stored with its quotes); a missing or null key is no key.
 *   Content-Type: application/vnd.kafka.binary.v2+json
 *     key and value are base64 strings, written as the bytes they encode.
 *
 * The answer is REST Proxy's: {"key_schema_id": null, "value_schema_id": null, "offsets":
 * [{"partition": 0, "offset": 42, "error_code": null, "error": null}, ...]}, one entry per record in
 * request order; a record the log refused has partition and offset null and Kafka's error.
 */
import type { SendRecord } from '../../embedded/record-input.js';
import { HttpIngestError } from './ingest-errors.js';

export type EmbeddedFormat = 'json' | 'binary';

/** Records in the request, or an HttpIngestError (400) saying what is wrong; nothing is sent before. */
export function restProxyRecords(topic: string, body: Buffer, format: EmbeddedFormat, nowMs: number): SendRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalid(`the body is not JSON: ${(error as Error).message}`);
  }
  const records = (parsed as { records?: unknown } | null)?.records;
  if (!Array.isArray(records) || records.length === 0) throw invalid('the body needs a non-empty "records" array');
  return records.map((record: unknown, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) throw invalid(`records[${index}] is not an object`);
    const { key, value, partition } = record as { key?: unknown; value?: unknown; partition?: unknown };
    if (partition !== undefined && partition !== null && !(Number.isInteger(partition) && (partition as number) >= 0)) {
      throw invalid(`records[${index}].partition is not a partition number`);
    }
    return {
      topic,
      key: encode(key, format, `records[${index}].key`),
      value: encode(value, format, `records[${index}].value`),
      partition: typeof partition === 'number' ? partition : undefined,
      timestamp: nowMs,
    };
  });
}

function encode(data: unknown, format: EmbeddedFormat, where: string): Buffer | null {
  if (data === undefined || data === null) return null;
  if (format === 'json') return Buffer.from(JSON.stringify(data), 'utf8');
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) throw invalid(`${where} is not base64`);
  return Buffer.from(data, 'base64');
}

function invalid(message: string): HttpIngestError {
  return new HttpIngestError(400, 'INVALID_RECORD', message);
}
