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
 * RFC 5424 is recognised by "<PRI>VERSION SP"; everything else is read as RFC 3164. A plain RFC
 * 5424 message goes the byte path (rfc5424-bytes.ts) when routing needs no field but the hostname
 * as key: the same value and key, with no string or object per message.
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
import { Rfc5424JsonWriter, Rfc5424Scan } from './rfc5424-bytes.js';

export type SyslogFormat = 'json' | 'raw';
export const SYSLOG_FORMATS: readonly SyslogFormat[] = ['json', 'raw'];

/** Parses either syslog format; throws SyslogParseError. */
export function parseSyslog(text: string, nowMs: number): ParsedSyslog {
  const { end } = readPriority(text);
  return looksLikeRfc5424(text, end) ? parseRfc5424(text) : parseRfc3164(text, nowMs);
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/**
 * The records of one read (a TCP chunk, the datagrams of one event-loop turn). Values in JSON are
 * encoded together into one Buffer when the batch is taken, each record's value a view of it:
 * one allocation per read instead of one per message (the syslog hot path).
 */
export class SyslogRecords {
  private records: InputRecord[] = [];
  private texts: Array<string | null> = [];
  /** The byte path, when routing allows it (see the header); else null. */
  private readonly scan: Rfc5424Scan | null;
  private readonly writer = new Rfc5424JsonWriter();
  private readonly keyByHostname: boolean;
  private lastHostname: Buffer | null = null;

  constructor(
    private readonly format: SyslogFormat,
    private readonly stats: InputStats,
    routing: Routing,
  ) {
    this.keyByHostname = routing.keyField === 'hostname';
    const fast = !routing.isTemplate && (routing.keyField === null || this.keyByHostname);
    this.scan = fast ? new Rfc5424Scan() : null;
  }

  get length(): number {
    return this.records.length;
  }

  /** One message; `bytes` must stay unchanged until the records are acknowledged (raw values are views). */
  add(bytes: Buffer, originalBytes: number, nowMs: number): void {
    const { stats } = this;
    stats.counts.receivedCount++;
    let headers = NO_HEADERS;
    if (originalBytes > bytes.length) {
      stats.counts.truncatedCount++;
      headers = [truncatedHeader(originalBytes)];
    }
    let parsed: ParsedSyslog | null = null;
    let failure = 'not UTF-8';
    const utf8 = isUtf8(bytes);
    if (utf8 && this.scan?.scan(bytes) === true) return this.addScanned(bytes, headers, nowMs, this.scan);
    if (utf8) {
      try {
        parsed = parseSyslog(bytes.toString('utf8'), nowMs);
      } catch (err) {
        if (!(err instanceof SyslogParseError)) throw err;
        failure = err.message;
      }
    }
    if (parsed === null) {
      stats.counts.unparsedCount++;
      this.records.push({ key: null, value: bytes, headers: [...headers, parseErrorHeader(failure)], timestamp: nowMs, fields: null });
      this.texts.push(null);
      return;
    }
    const fields = parsed.message as unknown as Record<string, unknown>;
    this.records.push({ key: null, value: this.format === 'raw' ? bytes : null, headers, timestamp: parsed.timestampMs ?? nowMs, fields });
    this.texts.push(this.format === 'raw' ? null : messageJson(parsed.message));
  }

  private addScanned(bytes: Buffer, headers: readonly RecordHeader[], nowMs: number, scan: Rfc5424Scan): void {
    const value = this.format === 'raw' ? bytes : this.writer.write(bytes, scan);
    this.records.push({ key: this.keyByHostname ? this.hostnameKey(bytes, scan) : null, value, headers, timestamp: scan.timestampMs ?? nowMs, fields: null });
    this.texts.push(null);
  }

  /** The hostname's bytes as the key; a run of messages from one host shares one Buffer. */
  private hostnameKey(bytes: Buffer, scan: Rfc5424Scan): Buffer | null {
    const start = scan.starts[1]!;
    if (start === -1) return null;
    const end = scan.ends[1]!;
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
