/**
 * Bounds-checked big-endian reader for Kafka protocol bodies (untrusted bytes).
 *
 * Every length or count is checked against the bytes that remain AND against src/common/limits.ts
 * before anything is allocated; any violation throws DecodeError, never a RangeError. Not
 * thread-safe; one reader per frame, owned by whoever decodes it.
 *
 * `bytes` and `records` fields come back as views (subarray) of the input buffer, not copies, so
 * a produce request's record batches go on to the partition ring with no extra copy. A caller
 * that keeps them past the frame's lifetime must copy them.
 *
 * Encodings (Kafka's protocol guide, "Protocol Primitive Types"):
 *   string            int16 length N (>= 0), N bytes UTF-8; nullable: N = -1 is null
 *   compact string    unsigned varint N+1, N bytes; nullable: 0 is null
 *   bytes             int32 length N, N bytes; nullable: N = -1 is null
 *   compact bytes     unsigned varint N+1, N bytes; nullable: 0 is null
 *   array             int32 count N, N elements; nullable: N = -1 is null
 *   compact array     unsigned varint N+1, N elements; nullable: 0 is null
 *   uuid              16 bytes, rendered here as 8-4-4-4-12 lower-case hex
 *   tagged fields     unsigned varint count, then per field: varint tag, varint size, size bytes
 */
import { DecodeError } from './decode-error.js';
import { readUnsignedVarint, readZigzagVarint, readZigzagVarlong, type VarintCursor } from './varint.js';
import { ARRAY_COUNT_MAX, SOCKET_REQUEST_MAX_BYTES, STRING_BYTES_MAX } from '../common/limits.js';

const TWO_POW_32 = 0x1_0000_0000;

export class Reader implements VarintCursor {
  pos: number;
  private readonly end: number;

  /** Reads `buf` from `offset` up to `end` (exclusive, default the whole buffer). */
  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) throw new DecodeError('reader window outside its buffer');
    this.pos = offset;
    this.end = end;
  }

  get remainingBytes(): number {
    return this.end - this.pos;
  }

  private need(byteCount: number, what: string): void {
    if (byteCount > this.end - this.pos) {
      throw new DecodeError(`${what} needs ${byteCount} bytes, ${this.end - this.pos} remain`);
    }
  }

  readInt8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  readBool(): boolean {
    return this.readInt8() !== 0;
  }

  readInt16(): number {
    this.need(2, 'int16');
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readUint16(): number {
    this.need(2, 'uint16');
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readInt32(): number {
    this.need(4, 'int32');
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  readUint32(): number {
    this.need(4, 'uint32');
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** int64 as a JS number: exact within ±2^53, rounded beyond (no field Brook reads goes there). */
  readInt64(): number {
    this.need(8, 'int64');
    const high = this.buf.readInt32BE(this.pos);
    const low = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return high * TWO_POW_32 + low;
  }

  readFloat64(): number {
    this.need(8, 'float64');
    const value = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return value;
  }

  /** The buffer cut at this reader's end, so varints cannot run past the window. */
  private window(): Buffer {
    return this.end === this.buf.length ? this.buf : this.buf.subarray(0, this.end);
  }

  readUnsignedVarint(): number {
    return readUnsignedVarint(this.window(), this, 5);
  }

  readVarint(): number {
    return readZigzagVarint(this.window(), this);
  }

  readVarlong(): number {
    return readZigzagVarlong(this.window(), this);
  }

  readUuid(): string {
    this.need(16, 'uuid');
    const hex = this.buf.toString('hex', this.pos, this.pos + 16);
    this.pos += 16;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  private readUtf8(byteCount: number): string {
    if (byteCount > STRING_BYTES_MAX) throw new DecodeError(`string of ${byteCount} bytes exceeds ${STRING_BYTES_MAX}`);
    this.need(byteCount, 'string');
    const value = this.buf.toString('utf8', this.pos, this.pos + byteCount);
    this.pos += byteCount;
    return value;
  }

  readString(): string {
    const value = this.readNullableString();
    if (value === null) throw new DecodeError('non-nullable string was null');
    return value;
  }

  readNullableString(): string | null {
    const byteCount = this.readInt16();
    if (byteCount < -1) throw new DecodeError(`negative string length ${byteCount}`);
    return byteCount === -1 ? null : this.readUtf8(byteCount);
  }

  readCompactString(): string {
    const value = this.readCompactNullableString();
    if (value === null) throw new DecodeError('non-nullable compact string was null');
    return value;
  }

  readCompactNullableString(): string | null {
    const lengthPlusOne = this.readUnsignedVarint();
    return lengthPlusOne === 0 ? null : this.readUtf8(lengthPlusOne - 1);
  }

  /** A view of the next `byteCount` bytes (no copy). */
  readSlice(byteCount: number): Buffer {
    if (byteCount > SOCKET_REQUEST_MAX_BYTES) {
      throw new DecodeError(`bytes field of ${byteCount} bytes exceeds ${SOCKET_REQUEST_MAX_BYTES}`);
    }
    this.need(byteCount, 'bytes');
    const view = this.buf.subarray(this.pos, this.pos + byteCount);
    this.pos += byteCount;
    return view;
  }

  readBytes(): Buffer {
    const value = this.readNullableBytes();
    if (value === null) throw new DecodeError('non-nullable bytes were null');
    return value;
  }

  readNullableBytes(): Buffer | null {
    const byteCount = this.readInt32();
    if (byteCount < -1) throw new DecodeError(`negative bytes length ${byteCount}`);
    return byteCount === -1 ? null : this.readSlice(byteCount);
  }

  readCompactBytes(): Buffer {
    const value = this.readCompactNullableBytes();
    if (value === null) throw new DecodeError('non-nullable compact bytes were null');
    return value;
  }

  readCompactNullableBytes(): Buffer | null {
    const lengthPlusOne = this.readUnsignedVarint();
    return lengthPlusOne === 0 ? null : this.readSlice(lengthPlusOne - 1);
  }

  /**
   * Checks a claimed element count: every element takes at least one byte, so a count larger
   * than what remains is a lie, and ARRAY_COUNT_MAX bounds the loop whatever the frame size.
   */
  private checkCount(count: number): number {
    if (count > ARRAY_COUNT_MAX) throw new DecodeError(`array count ${count} exceeds ${ARRAY_COUNT_MAX}`);
    if (count > this.end - this.pos) throw new DecodeError(`array count ${count} exceeds the ${this.end - this.pos} bytes left`);
    return count;
  }

  /** int32 count; -1 (null) returns -1. */
  readNullableArrayCount(): number {
    const count = this.readInt32();
    if (count < -1) throw new DecodeError(`negative array count ${count}`);
    return count === -1 ? -1 : this.checkCount(count);
  }

  readArrayCount(): number {
    const count = this.readNullableArrayCount();
    if (count === -1) throw new DecodeError('non-nullable array was null');
    return count;
  }

  /** unsigned varint count + 1; 0 (null) returns -1. */
  readCompactNullableArrayCount(): number {
    const countPlusOne = this.readUnsignedVarint();
    return countPlusOne === 0 ? -1 : this.checkCount(countPlusOne - 1);
  }

  readCompactArrayCount(): number {
    const count = this.readCompactNullableArrayCount();
    if (count === -1) throw new DecodeError('non-nullable compact array was null');
    return count;
  }

  /** Reads `count` elements (count already checked); a bounded loop. */
  readElements<T>(count: number, readElement: (reader: Reader) => T): T[] {
    const elements: T[] = [];
    for (let i = 0; i < count; i++) elements.push(readElement(this));
    return elements;
  }

  /**
   * A tagged-field section. `onField` gets each field's tag and a reader confined to its bytes;
   * it may ignore unknown tags (they are skipped). Tags must increase, as Kafka requires.
   */
  readTaggedFields(onField?: (tag: number, fieldReader: Reader) => void): void {
    const fieldCount = this.checkCount(this.readUnsignedVarint());
    let previousTag = -1;
    for (let i = 0; i < fieldCount; i++) {
      const tag = this.readUnsignedVarint();
      if (tag <= previousTag) throw new DecodeError(`tagged field ${tag} out of order`);
      previousTag = tag;
      const byteCount = this.readUnsignedVarint();
      this.need(byteCount, 'tagged field');
      const fieldEnd = this.pos + byteCount;
      if (onField !== undefined) onField(tag, new Reader(this.buf, this.pos, fieldEnd));
      this.pos = fieldEnd;
    }
  }
}
