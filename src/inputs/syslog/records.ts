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
 * RFC 5424 is recognised by "<PRI>VERSION SP"; everything else is read as RFC 3164.
 */
import { isUtf8 } from 'node:buffer';
import type { RecordHeader } from '../../protocol/record-batch.js';
import { parseErrorHeader, truncatedHeader } from '../long-lines.js';
import type { InputRecord } from '../sink.js';
import type { InputStats } from '../stats.js';
import { readPriority, SyslogParseError, type ParsedSyslog } from './message.js';
import { parseRfc3164 } from './rfc3164.js';
import { looksLikeRfc5424, parseRfc5424 } from './rfc5424.js';

export type SyslogFormat = 'json' | 'raw';
export const SYSLOG_FORMATS: readonly SyslogFormat[] = ['json', 'raw'];

/** Parses either syslog format; throws SyslogParseError. */
export function parseSyslog(text: string, nowMs: number): ParsedSyslog {
  const { end } = readPriority(text);
  return looksLikeRfc5424(text, end) ? parseRfc5424(text) : parseRfc3164(text, nowMs);
}

export function syslogRecord(bytes: Buffer, originalBytes: number, format: SyslogFormat, stats: InputStats, nowMs: number): InputRecord {
  stats.counts.receivedCount++;
  const headers: RecordHeader[] = [];
  if (originalBytes > bytes.length) {
    stats.counts.truncatedCount++;
    headers.push(truncatedHeader(originalBytes));
  }
  let parsed: ParsedSyslog | null = null;
  let failure: string;
  if (!isUtf8(bytes)) {
    failure = 'not UTF-8';
  } else {
    try {
      parsed = parseSyslog(bytes.toString('utf8'), nowMs);
      failure = '';
    } catch (err) {
      if (!(err instanceof SyslogParseError)) throw err;
      failure = err.message;
    }
  }
  if (parsed === null) {
    stats.counts.unparsedCount++;
    headers.push(parseErrorHeader(failure));
    return { key: null, value: Buffer.from(bytes), headers, timestamp: nowMs, fields: null };
  }
  return {
    key: null,
    value: format === 'raw' ? Buffer.from(bytes) : Buffer.from(JSON.stringify(parsed.message)),
    headers,
    timestamp: parsed.timestampMs ?? nowMs,
    fields: parsed.message as unknown as Record<string, unknown>,
  };
}
