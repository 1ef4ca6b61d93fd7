/**
 * RFC 3164 (BSD syslog) parser, lenient as the RFC asks of a receiver (§4.3):
 *
 *   <PRI>TIMESTAMP SP HOSTNAME SP TAG[PID]: MSG      e.g. <13>Oct 11 22:14:15 web1 nginx[811]: GET /
 *
 * - TIMESTAMP is "Mmm dd hh:mm:ss" (day space-padded), with no year or zone: read in the local
 *   zone, in the current year unless that is more than a day ahead (a December message read in
 *   January). An RFC 3339 timestamp in its place (rsyslog's high-precision form) is read too.
 *   Without a valid TIMESTAMP, everything after PRI is the message (§4.3.2).
 * - HOSTNAME is absent when the word after TIMESTAMP is already the tag (ends in ':' or has '['),
 *   as in messages from local senders.
 * - TAG is the word up to '[' or ':'; PID the digits in '[...]'. A message without "TAG:" keeps
 *   its whole text as the message, with no app_name.
 * Only a missing or bad <PRI> is a SyslogParseError.
 */
import { facilityName, readPriority, severityName, type ParsedSyslog } from './message.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const BSD_TIMESTAMP = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) /;
const ISO_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) /;
const TAG_MAX = 48;
const DAY_MS = 86_400_000;

export function parseRfc3164(text: string, nowMs: number = Date.now()): ParsedSyslog {
  const { priority, end } = readPriority(text);
  let rest = text.slice(end);
  let timestampMs: number | null = null;
  const bsd = BSD_TIMESTAMP.exec(rest);
  const iso = bsd === null ? ISO_TIMESTAMP.exec(rest) : null;
  if (bsd !== null) {
    timestampMs = bsdTime(bsd, nowMs);
    if (timestampMs !== null) rest = rest.slice(bsd[0].length);
  } else if (iso !== null) {
    const ms = Date.parse(iso[1]!);
    if (!Number.isNaN(ms)) {
      timestampMs = ms;
      rest = rest.slice(iso[0].length);
    }
  }
  let hostname: string | null = null;
  let appName: string | null = null;
  let procid: string | null = null;
  if (timestampMs !== null) {
    const space = rest.indexOf(' ');
    const word = space === -1 ? rest : rest.slice(0, space);
    if (space !== -1 && !word.endsWith(':') && !word.includes('[')) {
      hostname = word;
      rest = rest.slice(space + 1);
    }
  }
  const tag = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?: ?/.exec(rest);
  if (tag !== null && tag[1]!.length <= TAG_MAX) {
    appName = tag[1]!;
    procid = tag[2] ?? null;
    rest = rest.slice(tag[0].length);
  }
  return {
    message: {
      format: 'rfc3164', priority, facility: facilityName(priority), severity: severityName(priority), version: null,
      timestamp: timestampMs === null ? null : new Date(timestampMs).toISOString(),
      hostname, app_name: appName, procid, msgid: null, structured_data: null, message: rest,
    },
    timestampMs,
  };
}

function bsdTime(m: RegExpExecArray, nowMs: number): number | null {
  const month = MONTHS.indexOf(m[1]!);
  const day = Number(m[2]!.trim());
  const hour = Number(m[3]);
  const minute = Number(m[4]);
  const second = Number(m[5]);
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const year = new Date(nowMs).getFullYear();
  let ms = new Date(year, month, day, hour, minute, second).getTime();
  if (ms > nowMs + DAY_MS) ms = new Date(year - 1, month, day, hour, minute, second).getTime();
  return ms;
}
