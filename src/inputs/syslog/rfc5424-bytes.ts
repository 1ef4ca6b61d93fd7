/**
 * The syslog hot path: a plain RFC 5424 message read straight from its bytes and its JSON value
 * written straight into a shared output buffer, with no string or object per message. It covers
 * the common shape only: VERSION 1, header fields of printable ASCII without '"' or '\', and
 * STRUCTURED-DATA "-" or SD-ELEMENTs as rfc5424-sd-bytes.ts takes them. For anything else
 * `scan` answers false and the caller takes the general path (rfc5424.ts + messageJson), which
 * also names what is wrong with a bad message.
 * The bytes written are exactly messageJson's for the same message (a unit test compares them).
 * Main thread or a syslog listener's thread; one scanner per SyslogRecords or batch encoder.
 */
import { isUtf8 } from 'node:buffer';
import { copyBytes, hasHighBytes, mayNeedEscape, sameBytes, viewOf } from './byte-words.js';
import { ESCAPE_EXTRA_BYTES, putEscaped } from './json-bytes.js';
import { facilityName, PRIORITY_MAX, severityName } from './message.js';
import { StructuredDataScan, writeStructuredData } from './rfc5424-sd-bytes.js';

const SP = 0x20;
const DASH = 0x2d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** RFC 5424 §6 limits, as in rfc5424.ts: TIMESTAMP (RFC 3339) 32, HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32. */
const FIELD_MAX = [32, 255, 48, 128, 32] as const;

/** Where each part of the last scanned message is: [start, end) byte offsets, start -1 for "-". */
export class Rfc5424Scan {
  priority = 0;
  /** TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID: starts and ends. */
  readonly starts = new Int32Array(5);
  readonly ends = new Int32Array(5);
  messageStart = 0;
  /** STRUCTURED-DATA's bytes [sdStart, sdEnd) when not "-" (sdStart -1); its JSON's size is sd.jsonBytes. */
  sdStart = -1;
  sdEnd = 0;
  readonly sd = new StructuredDataScan();
  /** Where HOSTNAME starts (after TIMESTAMP and its SP): the header from here to messageStart. */
  hostnameAt = 0;
  timestampMs: number | null = null;
  /** Messages scanned so far (that scan() said true for). */
  scannedCount = 0;
  /**
   * True when the last message repeats the one scanned before it from HOSTNAME to MSG, in the
   * same buffer (one app logging a run): that part was not checked again.
   */
  headerRepeated = false;

  /** The last message's header from HOSTNAME to MSG, when the next one may repeat it. */
  private lastSource: Uint8Array | null = null;
  private lastHeaderStart = 0;
  private lastHeaderBytes = 0;
  /** Length of the last TIMESTAMP that was not "-". */
  private lastTimestampBytes = 0;
  /** The last second's 19 bytes ("2003-10-11T22:14:15") as words at 0, 4, 8, 12 and 15. */
  private readonly lastSecond = new Int32Array(5);
  private lastSecondKnown = false;
  private lastSecondZone = new Uint8Array(6);
  private lastSecondZoneLength = -1;
  private lastSecondMs = 0;

  /**
   * True when bytes[start, end) is a plain RFC 5424 message (see the header); fills in the
   * offsets (positions in `bytes`).
   */
  scan(bytes: Buffer, start = 0, end = bytes.length): boolean {
    if (!this.scanMessage(bytes, start, end)) {
      this.lastSource = null; // the offsets were partly overwritten
      return false;
    }
    this.scannedCount++;
    return true;
  }

  /** Forgets the last header: the buffer it is in is about to be overwritten. */
  forget(): void {
    this.lastSource = null;
  }

  private scanMessage(bytes: Buffer, start: number, end: number): boolean {
    if (end - start < 4 || bytes[start] !== 0x3c) return false;
    let pos = start + 1;
    let priority = 0;
    for (; pos < end && pos <= start + 4; pos++) {
      const c = bytes[pos]!;
      if (c === 0x3e) break;
      if (c < 0x30 || c > 0x39 || (pos === start + 2 && priority === 0)) return false;
      priority = priority * 10 + (c - 0x30);
    }
    // Every read stays below `end`: `bytes` may go on past the message (a read holding many).
    if (pos === start + 1 || pos > start + 4 || pos >= end || bytes[pos] !== 0x3e || priority > PRIORITY_MAX) return false;
    this.priority = priority;
    // VERSION "1" then SP.
    if (pos + 3 > end || bytes[pos + 1] !== 0x31 || bytes[pos + 2] !== SP) return false;
    pos += 3;
    // TIMESTAMP: "-" or what scanTimestamp accepts, which never holds an SP: so where the last
    // timestamp's length puts the SP is tried first, and if that field is one, no SP came sooner.
    let space = pos + this.lastTimestampBytes;
    if (this.lastTimestampBytes === 0 || space >= end || bytes[space] !== SP || !this.timestampField(bytes, pos, space)) {
      space = pos;
      while (space < end && bytes[space] !== SP) space++;
      if (space === end || !this.timestampField(bytes, pos, space)) return false;
    }
    pos = space + 1;
    this.hostnameAt = pos;
    if (this.repeatsHeader(bytes, pos, end)) return true;
    this.headerRepeated = false;
    for (let field = 1; field < 5; field++) {
      // Up to the next SP, every byte printable ASCII but '"' and '\' (a plain loop: a call to
      // Buffer.indexOf costs more than these few bytes).
      space = pos;
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
    // STRUCTURED-DATA: "-" or SD-ELEMENTs (rfc5424-sd-bytes.ts), then the end or SP MSG.
    if (pos >= end) return false;
    if (bytes[pos] === DASH) {
      this.sdStart = -1;
      pos++;
    } else {
      if (!this.sd.scan(bytes, pos, end)) return false;
      this.sdStart = pos;
      pos = this.sdEnd = this.sd.end;
    }
    const withMessage = pos < end;
    if (withMessage && bytes[pos++] !== SP) return false;
    if (pos + 3 <= end && bytes[pos] === 0xef && bytes[pos + 1] === 0xbb && bytes[pos + 2] === 0xbf) pos += 3; // the BOM
    this.messageStart = Math.min(pos, end);
    // Only a header that ends in SP (or the BOM) is a prefix the next message may repeat.
    this.lastSource = withMessage ? bytes : null;
    this.lastHeaderStart = this.hostnameAt;
    this.lastHeaderBytes = this.messageStart - this.hostnameAt;
    return true;
  }

  /** TIMESTAMP is bytes[start, end): "-", or a timestamp scanTimestamp takes. */
  private timestampField(bytes: Buffer, start: number, end: number): boolean {
    if (end === start || end - start > FIELD_MAX[0]) return false;
    if (end - start === 1 && bytes[start] === DASH) {
      this.starts[0] = -1;
      this.timestampMs = null;
      return true;
    }
    this.starts[0] = start;
    this.ends[0] = end;
    if (!this.scanTimestamp(bytes, start, end)) return false;
    this.lastTimestampBytes = end - start;
    return true;
  }

  /** When bytes[at..] starts with the last message's header (see headerRepeated): its offsets, moved. */
  private repeatsHeader(bytes: Buffer, at: number, end: number): boolean {
    const from = this.lastHeaderStart;
    const length = this.lastHeaderBytes;
    if (bytes !== this.lastSource || at + length > end) return false;
    if (!sameBytes(bytes, at, from, length)) return false;
    const shift = at - from;
    for (let field = 1; field < 5; field++) {
      if (this.starts[field] === -1) continue;
      this.starts[field] += shift;
      this.ends[field] += shift;
    }
    if (this.sdStart !== -1) {
      this.sdStart += shift;
      this.sdEnd += shift;
    }
    this.messageStart = at + length;
    this.lastHeaderStart = at;
    this.headerRepeated = true;
    return true;
  }

  /** RFC 3339 as RFC 5424 restricts it; the second's start is computed once per distinct second. */
  private scanTimestamp(bytes: Buffer, start: number, end: number): boolean {
    if (end - start < 20) return false;
    // The same second as the last timestamp (checked then) is the common case: compare first.
    const words = viewOf(bytes);
    const second = this.lastSecond;
    const sameSecond = this.lastSecondKnown && words.getInt32(start) === second[0] && words.getInt32(start + 4) === second[1] &&
      words.getInt32(start + 8) === second[2] && words.getInt32(start + 12) === second[3] && words.getInt32(start + 15) === second[4];
    for (let i = 0; i < 19 && !sameSecond; i++) {
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
    if (!sameSecond || !this.sameZone(bytes, pos, zoneLength)) {
      const ms = secondMs(bytes, start, pos, zoneLength);
      if (ms === null) return false;
      for (let i = 0; i < 4; i++) second[i] = words.getInt32(start + 4 * i);
      second[4] = words.getInt32(start + 15);
      this.lastSecondKnown = true;
      this.lastSecondZone.set(bytes.subarray(pos, end));
      this.lastSecondZoneLength = zoneLength;
      this.lastSecondMs = ms;
    }
    this.timestampMs = this.lastSecondMs + fractionMs;
    return true;
  }

  private sameZone(bytes: Buffer, zoneStart: number, zoneLength: number): boolean {
    if (zoneLength !== this.lastSecondZoneLength) return false;
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
/** HOSTNAME, APP-NAME, PROCID, MSGID: each field's JSON name (TIMESTAMP's is in the prefix). */
const FIELD_PREFIXES = [',"hostname":', ',"app_name":', ',"procid":', ',"msgid":'].map(ascii);
const NULL = ascii('null');
const STRUCTURED_DATA = ascii(',"structured_data":');
const MESSAGE = ascii(',"message":"');
/** Constants at least this long are copied with one native set(); shorter ones by hand. */
const NATIVE_COPY_BYTES_MIN = 24;

/**
 * Writes the JSON value of a scanned message (exactly messageJson's bytes) into a target buffer:
 * measure() first, so a record's length can be written before its value, then write(). Copies
 * from `bytes` are copyWithin when `bytes` is the target itself (the syslog batch encoder copies
 * each read into its slab for this: a copy between two buffers costs a view object per call).
 *
 * A message whose header from HOSTNAME to STRUCTURED-DATA repeats the previous one's (one app
 * logging in a run) reuses the JSON written for it, when both are in the same target.
 */
export class Rfc5424JsonWriter {
  /** Per PRI: `{"format":"rfc5424","priority":P,"facility":"F","severity":"S","version":1,"timestamp":` + `"` or `null`. */
  private readonly prefixes: Array<Buffer | undefined> = [];
  private readonly nullTimestampPrefixes: Array<Buffer | undefined> = [];
  /** The last message written (its scan's scannedCount) and where its JSON from HOSTNAME went. */
  private lastScanned = -1;
  private lastTarget: Uint8Array | null = null;
  private lastJsonStart = 0;
  private lastJsonBytes = 0;
  /** Its PRI, TIMESTAMP length (-1 for "-") and the bytes of JSON before HOSTNAME's. */
  private lastPriority = -1;
  private lastTimestampBytes = -1;
  private lastPrefixBytes = 0;
  /** measure()'s findings for write(). */
  private repeated = false;
  private middleBytes = 0;
  private escapeBytes = 0;

  /**
   * Bytes of the JSON value of the message `scan` just scanned in bytes[.., end), to be written
   * into `target`; -1 when MSG is not UTF-8 (the general path then keeps it raw, saying so).
   */
  measure(bytes: Buffer, end: number, scan: Rfc5424Scan, target: Uint8Array): number {
    // The scan saw the header repeat; its JSON can be reused if it was the last one written here.
    this.repeated = scan.headerRepeated && this.lastScanned === scan.scannedCount - 1 && this.lastTarget === target;
    if (this.repeated) {
      this.middleBytes = this.lastJsonBytes;
    } else {
      let middle = STRUCTURED_DATA.length + (scan.sdStart === -1 ? NULL.length : scan.sd.jsonBytes) + MESSAGE.length;
      for (let field = 1; field < 5; field++) {
        const from = scan.starts[field]!;
        middle += FIELD_PREFIXES[field - 1]!.length + (from === -1 ? NULL.length : scan.ends[field]! - from + 2);
      }
      this.middleBytes = middle;
    }
    // The hottest loop of the syslog input: a word at a time says whether any byte needs a look.
    let escapeBytes = 0;
    if (mayNeedEscape(bytes, scan.messageStart, end)) {
      let highBits = 0;
      for (let i = scan.messageStart; i < end; i++) {
        const c = bytes[i]!;
        escapeBytes += ESCAPE_EXTRA_BYTES[c]!;
        highBits |= c;
      }
      if (highBits >= 0x80 && !isUtf8(bytes.subarray(scan.messageStart, end))) return -1;
    }
    this.escapeBytes = escapeBytes;
    const timestampStart = scan.starts[0]!;
    const timestampBytes = timestampStart === -1 ? 0 : scan.ends[0]! - timestampStart + 1; // and its closing quote
    return this.prefix(scan.priority, timestampStart === -1).length + timestampBytes + this.middleBytes + end - scan.messageStart + escapeBytes + 2;
  }

  /** Writes the value measure() measured at target[pos..]; returns the position after it. */
  write(bytes: Buffer, end: number, scan: Rfc5424Scan, target: Buffer, pos: number): number {
    const valueStart = pos;
    const timestampStart = scan.starts[0]!;
    const timestampBytes = timestampStart === -1 ? -1 : scan.ends[0]! - timestampStart;
    const prefix = this.prefix(scan.priority, timestampStart === -1);
    let middleStart: number;
    if (this.repeated && scan.priority === this.lastPriority && timestampBytes === this.lastTimestampBytes) {
      // The whole JSON up to MSG as the last one's (one memmove), then this message's timestamp.
      const from = this.lastJsonStart - this.lastPrefixBytes;
      target.copyWithin(pos, from, this.lastJsonStart + this.lastJsonBytes);
      if (timestampStart !== -1) copyBytes(bytes, timestampStart, scan.ends[0]!, target, pos + prefix.length);
      middleStart = pos + (this.lastJsonStart - from);
      pos = middleStart + this.lastJsonBytes;
    } else {
      pos = putConstant(target, pos, prefix);
      if (timestampStart !== -1) {
        pos = copyBytes(bytes, timestampStart, scan.ends[0]!, target, pos);
        target[pos++] = QUOTE;
      }
      middleStart = pos;
      if (this.repeated) {
        target.copyWithin(pos, this.lastJsonStart, this.lastJsonStart + this.lastJsonBytes);
        pos += this.lastJsonBytes;
      } else {
        for (let field = 1; field < 5; field++) {
          pos = putConstant(target, pos, FIELD_PREFIXES[field - 1]!);
          const from = scan.starts[field]!;
          if (from === -1) {
            pos = putConstant(target, pos, NULL);
          } else {
            target[pos++] = QUOTE;
            pos = copyBytes(bytes, from, scan.ends[field]!, target, pos);
            target[pos++] = QUOTE;
          }
        }
        pos = putConstant(target, pos, STRUCTURED_DATA);
        pos = scan.sdStart === -1 ? putConstant(target, pos, NULL) : writeStructuredData(bytes, scan.sdStart, scan.sdEnd, target, pos);
        pos = putConstant(target, pos, MESSAGE);
      }
    }
    this.lastTarget = target;
    this.lastScanned = scan.scannedCount;
    this.lastPriority = scan.priority;
    this.lastTimestampBytes = timestampBytes;
    this.lastPrefixBytes = middleStart - valueStart;
    this.lastJsonStart = middleStart;
    this.lastJsonBytes = pos - middleStart;
    pos = this.escapeBytes === 0 ? copyBytes(bytes, scan.messageStart, end, target, pos) : writeEscaped(bytes, scan.messageStart, end, target, pos);
    target[pos++] = QUOTE;
    target[pos++] = 0x7d; // }
    return pos;
  }

  /** Forgets the last message's JSON: it is about to be overwritten (a new slab, say). */
  forget(): void {
    this.lastTarget = null;
  }

  private prefix(priority: number, nullTimestamp: boolean): Buffer {
    const cache = nullTimestamp ? this.nullTimestampPrefixes : this.prefixes;
    return (cache[priority] ??= ascii(`{"format":"rfc5424","priority":${priority},"facility":"${facilityName(priority)}",` +
      `"severity":"${severityName(priority)}","version":1,"timestamp":${nullTimestamp ? 'null' : '"'}`));
  }
}

/**
 * With --syslog-format raw, the value's bytes (the whole message) when MSG from `messageStart` is
 * UTF-8, else -1: the general path then keeps it with its "not UTF-8" header, as for JSON. (The
 * byte paths check that every byte before MSG is ASCII.)
 */
export function rawValueBytes(bytes: Uint8Array, from: number, to: number, messageStart: number): number {
  if (hasHighBytes(bytes, messageStart, to) && !isUtf8(bytes.subarray(messageStart, to))) return -1;
  return to - from;
}

/** The bytes of MSG as a JSON string's content: what JSON.stringify escapes, escaped alike. */
function writeEscaped(bytes: Buffer, start: number, end: number, out: Buffer, pos: number): number {
  for (let i = start; i < end; i++) pos = putEscaped(bytes[i]!, out, pos);
  return pos;
}

function putConstant(target: Buffer, pos: number, constant: Buffer): number {
  if (constant.length >= NATIVE_COPY_BYTES_MIN) {
    target.set(constant, pos);
    return pos + constant.length;
  }
  for (let i = 0; i < constant.length; i++) target[pos++] = constant[i]!;
  return pos;
}
