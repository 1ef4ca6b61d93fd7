/**
 * A small bounds-checked big-endian codec for the two byte formats this directory owns: Kafka's
 * consumer protocol (opaque JoinGroup/SyncGroup bytes) and the __consumer_offsets records. Kept
 * here rather than in src/protocol/ so group logic stays free of the request codec; it speaks the
 * same classic (non-flexible) encodings: int16-length strings, int32-length bytes and arrays,
 * -1 for null.
 *
 * Not thread-safe; one instance per buffer being read or written.
 */
import { DecodeError } from '../protocol/decode-error.js';
import { ARRAY_COUNT_MAX, STRING_BYTES_MAX } from '../common/limits.js';
import { assert } from '../common/assert.js';

export class ByteReader {
  private position = 0;

  constructor(private readonly buffer: Buffer) {}

  get remainingBytes(): number {
    return this.buffer.length - this.position;
  }

  private need(byteCount: number, what: string): void {
    if (byteCount > this.remainingBytes) {
      throw new DecodeError(`${what}: needs ${byteCount} bytes, ${this.remainingBytes} remain`);
    }
  }

  int16(what = 'int16'): number {
    this.need(2, what);
    const v = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return v;
  }

  int32(what = 'int32'): number {
    this.need(4, what);
    const v = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return v;
  }

  /** int64 as a JS number; values beyond 2^53 cannot be represented and are rejected. */
  int64(what = 'int64'): number {
    this.need(8, what);
    const v = this.buffer.readBigInt64BE(this.position);
    this.position += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DecodeError(`${what}: ${v} is outside the exact range of a JS number`);
    }
    return Number(v);
  }

  nullableString(what = 'string'): string | null {
    const byteCount = this.int16(`${what} length`);
    if (byteCount === -1) return null;
    if (byteCount < 0) throw new DecodeError(`${what}: negative length ${byteCount}`);
    this.need(byteCount, what);
    const s = this.buffer.toString('utf8', this.position, this.position + byteCount);
    this.position += byteCount;
    return s;
  }

  string(what = 'string'): string {
    const s = this.nullableString(what);
    if (s === null) throw new DecodeError(`${what}: null where a string is required`);
    return s;
  }

  nullableBytes(what = 'bytes'): Buffer | null {
    const byteCount = this.int32(`${what} length`);
    if (byteCount === -1) return null;
    if (byteCount < 0) throw new DecodeError(`${what}: negative length ${byteCount}`);
    this.need(byteCount, what);
    // A copy: callers keep these (assignments, metadata) longer than the request buffer lives.
    const b = Buffer.from(this.buffer.subarray(this.position, this.position + byteCount));
    this.position += byteCount;
    return b;
  }

  bytes(what = 'bytes'): Buffer {
    const b = this.nullableBytes(what);
    if (b === null) throw new DecodeError(`${what}: null where bytes are required`);
    return b;
  }

  /** An int32-counted array; null (-1) is returned as null. Each element needs >= 1 byte. */
  nullableArray<T>(readElement: (r: ByteReader) => T, what = 'array', minElementBytes = 1): T[] | null {
    const count = this.int32(`${what} count`);
    if (count === -1) return null;
    if (count < 0 || count > ARRAY_COUNT_MAX) throw new DecodeError(`${what}: bad count ${count}`);
    // Reject counts the remaining bytes cannot possibly hold before looping on them.
    if (count * minElementBytes > this.remainingBytes) {
      throw new DecodeError(`${what}: ${count} elements cannot fit in ${this.remainingBytes} bytes`);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(readElement(this));
    return out;
  }

  array<T>(readElement: (r: ByteReader) => T, what = 'array', minElementBytes = 1): T[] {
    const a = this.nullableArray(readElement, what, minElementBytes);
    if (a === null) throw new DecodeError(`${what}: null where an array is required`);
    return a;
  }

  expectEnd(what: string): void {
    if (this.remainingBytes !== 0) {
      throw new DecodeError(`${what}: ${this.remainingBytes} unexpected trailing bytes`);
    }
  }
}

/** Collects fields, then `toBuffer()` concatenates them once. */
export class ByteWriter {
  private readonly chunks: Buffer[] = [];

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }

  int64(v: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.chunks.push(b);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    // Strings written here came off the wire or from topic metadata, both already bounded.
    assert(b.length <= STRING_BYTES_MAX, `string of ${b.length} bytes is too long`);
    this.int16(b.length);
    this.chunks.push(b);
    return this;
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    this.chunks.push(b);
    return this;
  }

  array<T>(items: readonly T[] | null, writeElement: (w: ByteWriter, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) writeElement(this, item);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
