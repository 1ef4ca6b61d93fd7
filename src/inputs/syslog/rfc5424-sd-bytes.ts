/**
 * RFC 5424 STRUCTURED-DATA on the syslog byte path (rfc5424-bytes.ts): SD-ELEMENTs checked and
 * measured straight from their bytes, and their JSON written as the general path's
 * JSON.stringify of { SD-ID: { PARAM-NAME: PARAM-VALUE } } writes it (rfc5424.ts), byte for byte:
 *
 *   [timeQuality tzKnown="1" isSynced="0"][x@1 a="b\"c"]
 *   → {"timeQuality":{"tzKnown":"1","isSynced":"0"},"x@1":{"a":"b\"c"}}
 *
 * `logger` sends a timeQuality element by default, so this is the common shape, not a rare one.
 * What a JavaScript object would reorder or merge is declined, and the general path takes it:
 * a name of digits only (an array index sorts first), "__proto__", a repeated SD-ID or
 * PARAM-NAME (merged, last value kept), a name with '\' (escaped in JSON), a PARAM-VALUE that
 * is not UTF-8 (decoded with replacement characters), and more than NAMES_MAX names.
 */
import { isUtf8 } from 'node:buffer';
import { copyBytes } from './byte-words.js';
import { ESCAPE_EXTRA_BYTES, putEscaped } from './json-bytes.js';

const SP = 0x20;
const QUOTE = 0x22;
const EQUALS = 0x3d;
const OPEN = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE = 0x5d;
/** RFC 5424 §6.3: SD-NAME is 1 to 32 characters. */
const SD_NAME_MAX = 32;
/** SD-IDs in a message, and PARAM-NAMEs in an element, checked for repeats; more are declined. */
const NAMES_MAX = 16;
const PROTO = Buffer.from('__proto__', 'latin1');

/** What the last scan found: where the STRUCTURED-DATA ends and the bytes of its JSON. */
export class StructuredDataScan {
  end = 0;
  jsonBytes = 0;
  private readonly idStarts = new Int32Array(NAMES_MAX);
  private readonly idEnds = new Int32Array(NAMES_MAX);
  private readonly nameStarts = new Int32Array(NAMES_MAX);
  private readonly nameEnds = new Int32Array(NAMES_MAX);

  /**
   * True when bytes[start, ..) (at '[', within `end`) is STRUCTURED-DATA the byte path takes
   * (see the header); sets `end` (the byte after the last ']') and `jsonBytes`.
   */
  scan(bytes: Uint8Array, start: number, end: number): boolean {
    if (start >= end || bytes[start] !== OPEN) return false; // neither "-" nor '[': the general path says so
    let pos = start;
    let json = 2; // {}
    let ids = 0;
    while (pos < end && bytes[pos] === OPEN) {
      const idStart = pos + 1;
      const idEnd = nameEnd(bytes, idStart, end);
      if (idEnd === -1 || ids === NAMES_MAX || repeats(bytes, idStart, idEnd, this.idStarts, this.idEnds, ids)) return false;
      this.idStarts[ids] = idStart;
      this.idEnds[ids] = idEnd;
      json += (ids > 0 ? 1 : 0) + idEnd - idStart + 5; // ,"ID":{}
      ids++;
      pos = idEnd;
      let names = 0;
      while (pos < end && bytes[pos] === SP) {
        const nameStart = pos + 1;
        const nameStop = nameEnd(bytes, nameStart, end);
        if (nameStop === -1 || names === NAMES_MAX || repeats(bytes, nameStart, nameStop, this.nameStarts, this.nameEnds, names)) return false;
        this.nameStarts[names] = nameStart;
        this.nameEnds[names] = nameStop;
        json += (names > 0 ? 1 : 0) + nameStop - nameStart + 5; // ,"NAME":""
        names++;
        pos = nameStop;
        if (pos + 1 >= end || bytes[pos] !== EQUALS || bytes[pos + 1] !== QUOTE) return false;
        pos += 2;
        const valueStart = pos;
        let highBits = 0;
        for (;;) {
          if (pos >= end) return false; // no closing quote: the general path says so
          const c = bytes[pos]!;
          if (c === QUOTE) break;
          const next = pos + 1 < end ? bytes[pos + 1]! : -1;
          if (c === BACKSLASH && (next === QUOTE || next === BACKSLASH || next === CLOSE)) {
            json += 1 + ESCAPE_EXTRA_BYTES[next]!; // the escaped character, as JSON writes it
            pos += 2;
          } else {
            json += 1 + ESCAPE_EXTRA_BYTES[c]!;
            highBits |= c;
            pos++;
          }
        }
        if (highBits >= 0x80 && !isUtf8(bytes.subarray(valueStart, pos))) return false;
        pos++; // the closing quote
      }
      if (pos >= end || bytes[pos] !== CLOSE) return false;
      pos++;
    }
    this.end = pos;
    this.jsonBytes = json;
    return true;
  }
}

/**
 * Writes the JSON of STRUCTURED-DATA that scan() took, bytes[start, end), at target[pos..];
 * returns the position after it (exactly jsonBytes later).
 */
export function writeStructuredData(bytes: Uint8Array, start: number, end: number, target: Uint8Array, pos: number): number {
  let at = start;
  target[pos++] = 0x7b; // {
  while (at < end && bytes[at] === OPEN) {
    if (at !== start) target[pos++] = 0x2c; // ,
    at++;
    let stop = at;
    while (bytes[stop] !== SP && bytes[stop] !== CLOSE) stop++;
    pos = putName(bytes, at, stop, target, pos);
    target[pos++] = 0x7b;
    at = stop;
    let first = true;
    while (bytes[at] === SP) {
      if (!first) target[pos++] = 0x2c;
      first = false;
      at++;
      stop = at;
      while (bytes[stop] !== EQUALS) stop++;
      pos = putName(bytes, at, stop, target, pos);
      target[pos++] = QUOTE;
      at = stop + 2; // ="
      for (;;) {
        let c = bytes[at]!;
        if (c === QUOTE) break;
        const next = bytes[at + 1];
        if (c === BACKSLASH && (next === QUOTE || next === BACKSLASH || next === CLOSE)) {
          c = next;
          at += 2;
        } else {
          at++;
        }
        pos = putEscaped(c, target, pos);
      }
      target[pos++] = QUOTE;
      at++;
    }
    target[pos++] = 0x7d; // }
    at++; // ]
  }
  target[pos++] = 0x7d;
  return pos;
}

/** "NAME": (names never need escaping: scan() declines those with '\'). */
function putName(bytes: Uint8Array, start: number, end: number, target: Uint8Array, pos: number): number {
  target[pos++] = QUOTE;
  pos = copyBytes(bytes, start, end, target, pos);
  target[pos++] = QUOTE;
  target[pos++] = 0x3a; // :
  return pos;
}

/**
 * The end of the SD-NAME at bytes[start..] (printable US-ASCII but '=', SP, ']' and '"', 1 to
 * 32 of them), or -1 when there is none or it is one the byte path declines.
 */
function nameEnd(bytes: Uint8Array, start: number, end: number): number {
  let pos = start;
  let digitsOnly = true;
  for (; pos < end; pos++) {
    const c = bytes[pos]!;
    if (c <= SP || c >= 0x7f || c === EQUALS || c === CLOSE || c === QUOTE) break;
    if (c === BACKSLASH) return -1;
    if (c < 0x30 || c > 0x39) digitsOnly = false;
  }
  const length = pos - start;
  if (length === 0 || length > SD_NAME_MAX || digitsOnly) return -1;
  if (length === PROTO.length && bytesEqual(bytes, start, PROTO)) return -1;
  return pos;
}

/** True when bytes[start, end) equals one of the `count` names noted before. */
function repeats(bytes: Uint8Array, start: number, end: number, starts: Int32Array, ends: Int32Array, count: number): boolean {
  const length = end - start;
  for (let n = 0; n < count; n++) {
    if (ends[n]! - starts[n]! !== length) continue;
    let same = true;
    for (let i = 0; i < length && same; i++) same = bytes[start + i] === bytes[starts[n]! + i];
    if (same) return true;
  }
  return false;
}

function bytesEqual(bytes: Uint8Array, start: number, other: Uint8Array): boolean {
  for (let i = 0; i < other.length; i++) if (bytes[start + i] !== other[i]) return false;
  return true;
}
