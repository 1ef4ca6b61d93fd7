/**
 * For the byte-path tests: the record SyslogRecords makes of one message (byte paths first) and
 * the one the general path alone makes (generalRecord), in the same comparable form.
 */
import { Routing } from '../../../src/inputs/routing.js';
import { InputStats } from '../../../src/inputs/stats.js';
import { generalRecord, NO_HEADERS, SyslogRecords, type SyslogFormat } from '../../../src/inputs/syslog/records.js';
import type { RecordHeader } from '../../../src/protocol/record-batch.js';

export interface Made {
  key: Buffer | null;
  value: Buffer;
  timestamp: number;
  headers: readonly RecordHeader[];
}

export function viaRecords(bytes: Buffer, format: SyslogFormat, routing: Routing, nowMs: number): Made {
  const records = new SyslogRecords(format, new InputStats('records'), routing);
  records.add(bytes, bytes.length, nowMs);
  const [record] = records.take();
  const key = record!.fields === null ? record!.key : routing.keyFor(record!.fields);
  return { key, value: record!.value!, timestamp: record!.timestamp, headers: record!.headers };
}

export function viaGeneralPath(bytes: Buffer, format: SyslogFormat, routing: Routing, nowMs: number): Made {
  const { record, text } = generalRecord(bytes, NO_HEADERS, nowMs, format, new InputStats('general'));
  const key = record.fields === null ? record.key : routing.keyFor(record.fields);
  return { key, value: text === null ? record.value! : Buffer.from(text, 'utf8'), timestamp: record.timestamp, headers: record.headers };
}

export const byHostname = (): Routing => new Routing({ topic: 'syslog', keyField: 'hostname' });
