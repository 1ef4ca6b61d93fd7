/**
 * The syslog hot path: a plain RFC 5424 message read straight from its bytes and its JSON value
 * written straight into a shared output buffer, with no string or object per message. It covers
 * the common shape only: VERSION 1, header fields of printable ASCII without '"' or '\', and
 * STRUCTURED-DATA "-". For anything else `scanRfc5424` answers false and the caller takes the
 * general path (rfc5424.ts + messageJson), which also names what is wrong with a bad message.
 * The bytes written are exactly messageJson's for the same message (a unit test compares them).
 * Main thread; one scanner per input (SyslogRecords).
 */
import { facilityName, PRIORITY_MAX, severityName } from './message.js';

const SP = 0x20;
const DASH = 0x2d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** RFC 5424 §6 limits, as in rfc5424.ts: TIMESTAMP (RFC 3339) 32, HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32. */
const FIELD_MAX = [32, 255, 48, 128, 32] as const;
/** Output is allocated in chunks this big; record values are views of them. */
const OUT_CHUNK_BYTES = 256 * 1024;

/** Where each part of the last scanned message is: [start, end) byte offsets, start -1 for "-". */
export class Rfc5424Scan {
  priority = 0;
  /** TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID: starts and ends. */
  readonly starts = new Int32Array(5);
  readonly ends = new Int32Array(5);
  messageStart = 0;
  timestampMs: number | null = null;

  private lastSecond = new Uint8Array(19);
  private lastSecondZone = new Uint8Array(6);
  private lastSecondZoneLength = -1;
  private lastSecondMs = 0;

  /** True when `bytes` is a plain RFC 5424 message (see the header); fills in the offsets. */
  scan(bytes: Buffer): boolean {
    const end = bytes.length;
    if (end < 4 || bytes[0] !== 0x3c) return false;
    let pos = 1;
    let priority = 0;
    for (; pos < end && pos <= 4; pos++) {
      const c = bytes[pos]!;
      if (c === 0x3e) break;
      if (c < 0x30 || c > 0x39 || (pos === 2 && priority === 0)) return false;
      priority = priority * 10 + (c - 0x30);
    }
    if (pos === 1 || pos > 4 || bytes[pos] !== 0x3e || priority > PRIORITY_MAX) return false;
    this.priority = priority;
    // VERSION "1" then SP.
    if (bytes[pos + 1] !== 0x31 || bytes[pos + 2] !== SP) return false;
    pos += 3;
    for (let field = 0; field < 5; field++) {
      // Up to the next SP, every byte printable ASCII but '"' and '\' (a plain loop: a call to
      // Buffer.indexOf costs more than these few bytes).
      let space = pos;
      for (; space < end; space++) {
        const c = bytes[space]!;
        if (c === SP) break;
        if (c < 0x21 || c > 0x7e || c === QUOTE || c === BACKSLASH) return false;
      }
      if (space === end || space === pos || space - pos > FIELD_MAX[field]!) return false;
      if (space - pos === 1 && bytes[pos] === DASH) {
        this.starts[field] = -1;
      } else {
        this.starts[field] = pos;
        this.ends[field] = space;
      }
      pos = space + 1;
    }
    // STRUCTURED-DATA "-", then the end or SP MSG.
    if (bytes[pos] !== DASH) return false;
    pos++;
    if (pos < end && bytes[pos++] !== SP) return false;
    if (bytes[pos] === 0xef && bytes[pos + 1] === 0xbb && bytes[pos + 2] === 0xbf) pos += 3; // the BOM
    this.messageStart = Math.min(pos, end);
    if (this.starts[0] === -1) {
      this.timestampMs = null;
      return true;
    }
    return this.scanTimestamp(bytes, this.starts[0]!, this.ends[0]!);
  }

  /** RFC 3339 as RFC 5424 restricts it; the second's start is computed once per distinct second. */
  private scanTimestamp(bytes: Buffer, start: number, end: number): boolean {
    if (end - start < 20) return false;
    for (let i = 0; i < 19; i++) {
      const c = bytes[start + i]!;
      const expected = i === 4 || i === 7 ? 0x2d : i === 10 ? 0x54 : i === 13 || i === 16 ? 0x3a : -1;
      if (expected === -1 ? c < 0x30 || c > 0x39 : c !== expected) return false;
    }
    let pos = start + 19;
    let fractionMs = 0;
    if (bytes[pos] === 0x2e) {
      const digitsStart = ++pos;
      while (pos < end && bytes[pos]! >= 0x30 && bytes[pos]! <= 0x39) pos++;
      const digits = pos - digitsStart;
      if (digits < 1 || digits > 6) return false;
      for (let i = 0; i < 3; i++) fractionMs = fractionMs * 10 + (i < digits ? bytes[digitsStart + i]! - 0x30 : 0);
    }
    const zoneLength = end - pos;
    if (zoneLength === 1) {
      if (bytes[pos] !== 0x5a) return false;
    } else if (zoneLength === 6) {
      const sign = bytes[pos];
      if ((sign !== 0x2b && sign !== 0x2d) || bytes[pos + 3] !== 0x3a || !digitsAt(bytes, pos + 1, 2) || !digitsAt(bytes, pos + 4, 2)) return false;
    } else {
      return false;
    }
    if (!this.sameSecond(bytes, start, pos, zoneLength)) {
      const ms = secondMs(bytes, start, pos, zoneLength);
      if (ms === null) return false;
      this.lastSecond.set(bytes.subarray(start, start + 19));
      this.lastSecondZone.set(bytes.subarray(pos, end));
      this.lastSecondZoneLength = zoneLength;
      this.lastSecondMs = ms;
    }
    this.timestampMs = this.lastSecondMs + fractionMs;
    return true;
  }

  private sameSecond(bytes: Buffer, start: number, zoneStart: number, zoneLength: number): boolean {
    if (zoneLength !== this.lastSecondZoneLength) return false;
    for (let i = 0; i < 19; i++) if (bytes[start + i] !== this.lastSecond[i]) return false;
    for (let i = 0; i < zoneLength; i++) if (bytes[zoneStart + i] !== this.lastSecondZone[i]) return false;
    return true;
  }
}

function digitsAt(bytes: Buffer, pos: number, count: number): boolean {
  for (let i = pos; i < pos + count; i++) if (bytes[i]! < 0x30 || bytes[i]! > 0x39) return false;
  return true;
}

function number(bytes: Buffer, pos: number, count: number): number {
  let value = 0;
  for (let i = pos; i < pos + count; i++) value = value * 10 + (bytes[i]! - 0x30);
  return value;
}

/** The second (ms since the epoch) of a checked timestamp, or null for an impossible date. */
function secondMs(bytes: Buffer, start: number, zoneStart: number, zoneLength: number): number | null {
  const month = number(bytes, start + 5, 2);
  const day = number(bytes, start + 8, 2);
  const hour = number(bytes, start + 11, 2);
  const minute = number(bytes, start + 14, 2);
  const second = number(bytes, start + 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let ms = Date.UTC(number(bytes, start, 4), month - 1, day, hour, minute, second);
  if (zoneLength === 6) {
    const offsetMinutes = number(bytes, zoneStart + 1, 2) * 60 + number(bytes, zoneStart + 4, 2);
    ms -= (bytes[zoneStart] === 0x2b ? 1 : -1) * offsetMinutes * 60_000;
  }
  return ms;
}

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const FIELD_PREFIXES = [',"timestamp":', ',"hostname":', ',"app_name":', ',"procid":', ',"msgid":'].map(ascii);
const NULL = ascii('null');
const SD_AND_MESSAGE = ascii(',"structured_data":null,"message":"');
const CLOSE = ascii('"}');
const HEX = ascii('0123456789abcdef');
/** JSON.stringify's short escapes: \b \t \n \f \r. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/**
 * Writes the JSON values of scanned messages one after another into chunks of OUT_CHUNK_BYTES;
 * each value is a view of its chunk. A chunk is never written twice, so values stay valid for as
 * long as a record holds them.
 */
export class Rfc5424JsonWriter {
  private out = Buffer.allocUnsafe(0);
  private pos = 0;
  /** `{"format":"rfc5424","priority":P,"facility":"F","severity":"S","version":1` per PRI. */
  private readonly prefixes: Array<Buffer | undefined> = [];

  /** The JSON value of the message `scan` last scanned in `bytes` (valid UTF-8). */
  write(bytes: Buffer, scan: Rfc5424Scan): Buffer {
    // Room for the worst case: every byte of the message escaped as \u00XX.
    const room = 256 + 6 * bytes.length;
    if (this.out.length - this.pos < room) {
      this.out = Buffer.allocUnsafe(Math.max(OUT_CHUNK_BYTES, room));
      this.pos = 0;
    }
    const out = this.out;
    const start = this.pos;
    let pos = this.put(this.prefix(scan.priority), start);
    for (let field = 0; field < 5; field++) {
      pos = this.put(FIELD_PREFIXES[field]!, pos);
      const from = scan.starts[field]!;
      if (from === -1) {
        pos = this.put(NULL, pos);
      } else {
        out[pos++] = QUOTE;
        for (let i = from, to = scan.ends[field]!; i < to; i++) out[pos++] = bytes[i]!;
        out[pos++] = QUOTE;
      }
    }
    pos = this.put(SD_AND_MESSAGE, pos);
    for (let i = scan.messageStart; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
        out[pos++] = c;
      } else if (c >= 0x20) {
        out[pos++] = BACKSLASH;
        out[pos++] = c;
      } else {
        out[pos++] = BACKSLASH;
        const short = SHORT_ESCAPES[c];
        if (short !== undefined) {
          out[pos++] = short;
        } else {
          out[pos++] = 0x75; // u00XX
          out[pos++] = 0x30;
          out[pos++] = 0x30;
          out[pos++] = HEX[c >> 4]!;
          out[pos++] = HEX[c & 15]!;
        }
      }
    }
    pos = this.put(CLOSE, pos);
    this.pos = pos;
    return out.subarray(start, pos);
  }

  /** A constant part (TypedArray set: no wrapper, no view allocated, unlike Buffer.copy). */
  private put(part: Buffer, pos: number): number {
    this.out.set(part, pos);
    return pos + part.length;
  }

  private prefix(priority: number): Buffer {
    return (this.prefixes[priority] ??= ascii(
      `{"format":"rfc5424","priority":${priority},"facility":"${facilityName(priority)}","severity":"${severityName(priority)}","version":1`));
  }
}
