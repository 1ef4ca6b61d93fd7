/**
 * OpenTelemetry logs over OTLP/HTTP, JSON encoding (`POST /v1/logs`, Content-Type
 * application/json): an ExportLogsServiceRequest
 *
 *   {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},
 *                      "scopeLogs": [{"scope": {"name": "app", "version": "1"},
 *                                     "logRecords": [{"timeUnixNano": "1700000000000000000", "severityNumber": 9,
 *                                                     "severityText": "INFO", "body": {"stringValue": "hello"},
 *                                                     "attributes": [...], "traceId": "...", "spanId": "..."}]}]}]}
 *
 * becomes one record per log record, its value the JSON
 *
 *   {"time_unix_nano": "...", "observed_time_unix_nano": "...", "severity_number": 9, "severity_text": "INFO",
 *    "body": "hello", "attributes": {...}, "resource": {"service.name": "web"}, "scope": {"name": "app", "version": "1"},
 *    "trace_id": "...", "span_id": "...", "flags": 0, "dropped_attributes_count": 0}
 *
 * with AnyValue flattened to plain JSON (int64 stays a string, as OTLP/JSON writes it; bytes stay
 * base64), resource and attributes kept whole; the record's timestamp is timeUnixNano (else
 * observedTimeUnixNano, else now). These objects are also the routing fields (`?topic=logs.{resource.service.name}`).
 */
import type { Fields } from '../routing.js';
import type { InputRecord } from '../sink.js';
import { HttpIngestError } from './ingest-errors.js';

type AnyValue = Record<string, unknown>;

export function otlpLogRecords(body: Buffer, nowMs: number): InputRecord[] {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalid(`the body is not JSON: ${(error as Error).message}`);
  }
  const resourceLogs = (request as { resourceLogs?: unknown } | null)?.resourceLogs;
  if (!Array.isArray(resourceLogs)) throw invalid('the body is not an ExportLogsServiceRequest (no "resourceLogs" array)');
  const records: InputRecord[] = [];
  for (const resourceLog of resourceLogs as Array<Record<string, unknown>>) {
    const resource = keyValues((resourceLog?.resource as Record<string, unknown> | undefined)?.attributes);
    for (const scopeLog of arrayOf(resourceLog?.scopeLogs) as Array<Record<string, unknown>>) {
      const scopeObject = (scopeLog?.scope ?? {}) as Record<string, unknown>;
      const scope = { name: scopeObject.name ?? null, version: scopeObject.version ?? null, attributes: keyValues(scopeObject.attributes) };
      for (const logRecord of arrayOf(scopeLog?.logRecords) as Array<Record<string, unknown>>) {
        records.push(logRecordOf(logRecord ?? {}, resource, scope, nowMs));
      }
    }
  }
  return records;
}

function logRecordOf(log: Record<string, unknown>, resource: Fields, scope: Fields, nowMs: number): InputRecord {
  const value: Fields = {
    time_unix_nano: log.timeUnixNano ?? null,
    observed_time_unix_nano: log.observedTimeUnixNano ?? null,
    severity_number: log.severityNumber ?? null,
    severity_text: log.severityText ?? null,
    body: log.body === undefined ? null : anyValue(log.body as AnyValue),
    attributes: keyValues(log.attributes),
    resource,
    scope,
    trace_id: log.traceId ?? null,
    span_id: log.spanId ?? null,
    flags: log.flags ?? null,
    dropped_attributes_count: log.droppedAttributesCount ?? 0,
  };
  const timestamp = nanosToMs(log.timeUnixNano) ?? nanosToMs(log.observedTimeUnixNano) ?? nowMs;
  return { key: null, value: Buffer.from(JSON.stringify(value)), headers: [], timestamp, fields: value };
}

function nanosToMs(nanos: unknown): number | null {
  if (typeof nanos !== 'string' && typeof nanos !== 'number') return null;
  if (!/^\d+$/.test(String(nanos)) || String(nanos) === '0') return null;
  return Number(BigInt(nanos) / 1_000_000n);
}

/** OTLP KeyValue list → object (without a prototype: a key "__proto__" is kept as any other). */
function keyValues(list: unknown): Fields {
  const out = Object.create(null) as Fields;
  for (const entry of arrayOf(list) as Array<{ key?: unknown; value?: AnyValue }>) {
    if (typeof entry?.key === 'string') out[entry.key] = entry.value === undefined ? null : anyValue(entry.value);
  }
  return out;
}

function anyValue(value: AnyValue | null): unknown {
  if (value === null || typeof value !== 'object') return null;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return value.intValue;
  if ('doubleValue' in value) return value.doubleValue;
  if ('bytesValue' in value) return value.bytesValue;
  if ('arrayValue' in value) return arrayOf((value.arrayValue as { values?: unknown })?.values).map((v) => anyValue(v as AnyValue));
  if ('kvlistValue' in value) return keyValues((value.kvlistValue as { values?: unknown })?.values);
  return null;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function invalid(message: string): HttpIngestError {
  return new HttpIngestError(400, 'INVALID_REQUEST', message);
}
