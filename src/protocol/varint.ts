/**
 * Varints. Records inside a batch use zigzag (signed, protobuf sint32/sint64) varints; flexible
 * protocol versions use unsigned varints for compact lengths and tags. Both read at most 5 bytes
 * (int32) or 10 bytes (int64) and throw DecodeError past that or past the end of the buffer.
 */
import { DecodeError } from './decode-error.js';

export function zigzagVarintBytes(value: number): number {
  return unsignedVarintBytes(((value << 1) ^ (value >> 31)) >>> 0);
}

export function unsignedVarintBytes(value: number): number {
  // One or two bytes is nearly every length and delta in a batch: no loop, no division.
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

/** Writes an unsigned varint (value < 2^53); returns the new position. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  if (value < 0x80) {
    buf[pos] = value;
    return pos + 1;
  }
  if (value < 0x4000) {
    buf[pos] = (value & 0x7f) | 0x80;
    buf[pos + 1] = value >>> 7;
    return pos + 2;
  }
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

/** Writes a zigzag int32 varint; returns the new position. */
export function writeZigzagVarint(buf: Uint8Array, pos: number, value: number): number {
  return writeUnsignedVarint(buf, pos, ((value << 1) ^ (value >> 31)) >>> 0);
}

/** Zigzag varlong for values within ±2^52 (timestamps deltas, offsets): encodes via arithmetic. */
export function writeZigzagVarlong(buf: Uint8Array, pos: number, value: number): number {
  const zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  return writeUnsignedVarint(buf, pos, zigzag);
}

export function zigzagVarlongBytes(value: number): number {
  return unsignedVarintBytes(value >= 0 ? value * 2 : -value * 2 - 1);
}

/** Result holder reused by the readers to avoid an allocation per varint. */
export interface VarintCursor {
  pos: number;
}

export function readUnsignedVarint(buf: Uint8Array, cursor: VarintCursor, maxBytes = 5): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (cursor.pos >= buf.length) throw new DecodeError('varint runs past the end of the buffer');
    const byte = buf[cursor.pos++]!;
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return result;
    multiplier *= 128;
  }
  throw new DecodeError(`varint longer than ${maxBytes} bytes`);
}

export function readZigzagVarint(buf: Uint8Array, cursor: VarintCursor): number {
  const raw = readUnsignedVarint(buf, cursor, 5);
  if (raw > 0xffffffff) throw new DecodeError('varint overflows int32');
  return (raw >>> 1) ^ -(raw & 1);
}

/** Zigzag varlong; values beyond ±2^53 lose precision, which no timestamp delta reaches. */
export function readZigzagVarlong(buf: Uint8Array, cursor: VarintCursor): number {
  const raw = readUnsignedVarint(buf, cursor, 10);
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}
