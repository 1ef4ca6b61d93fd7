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
  let pos = end;
  const field = (name: string, maxChars: number): string | null => {
    const space = text.indexOf(' ', pos);
    if (space === -1) throw new SyslogParseError(`the header ends before ${name}`);
    const value = text.slice(pos, space);
    pos = space + 1;
    if (value.length === 0) throw new SyslogParseError(`${name} is empty (two spaces in a row)`);
    if (value.length > maxChars) throw new SyslogParseError(`${name} is longer than ${maxChars} characters`);
    if (!/^[\x21-\x7e]+$/.test(value)) throw new SyslogParseError(`${name} has characters outside printable US-ASCII`);
    return value === NIL ? null : value;
  };
  const version = Number(field('VERSION', 2));
  const timestamp = field('TIMESTAMP', 32);
  const timestampMs = timestamp === null ? null : parseTimestamp(timestamp);
  const hostname = field('HOSTNAME', HOSTNAME_MAX);
  const appName = field('APP-NAME', APP_NAME_MAX);
  const procid = field('PROCID', PROCID_MAX);
  const msgid = field('MSGID', MSGID_MAX);
  const sd = parseStructuredData(text, pos);
  pos = sd.end;
  let message = '';
  if (pos < text.length) {
    if (text.charCodeAt(pos) !== 0x20) throw new SyslogParseError('no space between STRUCTURED-DATA and MSG');
    message = text.slice(pos + 1);
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

/** RFC 3339 as RFC 5424 restricts it (§6.2.3): "T" and "Z" upper case, at most 6 fraction digits. */
function parseTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (m === null) throw new SyslogParseError(`TIMESTAMP '${text}' is not RFC 3339`);
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '').slice(0, 4)}${m[8]}`);
  if (Number.isNaN(ms)) throw new SyslogParseError(`TIMESTAMP '${text}' is not a valid date`);
  return ms;
}

function parseStructuredData(text: string, start: number): { data: Record<string, Record<string, string>> | null; end: number } {
  if (text.startsWith(NIL, start) && (start + 1 === text.length || text.charCodeAt(start + 1) === 0x20)) {
    return { data: null, end: start + 1 };
  }
  if (text.charCodeAt(start) !== 0x5b) throw new SyslogParseError("STRUCTURED-DATA is neither '-' nor '['");
  const data: Record<string, Record<string, string>> = {};
  let pos = start;
  while (text.charCodeAt(pos) === 0x5b) {
    pos++;
    const id = readSdName(text, pos, 'SD-ID');
    pos += id.length;
    const params: Record<string, string> = data[id] ?? {};
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
