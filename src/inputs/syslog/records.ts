/**
 * From one syslog message (the bytes of a datagram or a frame) to the record the syslog input
 * writes:
 *   value      JSON of the parsed message (message.ts), or with format 'raw' the bytes as received
 *   key        routing's key field (default `hostname`)
 *   timestamp  the message's own time; the time of receipt when it has none or did not parse
 *   headers    `brook.truncated: <original bytes>` when cut at max_line_bytes;
 *              `brook.parse-error: <reason>` when it did not parse (RFC 5424 and RFC 3164 both
 *              failed, or the bytes are not UTF-8): the value is then the bytes as received.
 *              Nothing is dropped for not parsing.
 * RFC 5424 is recognised by "<PRI>VERSION SP"; everything else is read as RFC 3164. A plain
 * message of either goes a byte path (rfc5424-bytes.ts, rfc3164-bytes.ts) when routing needs no
 * field but the hostname as key: the same value and key, with no string or object per message.
 */
import { isUtf8 } from 'node:buffer';
import type { RecordHeader } from '../../protocol/record-batch.js';
import { parseErrorHeader, truncatedHeader } from '../long-lines.js';
import type { Routing } from '../routing.js';
import type { InputRecord } from '../sink.js';
import type { InputStats } from '../stats.js';
import { messageJson, readPriority, SyslogParseError, type ParsedSyslog } from './message.js';
import { parseRfc3164 } from './rfc3164.js';
import { looksLikeRfc5424, parseRfc5424 } from './rfc5424.js';
import { measureRfc3164, Rfc3164Scan, writeRfc3164 } from './rfc3164-bytes.js';
import { rawValueBytes, Rfc5424JsonWriter, Rfc5424Scan } from './rfc5424-bytes.js';

export type SyslogFormat = 'json' | 'raw';
/** The JSON a message's value adds to its own bytes, at most (names, PRI's words, quotes). */
export const JSON_OVERHEAD_BYTES_MAX = 256;

/** Whether messages may take the byte paths: routing needs no field but the hostname as key. */
export function byteRouting(routing: Routing): boolean {
  return !routing.isTemplate && (routing.keyField === null || routing.keyField === 'hostname');
}
export const SYSLOG_FORMATS: readonly SyslogFormat[] = ['json', 'raw'];

/** Parses either syslog format; throws SyslogParseError. */
export function parseSyslog(text: string, nowMs: number): ParsedSyslog {
  const { end } = readPriority(text);
  return looksLikeRfc5424(text, end) ? parseRfc5424(text) : parseRfc3164(text, nowMs);
}

export const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);
/** The byte path's output is written in chunks this big; record values are views of them. */
const OUT_CHUNK_BYTES = 256 * 1024;

/** Counts the message and says, in a header, when it was cut at max_line_bytes. */
export function receivedHeaders(stats: InputStats, bytes: number, originalBytes: number): readonly RecordHeader[] {
  stats.counts.receivedCount++;
  if (originalBytes <= bytes) return NO_HEADERS;
  stats.counts.truncatedCount++;
  return [truncatedHeader(originalBytes)];
}

/**
 * The general path, for what the byte path does not take: the message parsed as a string; its
 * JSON value returned as `text` for the caller to encode (null: the record's value is set). A
 * message that does not parse is kept as received, with a header saying why.
 */
export function generalRecord(
  bytes: Buffer, headers: readonly RecordHeader[], nowMs: number, format: SyslogFormat, stats: InputStats,
): { record: InputRecord; text: string | null } {
  let parsed: ParsedSyslog | null = null;
  let failure = 'not UTF-8';
  if (isUtf8(bytes)) {
    try {
      parsed = parseSyslog(bytes.toString('utf8'), nowMs);
    } catch (err) {
      if (!(err instanceof SyslogParseError)) throw err;
      failure = err.message;
    }
  }
  if (parsed === null) {
    stats.counts.unparsedCount++;
    return { record: { key: null, value: bytes, headers: [...headers, parseErrorHeader(failure)], timestamp: nowMs, fields: null }, text: null };
  }
  const fields = parsed.message as unknown as Record<string, unknown>;
  const record = { key: null, value: format === 'raw' ? bytes : null, headers, timestamp: parsed.timestampMs ?? nowMs, fields };
  return { record, text: format === 'raw' ? null : messageJson(parsed.message) };
}

/**
 * The records of one read (a TCP chunk, the datagrams of one event-loop turn). Values in JSON are
 * encoded together into one Buffer when the batch is taken, each record's value a view of it:
 * one allocation per read instead of one per message. (Over TCP, batch-encoder.ts encodes whole
 * batches instead when it can; this path serves the rest.)
 */
export class SyslogRecords {
  private records: InputRecord[] = [];
  private texts: Array<string | null> = [];
  /** The RFC 5424 byte path, when routing allows the byte paths (see the header); else null. */
  private readonly scan: Rfc5424Scan | null;
  private readonly writer = new Rfc5424JsonWriter();
  private readonly bsd = new Rfc3164Scan();
  private out = Buffer.allocUnsafe(0);
  private outPos = 0;
  private readonly keyByHostname: boolean;
  private lastHostname: Buffer | null = null;

  constructor(
    private readonly format: SyslogFormat,
    private readonly stats: InputStats,
    routing: Routing,
  ) {
    this.keyByHostname = routing.keyField === 'hostname';
    this.scan = byteRouting(routing) ? new Rfc5424Scan() : null;
  }

  get length(): number {
    return this.records.length;
  }

  /** One message; `bytes` must stay unchanged until the records are acknowledged (raw values are views). */
  add(bytes: Buffer, originalBytes: number, nowMs: number): void {
    const headers = receivedHeaders(this.stats, bytes.length, originalBytes);
    if (this.scan !== null) {
      if (this.scan.scan(bytes)) {
        if (this.addScanned(bytes, headers, nowMs, null)) return;
      } else if (this.bsd.scan(bytes, 0, bytes.length, nowMs) && this.addScanned(bytes, headers, nowMs, this.bsd)) {
        return;
      }
    }
    const { record, text } = generalRecord(bytes, headers, nowMs, this.format, this.stats);
    this.records.push(record);
    this.texts.push(text);
  }

  /**
   * A message one of the byte paths took: RFC 5424 (`bsd` null; this.scan holds it) or RFC 3164.
   * False when MSG is not UTF-8: the general path keeps the message raw and says so.
   */
  private addScanned(bytes: Buffer, headers: readonly RecordHeader[], nowMs: number, bsd: Rfc3164Scan | null): boolean {
    const scan = this.scan!;
    const end = bytes.length;
    let value = bytes;
    if (this.format === 'raw') {
      if (rawValueBytes(bytes, 0, end, bsd === null ? scan.messageStart : bsd.messageStart) < 0) return false;
    } else {
      this.makeRoom(end);
      const start = this.outPos;
      if ((bsd === null ? this.writer.measure(bytes, end, scan, this.out) : measureRfc3164(bytes, end, bsd)) < 0) return false;
      this.outPos = bsd === null ? this.writer.write(bytes, end, scan, this.out, start) : writeRfc3164(bytes, end, bsd, this.out, start);
      value = this.out.subarray(start, this.outPos);
    }
    let key: Buffer | null = null;
    if (this.keyByHostname) key = bsd === null ? this.hostnameKey(bytes, scan.starts[1]!, scan.ends[1]!) : this.hostnameKey(bytes, bsd.hostStart, bsd.hostEnd);
    this.records.push({ key, value, headers, timestamp: (bsd === null ? scan.timestampMs : bsd.timestampMs) ?? nowMs, fields: null });
    this.texts.push(null);
    return true;
  }

  /** Room in the output chunk for the JSON of a message of `bytes` (every byte of MSG escaped as \u00XX). */
  private makeRoom(bytes: number): void {
    const room = JSON_OVERHEAD_BYTES_MAX + 6 * bytes;
    if (this.out.length - this.outPos >= room) return;
    this.out = Buffer.allocUnsafe(Math.max(OUT_CHUNK_BYTES, room));
    this.outPos = 0;
    this.writer.forget();
  }

  /** The hostname's bytes [start, end) as the key (start -1: none); a run of messages from one host shares one Buffer. */
  private hostnameKey(bytes: Buffer, start: number, end: number): Buffer | null {
    if (start === -1) return null;
    const last = this.lastHostname;
    if (last !== null && last.length === end - start) {
      let same = true;
      for (let i = 0; i < last.length && same; i++) same = last[i] === bytes[start + i];
      if (same) return last;
    }
    return (this.lastHostname = Buffer.from(bytes.subarray(start, end)));
  }

  /** The records so far, their JSON values encoded; starts a new batch. */
  take(): InputRecord[] {
    const records = this.records;
    const texts = this.texts;
    this.records = [];
    this.texts = [];
    let totalBytes = 0;
    const lengths = texts.map((text) => (text === null ? 0 : Buffer.byteLength(text)));
    for (const length of lengths) totalBytes += length;
    if (totalBytes === 0) return records;
    const buffer = Buffer.allocUnsafe(totalBytes);
    let pos = 0;
    for (let i = 0; i < records.length; i++) {
      const text = texts[i];
      if (text === null || text === undefined) continue;
      buffer.write(text, pos, lengths[i]!, 'utf8');
      records[i]!.value = buffer.subarray(pos, pos + lengths[i]!);
      pos += lengths[i]!;
    }
    return records;
  }
}
