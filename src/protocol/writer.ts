/**
 * Big-endian writer for Kafka protocol bodies; the encodings are drawn in reader.ts.
 *
 * The buffer grows geometrically. Large buffers handed to `writeChunk` (fetch responses carrying
 * record batches) are not copied into the frame: the writer seals what it has written so far as
 * one chunk, keeps a reference to the big buffer as the next, and carries on. `toChunks()` gives
 * the frame as a list for `socket.cork(); write...; uncork()`; `toBuffer()` concatenates.
 *
 * Values come from Brook's own code, so a value that cannot be encoded (a string over the int16
 * limit, an int64 outside ±2^53) is a programmer error and fails an assert. Not thread-safe.
 */
import { assert } from '../common/assert.js';
import {
  writeUnsignedVarint,
  writeZigzagVarint,
  writeZigzagVarlong,
} from './varint.js';
import { STRING_BYTES_MAX } from '../common/limits.js';

const TWO_POW_32 = 0x1_0000_0000;
/** Below this, copying into the frame is cheaper than an extra chunk (and an extra syscall iovec). */
export const CHUNK_BY_REFERENCE_MIN_BYTES = 4096;

export class Writer {
  private buf: Buffer;
  /** Start of the unsealed part of `buf`. */
  private start = 0;
  private pos = 0;
  private readonly chunks: Buffer[] = [];
  private sealedBytes = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  /** Bytes written so far, chunks included. */
  get byteLength(): number {
    return this.sealedBytes + (this.pos - this.start);
  }

  private ensure(byteCount: number): void {
    if (this.pos + byteCount <= this.buf.length) return;
    const used = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, used + byteCount));
    this.buf.copy(next, 0, this.start, this.pos);
    // Sealed chunks still reference the old buffer, which stays alive through them.
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  writeInt8(value: number): this {
    this.ensure(1);
    this.buf.writeInt8(value, this.pos);
    this.pos += 1;
    return this;
  }

  writeBool(value: boolean): this {
    return this.writeInt8(value ? 1 : 0);
  }

  writeInt16(value: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(value, this.pos);
    this.pos += 2;
    return this;
  }

  writeUint16(value: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(value, this.pos);
    this.pos += 2;
    return this;
  }

  writeInt32(value: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  writeUint32(value: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  writeInt64(value: number): this {
    assert(Number.isSafeInteger(value), `int64 value ${value} is not a safe integer`);
    this.ensure(8);
    const high = Math.floor(value / TWO_POW_32);
    this.buf.writeInt32BE(high, this.pos);
    this.buf.writeUInt32BE(value - high * TWO_POW_32, this.pos + 4);
    this.pos += 8;
    return this;
  }

  writeFloat64(value: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(value, this.pos);
    this.pos += 8;
    return this;
  }

  writeUnsignedVarint(value: number): this {
    assert(Number.isSafeInteger(value) && value >= 0, `unsigned varint ${value} out of range`);
    this.ensure(10);
    this.pos = writeUnsignedVarint(this.buf, this.pos, value);
    return this;
  }

  writeVarint(value: number): this {
    this.ensure(5);
    this.pos = writeZigzagVarint(this.buf, this.pos, value);
    return this;
  }

  writeVarlong(value: number): this {
    this.ensure(10);
    this.pos = writeZigzagVarlong(this.buf, this.pos, value);
    return this;
  }

  writeUuid(value: string): this {
    const hex = value.replace(/-/g, '');
    assert(/^[0-9a-fA-F]{32}$/.test(hex), `bad uuid ${value}`);
    this.ensure(16);
    this.buf.write(hex, this.pos, 16, 'hex');
    this.pos += 16;
    return this;
  }

  /** Raw bytes copied into the frame (no length prefix). */
  writeRaw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /**
   * Raw bytes (no length prefix) kept by reference when large: the caller must not modify `bytes`
   * until the frame has been written out.
   */
  writeChunk(bytes: Buffer): this {
    if (bytes.length < CHUNK_BY_REFERENCE_MIN_BYTES) return this.writeRaw(bytes);
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.sealedBytes += this.pos - this.start;
      this.start = this.pos;
    }
    this.chunks.push(bytes);
    this.sealedBytes += bytes.length;
    return this;
  }

  private utf8(value: string): Buffer {
    const bytes = Buffer.from(value, 'utf8');
    assert(bytes.length <= STRING_BYTES_MAX, `string of ${bytes.length} bytes exceeds ${STRING_BYTES_MAX}`);
    return bytes;
  }

  writeString(value: string): this {
    const bytes = this.utf8(value);
    return this.writeInt16(bytes.length).writeRaw(bytes);
  }

  writeNullableString(value: string | null): this {
    return value === null ? this.writeInt16(-1) : this.writeString(value);
  }

  writeCompactString(value: string): this {
    const bytes = this.utf8(value);
    return this.writeUnsignedVarint(bytes.length + 1).writeRaw(bytes);
  }

  writeCompactNullableString(value: string | null): this {
    return value === null ? this.writeUnsignedVarint(0) : this.writeCompactString(value);
  }

  writeBytes(value: Buffer): this {
    return this.writeInt32(value.length).writeChunk(value);
  }

  writeNullableBytes(value: Buffer | null): this {
    return value === null ? this.writeInt32(-1) : this.writeBytes(value);
  }

  writeCompactBytes(value: Buffer): this {
    return this.writeUnsignedVarint(value.length + 1).writeChunk(value);
  }

  writeCompactNullableBytes(value: Buffer | null): this {
    return value === null ? this.writeUnsignedVarint(0) : this.writeCompactBytes(value);
  }

  /** int32 element count; null writes -1. */
  writeArrayCount(count: number | null): this {
    return this.writeInt32(count === null ? -1 : count);
  }

  /** unsigned varint count + 1; null writes 0. */
  writeCompactArrayCount(count: number | null): this {
    return this.writeUnsignedVarint(count === null ? 0 : count + 1);
  }

  /**
   * A tagged-field section. Fields must be in increasing tag order; each is encoded into a scratch
   * writer first because its size precedes it.
   */
  writeTaggedFields(fields: ReadonlyArray<{ tag: number; write: (writer: Writer) => void }>): this {
    this.writeUnsignedVarint(fields.length);
    let previousTag = -1;
    for (const field of fields) {
      assert(field.tag > previousTag, 'tagged fields must be written in increasing tag order');
      previousTag = field.tag;
      const scratch = new Writer(64);
      field.write(scratch);
      const bytes = scratch.toBuffer();
      this.writeUnsignedVarint(field.tag).writeUnsignedVarint(bytes.length).writeRaw(bytes);
    }
    return this;
  }

  /** Overwrites 4 bytes already written at logical `position` (e.g. a size prefix). */
  patchInt32(position: number, value: number): void {
    if (position >= this.sealedBytes) {
      this.buf.writeInt32BE(value, this.start + position - this.sealedBytes);
      return;
    }
    let chunkStart = 0;
    for (const chunk of this.chunks) {
      if (position < chunkStart + chunk.length) {
        assert(position + 4 <= chunkStart + chunk.length, 'patched int32 spans two chunks');
        chunk.writeInt32BE(value, position - chunkStart);
        return;
      }
      chunkStart += chunk.length;
    }
    assert(false, `patch position ${position} outside the written bytes`);
  }

  /** The written bytes as a list of buffers, large appended buffers by reference. */
  toChunks(): Buffer[] {
    if (this.pos === this.start) return this.chunks.slice();
    return [...this.chunks, this.buf.subarray(this.start, this.pos)];
  }

  /** The written bytes as one buffer (a view when there are no chunks, else one concatenation). */
  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(this.start, this.pos);
    return Buffer.concat(this.toChunks(), this.byteLength);
  }
}

