/**
 * RFC 3164 (BSD syslog, rsyslog's default forwarding format) on the syslog byte path: read from
 * its bytes and its JSON value written into the caller's buffer, exactly what parseRfc3164 +
 * messageJson give (rfc3164.ts has the rules: TIMESTAMP "Mmm dd hh:mm:ss" in the local zone with
 * the year inferred, HOSTNAME unless the next word is already the tag, TAG[PID]: then MSG).
 *
 *   <13>Dec  7 19:37:00 web1 nginx[811]: GET /
 *   → {"format":"rfc3164","priority":13,...,"timestamp":"2026-12-07T19:37:00.000Z","hostname":"web1",
 *      "app_name":"nginx","procid":"811","msgid":null,"structured_data":null,"message":"GET /"}
 *
 * `scan` declines (and the general path takes) anything unusual: a bad PRI, an RFC 3339 time in
 * TIMESTAMP's place, a TIMESTAMP that is no date, header words with non-ASCII bytes (the parser's
 * \s knows Unicode spaces), control characters, '"' or '\', or an empty HOSTNAME.
 */
import { isUtf8 } from 'node:buffer';
import { copyBytes, mayNeedEscape } from './byte-words.js';
import { ESCAPE_EXTRA_BYTES, putEscaped } from './json-bytes.js';
import { facilityName, PRIORITY_MAX, severityName } from './message.js';
import { bsdMs, isoString } from './rfc3164.js';

const SP = 0x20;
const COLON = 0x3a;
const OPEN = 0x5b;
const CLOSE = 0x5d;
/** rfc3164.ts's limits: TAG 1-48 characters, PID 1-128. */
const TAG_MAX = 48;
const PID_MAX = 128;
/** "Mmm dd hh:mm:ss " */
const TIMESTAMP_BYTES = 16;
/** Month names as their three bytes in one number ("Jan" → 0x4a616e). */
const MONTH_CODES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  .map((name) => (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2));

/** Where each part of the last scanned message is: [start, end), start -1 when absent. */
export class Rfc3164Scan {
  priority = 0;
  timestampMs: number | null = null;
  hostStart = -1;
  hostEnd = 0;
  appStart = -1;
  appEnd = 0;
  procStart = -1;
  procEnd = 0;
  messageStart = 0;
  /** Set by measureRfc3164: whether MSG has bytes JSON escapes (else it is copied as it is). */
  messageEscaped = false;

  /** True when bytes[start, end) is an RFC 3164 message the byte path takes (see the header). */
  scan(bytes: Uint8Array, start: number, end: number, nowMs: number): boolean {
    let pos = priorityEnd(bytes, start, end, this);
    if (pos === -1 || looksLikeRfc5424(bytes, pos, end)) return false;
    this.timestampMs = null;
    this.hostStart = -1;
    this.appStart = -1;
    this.procStart = -1;
    if (pos + TIMESTAMP_BYTES <= end && bsdShaped(bytes, pos)) {
      const ms = bsdMs(monthOf(bytes, pos), twoDigits(bytes, pos + 4), twoDigits(bytes, pos + 7), twoDigits(bytes, pos + 10), twoDigits(bytes, pos + 13), nowMs);
      if (ms === null) return false;
      this.timestampMs = ms;
      pos += TIMESTAMP_BYTES;
      // HOSTNAME: the next word, unless it is the tag already (ends in ':' or holds '[').
      let space = pos;
      let bracket = false;
      for (; space < end && bytes[space] !== SP; space++) if (bytes[space] === OPEN) bracket = true;
      if (space < end && !bracket && bytes[space - 1] !== COLON) {
        if (space === pos || !plain(bytes, pos, space)) return false;
        this.hostStart = pos;
        this.hostEnd = space;
        pos = space + 1;
      }
    } else if (pos < end && bytes[pos]! >= 0x30 && bytes[pos]! <= 0x39) {
      return false; // maybe RFC 3339 in TIMESTAMP's place: the general path reads it
    }
    return this.scanTag(bytes, pos, end);
  }

  /** TAG[PID]: (the parser's /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?: ?/), then MSG. */
  private scanTag(bytes: Uint8Array, start: number, end: number): boolean {
    let pos = start;
    for (; pos < end; pos++) {
      const c = bytes[pos]!;
      if (c >= 0x80) return false;
      if (space(c) || c === COLON || c === OPEN || c === CLOSE) break;
    }
    const tagEnd = pos;
    this.messageStart = start;
    if (tagEnd === start || tagEnd - start > TAG_MAX || tagEnd === end) return true; // no tag: all is MSG
    let procStart = -1;
    let procEnd = 0;
    if (bytes[pos] === OPEN) {
      procStart = ++pos;
      for (; pos < end; pos++) {
        const c = bytes[pos]!;
        if (c >= 0x80) return false;
        if (c === CLOSE || space(c)) break;
      }
      procEnd = pos;
      if (procEnd === procStart || procEnd - procStart > PID_MAX || pos + 1 >= end || bytes[pos] !== CLOSE || bytes[pos + 1] !== COLON) return true;
      pos++;
    }
    if (bytes[pos] !== COLON) return true;
    if (!plain(bytes, start, tagEnd) || (procStart !== -1 && !plain(bytes, procStart, procEnd))) return false;
    this.appStart = start;
    this.appEnd = tagEnd;
    this.procStart = procStart;
    this.procEnd = procEnd;
    pos++;
    if (pos < end && bytes[pos] === SP) pos++;
    this.messageStart = pos;
    return true;
  }
}

const PREFIX_BY_PRIORITY: Array<Buffer | undefined> = [];
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const NULL = ascii('null');
const HOSTNAME = ascii(',"hostname":');
const APP_NAME = ascii(',"app_name":');
const PROCID = ascii(',"procid":');
const MESSAGE = ascii(',"msgid":null,"structured_data":null,"message":"');
/** The last timestamp's ISO text as bytes (lines come many per second). */
let lastIsoMs = Number.NaN;
let lastIso: Buffer = Buffer.alloc(0);

/** `{"format":"rfc3164",...,"timestamp":` for a PRI. */
function prefix(priority: number): Buffer {
  return (PREFIX_BY_PRIORITY[priority] ??= ascii(`{"format":"rfc3164","priority":${priority},"facility":"${facilityName(priority)}",` +
    `"severity":"${severityName(priority)}","version":null,"timestamp":`));
}

function isoBytes(ms: number): Buffer {
  if (ms !== lastIsoMs) {
    lastIso = ascii(isoString(ms));
    lastIsoMs = ms;
  }
  return lastIso;
}

/**
 * Bytes of the JSON value of the message `scan` just took, bytes[.., end); -1 when MSG is not
 * UTF-8 (the general path keeps the line raw and says so). Header parts are plain ASCII (scan).
 */
export function measureRfc3164(bytes: Uint8Array, end: number, scan: Rfc3164Scan): number {
  let size = prefix(scan.priority).length + (scan.timestampMs === null ? NULL.length : isoBytes(scan.timestampMs).length + 2);
  size += HOSTNAME.length + optionalBytes(scan.hostStart, scan.hostEnd);
  size += APP_NAME.length + optionalBytes(scan.appStart, scan.appEnd);
  size += PROCID.length + optionalBytes(scan.procStart, scan.procEnd);
  size += MESSAGE.length + end - scan.messageStart + 2;
  let escapeBytes = 0;
  if (mayNeedEscape(bytes, scan.messageStart, end)) {
    let highBits = 0;
    for (let i = scan.messageStart; i < end; i++) {
      escapeBytes += ESCAPE_EXTRA_BYTES[bytes[i]!]!;
      highBits |= bytes[i]!;
    }
    if (highBits >= 0x80 && !isUtf8(bytes.subarray(scan.messageStart, end))) return -1;
  }
  scan.messageEscaped = escapeBytes > 0;
  return size + escapeBytes;
}

/** Writes the value measureRfc3164 measured at target[pos..]; returns the position after it. */
export function writeRfc3164(bytes: Uint8Array, end: number, scan: Rfc3164Scan, target: Uint8Array, pos: number): number {
  pos = put(prefix(scan.priority), target, pos);
  if (scan.timestampMs === null) {
    pos = put(NULL, target, pos);
  } else {
    target[pos++] = 0x22;
    pos = put(isoBytes(scan.timestampMs), target, pos);
    target[pos++] = 0x22;
  }
  pos = putOptional(bytes, scan.hostStart, scan.hostEnd, put(HOSTNAME, target, pos), target);
  pos = putOptional(bytes, scan.appStart, scan.appEnd, put(APP_NAME, target, pos), target);
  pos = putOptional(bytes, scan.procStart, scan.procEnd, put(PROCID, target, pos), target);
  pos = put(MESSAGE, target, pos);
  if (!scan.messageEscaped) pos = copyBytes(bytes, scan.messageStart, end, target, pos);
  else for (let i = scan.messageStart; i < end; i++) pos = putEscaped(bytes[i]!, target, pos);
  target[pos++] = 0x22;
  target[pos++] = 0x7d;
  return pos;
}

function optionalBytes(start: number, end: number): number {
  return start === -1 ? NULL.length : end - start + 2;
}

function putOptional(bytes: Uint8Array, start: number, end: number, pos: number, target: Uint8Array): number {
  if (start === -1) return put(NULL, target, pos);
  target[pos++] = 0x22;
  pos = copyBytes(bytes, start, end, target, pos);
  target[pos++] = 0x22;
  return pos;
}

/** A constant: by hand when short, else one native copy (a call costs about 24 bytes' loop). */
function put(constant: Uint8Array, target: Uint8Array, pos: number): number {
  if (constant.length >= 24) {
    target.set(constant, pos);
    return pos + constant.length;
  }
  for (let i = 0; i < constant.length; i++) target[pos++] = constant[i]!;
  return pos;
}

/** After `<PRI>` (readPriority's rules: 1-3 digits, no leading zero, at most 191), or -1. */
function priorityEnd(bytes: Uint8Array, start: number, end: number, scan: Rfc3164Scan): number {
  if (end - start < 3 || bytes[start] !== 0x3c) return -1;
  let priority = 0;
  let pos = start + 1;
  for (; pos < end && pos <= start + 4; pos++) {
    const c = bytes[pos]!;
    if (c === 0x3e) break;
    if (c < 0x30 || c > 0x39 || (pos === start + 2 && priority === 0)) return -1;
    priority = priority * 10 + (c - 0x30);
  }
  if (pos === start + 1 || pos > start + 4 || pos >= end || bytes[pos] !== 0x3e || priority > PRIORITY_MAX) return -1;
  scan.priority = priority;
  return pos + 1;
}

/** rfc5424.ts's looksLikeRfc5424 on bytes: a VERSION (1-2 digits) then SP right after PRI. */
function looksLikeRfc5424(bytes: Uint8Array, pos: number, end: number): boolean {
  const c = pos < end ? bytes[pos]! : -1;
  if (c < 0x31 || c > 0x39) return false;
  const next = pos + 1 < end ? bytes[pos + 1]! : -1;
  return next === SP || (next >= 0x30 && next <= 0x39 && pos + 2 < end && bytes[pos + 2] === SP);
}

/** /^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} / at bytes[pos..]. */
function bsdShaped(bytes: Uint8Array, pos: number): boolean {
  const upper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
  const lower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
  const digit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  return upper(bytes[pos]!) && lower(bytes[pos + 1]!) && lower(bytes[pos + 2]!) && bytes[pos + 3] === SP &&
    (bytes[pos + 4] === SP || digit(bytes[pos + 4]!)) && digit(bytes[pos + 5]!) && bytes[pos + 6] === SP &&
    digit(bytes[pos + 7]!) && digit(bytes[pos + 8]!) && bytes[pos + 9] === COLON && digit(bytes[pos + 10]!) && digit(bytes[pos + 11]!) &&
    bytes[pos + 12] === COLON && digit(bytes[pos + 13]!) && digit(bytes[pos + 14]!) && bytes[pos + 15] === SP;
}

function monthOf(bytes: Uint8Array, pos: number): number {
  return MONTH_CODES.indexOf((bytes[pos]! << 16) | (bytes[pos + 1]! << 8) | bytes[pos + 2]!);
}

/** Two digits, the first of which may be a space (a space-padded day). */
function twoDigits(bytes: Uint8Array, pos: number): number {
  const first = bytes[pos] === SP ? 0 : bytes[pos]! - 0x30;
  return first * 10 + bytes[pos + 1]! - 0x30;
}

/** ASCII whitespace as the parser's \s sees it (non-ASCII bytes are declined before). */
function space(c: number): boolean {
  return c === SP || (c >= 0x09 && c <= 0x0d);
}

/** Printable ASCII without '"' or '\': copied into JSON as it is. */
function plain(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
