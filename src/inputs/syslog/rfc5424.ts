/**
 * RFC 5424 (The Syslog Protocol) parser:
 *
 *   SYSLOG-MSG      = HEADER SP STRUCTURED-DATA [SP MSG]
 *   HEADER          = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 *   STRUCTURED-DATA = "-" / 1*SD-ELEMENT
 *   SD-ELEMENT      = "[" SD-ID *(SP PARAM-NAME "=" %d34 PARAM-VALUE %d34) "]"
 *                     (in PARAM-VALUE, '"', '\' and ']' are escaped with '\')
 *   MSG             = octets; a leading UTF-8 BOM says "UTF-8" and is dropped here
 *
 * Header fields are "-" (NILVALUE, here null) or printable US-ASCII with the RFC's length limits.
 * Anything else is a SyslogParseError naming what is wrong.
 */
import { facilityName, readPriority, severityName, SyslogParseError, type ParsedSyslog } from './message.js';

const NIL = '-';
/** RFC 5424 §6: HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32, SD-NAME 32 characters. */
const HOSTNAME_MAX = 255;
const APP_NAME_MAX = 48;
const PROCID_MAX = 128;
const MSGID_MAX = 32;
const SD_NAME_MAX = 32;
const BOM = '\ufeff';
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** True when the text after <PRI> looks like RFC 5424 (a VERSION then a space). */
export function looksLikeRfc5424(text: string, afterPri: number): boolean {
  const c = text.charCodeAt(afterPri);
  if (c < 0x31 || c > 0x39) return false;
  const next = text.charCodeAt(afterPri + 1);
  return next === 0x20 || (next >= 0x30 && next <= 0x39 && text.charCodeAt(afterPri + 2) === 0x20);
}

export function parseRfc5424(text: string): ParsedSyslog {
  const { priority, end } = readPriority(text);
  const cursor = { text, pos: end };
  const version = Number(headerField(cursor, 'VERSION', 2));
  const timestamp = headerField(cursor, 'TIMESTAMP', 32);
  const timestampMs = timestamp === null ? null : parseTimestamp(timestamp);
  const hostname = headerField(cursor, 'HOSTNAME', HOSTNAME_MAX);
  const appName = headerField(cursor, 'APP-NAME', APP_NAME_MAX);
  const procid = headerField(cursor, 'PROCID', PROCID_MAX);
  const msgid = headerField(cursor, 'MSGID', MSGID_MAX);
  const sd = parseStructuredData(text, cursor.pos);
  let message = '';
  if (sd.end < text.length) {
    if (text.charCodeAt(sd.end) !== 0x20) throw new SyslogParseError('no space between STRUCTURED-DATA and MSG');
    message = text.slice(sd.end + 1);
    if (message.startsWith(BOM)) message = message.slice(1);
  }
  return {
    message: {
      format: 'rfc5424', priority, facility: facilityName(priority), severity: severityName(priority), version,
      timestamp, hostname, app_name: appName, procid, msgid, structured_data: sd.data, message,
    },
    timestampMs,
  };
}

/** The header field at cursor.pos, up to the next space (null for NILVALUE); moves the cursor past it. */
function headerField(cursor: { text: string; pos: number }, name: string, maxChars: number): string | null {
  const { text, pos } = cursor;
  const space = text.indexOf(' ', pos);
  if (space === -1) throw new SyslogParseError(`the header ends before ${name}`);
  cursor.pos = space + 1;
  if (space === pos) throw new SyslogParseError(`${name} is empty (two spaces in a row)`);
  if (space - pos > maxChars) throw new SyslogParseError(`${name} is longer than ${maxChars} characters`);
  if (space - pos === 1 && text.charCodeAt(pos) === 0x2d) return null; // NILVALUE "-"
  const value = text.slice(pos, space);
  if (!isPrintAscii(value)) throw new SyslogParseError(`${name} has characters outside printable US-ASCII`);
  return value;
}

/**
 * RFC 3339 as RFC 5424 restricts it (§6.2.3): "T" and "Z" upper case, at most 6 fraction digits.
 * Computed with Date.UTC from the parts (a Date.parse per message costs several times more).
 */
function parseTimestamp(text: string): number {
  // Messages arrive many per second: the second's start is computed once per distinct second.
  const secondText = text.slice(0, 19);
  const fraction = TIMESTAMP_TAIL.exec(text.slice(19));
  if (fraction !== null && secondText === lastSecond.text && fraction[2] === lastSecond.zone) {
    return lastSecond.ms + fractionMs(fraction[1]);
  }
  const m = TIMESTAMP.exec(text);
  if (m === null) throw new SyslogParseError(`TIMESTAMP '${text}' is not RFC 3339`);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw new SyslogParseError(`TIMESTAMP '${text}' is not a valid date`);
  }
  let ms = Date.UTC(Number(m[1]), month - 1, day, hour, minute, second);
  const zone = m[8]!;
  if (zone !== 'Z') {
    const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    ms -= (zone[0] === '+' ? 1 : -1) * offsetMinutes * 60_000;
  }
  lastSecond = { text: secondText, zone, ms };
  return ms + fractionMs(m[7]);
}

const TIMESTAMP_TAIL = /^(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
let lastSecond = { text: '', zone: '', ms: 0 };

/** Milliseconds of ".d{1,6}": its first three digits (no float rounding; rfc5424-bytes.ts agrees). */
function fractionMs(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.slice(1, 4).padEnd(3, '0'));
}

/** True when every character is printable US-ASCII (%d33-126), as header fields must be. */
function isPrintAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function parseStructuredData(text: string, start: number): { data: Record<string, Record<string, string>> | null; end: number } {
  if (text.startsWith(NIL, start) && (start + 1 === text.length || text.charCodeAt(start + 1) === 0x20)) {
    return { data: null, end: start + 1 };
  }
  if (text.charCodeAt(start) !== 0x5b) throw new SyslogParseError("STRUCTURED-DATA is neither '-' nor '['");
  // Objects without a prototype: an SD-ID or PARAM-NAME "__proto__" is then a key like any
  // other, rather than a way to the prototype every object shares.
  const data: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
  let pos = start;
  while (text.charCodeAt(pos) === 0x5b) {
    pos++;
    const id = readSdName(text, pos, 'SD-ID');
    pos += id.length;
    const params: Record<string, string> = data[id] ?? (Object.create(null) as Record<string, string>);
    while (text.charCodeAt(pos) === 0x20) {
      pos++;
      const name = readSdName(text, pos, 'PARAM-NAME');
      pos += name.length;
      if (text.charCodeAt(pos) !== 0x3d || text.charCodeAt(pos + 1) !== 0x22) throw new SyslogParseError(`PARAM-NAME ${name} is not followed by ="`);
      pos += 2;
      let value = '';
      for (;;) {
        if (pos >= text.length) throw new SyslogParseError(`PARAM-VALUE of ${name} has no closing quote`);
        const c = text[pos]!;
        if (c === '"') break;
        if (c === '\\' && pos + 1 < text.length && '"\\]'.includes(text[pos + 1]!)) {
          value += text[pos + 1];
          pos += 2;
        } else {
          value += c;
          pos++;
        }
      }
      pos++;
      params[name] = value;
    }
    if (text.charCodeAt(pos) !== 0x5d) throw new SyslogParseError(`SD-ELEMENT ${id} does not end with ']'`);
    pos++;
    data[id] = params;
  }
  return { data, end: pos };
}

/** SD-NAME: 1-32 printable US-ASCII except '=', SP, ']' and '"'. */
function readSdName(text: string, start: number, what: string): string {
  let end = start;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c <= 0x20 || c >= 0x7f || c === 0x3d || c === 0x5d || c === 0x22) break;
    end++;
  }
  if (end === start) throw new SyslogParseError(`${what} is empty`);
  if (end - start > SD_NAME_MAX) throw new SyslogParseError(`${what} is longer than ${SD_NAME_MAX} characters`);
  return text.slice(start, end);
}
