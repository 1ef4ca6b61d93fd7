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
      timestamp: timestampMs === null ? null : isoString(timestampMs),
      hostname, app_name: appName, procid, msgid: null, structured_data: null, message: rest,
    },
    timestampMs,
  };
}

/**
 * Local-time Date arithmetic costs about a microsecond a call (a zone lookup), several times the
 * rest of a line's parse; messages arrive many per second, so each answer below is kept for the
 * next line, and every one is exactly what the plain computation gives.
 */
const lastBsd = { key: -1, year: 0, thisYearMs: 0, lastYearMs: 0 };
const localYear = { fromMs: 0, toMs: -1, year: 0 };
const lastIso = { ms: Number.NaN, text: '' };

function bsdTime(m: RegExpExecArray, nowMs: number): number | null {
  return bsdMs(MONTHS.indexOf(m[1]!), Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]), nowMs);
}

/**
 * The time of a BSD TIMESTAMP's parts (month 0-11) read at `nowMs`, in the local zone (see the
 * header), or null when they are no date. Shared with the byte path (rfc3164-bytes.ts).
 */
export function bsdMs(month: number, day: number, hour: number, minute: number, second: number, nowMs: number): number | null {
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const year = localYearOf(nowMs);
  const key = (((month * 32 + day) * 24 + hour) * 60 + minute) * 61 + second;
  if (key !== lastBsd.key || year !== lastBsd.year) {
    lastBsd.thisYearMs = new Date(year, month, day, hour, minute, second).getTime();
    lastBsd.lastYearMs = new Date(year - 1, month, day, hour, minute, second).getTime();
    lastBsd.key = key;
    lastBsd.year = year;
  }
  // In the current year unless that is more than a day ahead (a December message read in January).
  return lastBsd.thisYearMs > nowMs + DAY_MS ? lastBsd.lastYearMs : lastBsd.thisYearMs;
}

/** new Date(nowMs).getFullYear(), with the local year's bounds kept between calls. */
function localYearOf(nowMs: number): number {
  if (nowMs < localYear.fromMs || nowMs >= localYear.toMs) {
    const year = new Date(nowMs).getFullYear();
    localYear.year = year;
    localYear.fromMs = new Date(year, 0, 1).getTime();
    localYear.toMs = new Date(year + 1, 0, 1).getTime();
  }
  return localYear.year;
}

/** new Date(ms).toISOString(), kept for the next line of the same second. */
export function isoString(ms: number): string {
  if (ms !== lastIso.ms) {
    lastIso.text = new Date(ms).toISOString();
    lastIso.ms = ms;
  }
  return lastIso.text;
}
