/**
 * Consume output in large chunks: records are formatted straight into one growing buffer, and the
 * command writes it to stdout with one write per poll, instead of a Buffer per key, separator,
 * value and newline joined by Buffer.concat. `--format value` copies key and value bytes as they
 * are (binary-safe); `--format json` goes through formatRecord.
 *
 * addBatches() is the fast path for `brook consume`: it walks the records of fetched batches in
 * place (RecordWalker) and copies value bytes from the batch into the output, with no object or
 * Buffer view per record.
 *
 * JSON and templates (output-format.ts) go through formatRecord, one record object each.
 *
 * A taken buffer belongs to the stream it was written to (a Writable may hold it until drained),
 * so the next records go into another buffer sized like the last one: a fresh one, or one the
 * caller gave back with release() once its write completed (the write callback). Recycling spares
 * the garbage collector a megabyte-sized buffer per poll. Main thread only.
 */
import type { ConsumerRecord } from '../embedded/consumer.js';
import { collectRecords, forEachDataBatch, type FetchedBatches } from '../embedded/record-delivery.js';
import { RecordWalker } from '../protocol/record-walker.js';
import { assert } from '../common/assert.js';
import { DEFAULT_FORMAT_OPTIONS, formatRecord, type FormatOptions, type OutputFormat } from './output-format.js';

const NEWLINE = 0x0a;
const CAPACITY_BYTES_MIN = 64 * 1024;
/**
 * Below this many bytes a copy loop beats the native copy's call overhead (measured on Node 20:
 * at 8 bytes the loop takes 0.6x the time of a TypedArray set, at 24 bytes 1.6x).
 */
const COPY_LOOP_BYTES_MAX = 16;

export class OutputBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(CAPACITY_BYTES_MIN);
  private pos = 0;
  private readonly walker = new RecordWalker();
  /** Whole buffers taken and not yet released, oldest first (writes complete in order). */
  private readonly taken: Buffer[] = [];
  /** A released buffer, reused by the next take() if it is big enough. */
  private spare: Buffer | null = null;

  constructor(
    private readonly format: OutputFormat,
    private readonly keySeparator: Buffer | null,
    private readonly options: FormatOptions = DEFAULT_FORMAT_OPTIONS,
  ) {}

  add(record: ConsumerRecord): void {
    if (this.format !== 'value') {
      const pieces: Buffer[] = [];
      formatRecord(record, this.format, this.keySeparator, this.options, pieces);
      for (const piece of pieces) this.append(piece);
      return;
    }
    const { key, value } = record;
    const separator = this.keySeparator;
    const keyBytes = separator === null ? 0 : (key?.length ?? 0) + separator.length;
    this.reserve(keyBytes + (value?.length ?? 0) + 1);
    if (separator !== null) {
      if (key !== null) this.append(key);
      this.append(separator);
    }
    if (value !== null) this.append(value);
    this.buffer[this.pos++] = NEWLINE;
  }

  /**
   * Formats the records of one partition's fetched batches within their offset bounds, at most
   * maxRecords of them; returns how many. Throws DecodeError on a malformed batch.
   */
  addBatches(fetched: FetchedBatches, maxRecords = Infinity): number {
    if (this.format !== 'value') {
      const records: ConsumerRecord[] = [];
      collectRecords(this.walker, fetched, records, maxRecords);
      for (const record of records) this.add(record);
      return records.length;
    }
    return this.keySeparator === null ? this.addValues(fetched, maxRecords) : this.addKeysAndValues(fetched, this.keySeparator, maxRecords);
  }

  /**
   * Values only: each batch's records section is copied into the output once, then every value
   * is moved left over the record framing before it (copyWithin: a memmove, no view allocated)
   * and followed by a newline. This is safe because a record's output (value + 1 byte) is never
   * longer than the record (value + at least 7 bytes of lengths, deltas and header count), so a
   * value's destination never passes its source and never reaches a later record's bytes.
   */
  private addValues(fetched: FetchedBatches, maxRecords: number): number {
    const { fromOffset, stopOffset } = fetched;
    const walker = this.walker;
    let addedCount = 0;
    let done = false;
    forEachDataBatch(fetched, (batch) => {
      walker.reset(batch);
      const section = walker.section;
      this.reserve(section.length);
      const buffer = this.buffer;
      const base = this.pos;
      buffer.set(section, base);
      let pos = base;
      while (walker.next()) {
        const offset = walker.offset;
        if (offset < fromOffset) continue;
        if (offset >= stopOffset || addedCount >= maxRecords) {
          done = true;
          break;
        }
        const valueLength = walker.valueLength; // -1: a null value prints as an empty line
        if (valueLength > 0) {
          const from = base + walker.valueStart;
          assert(pos <= from, 'a value moves left over its record framing');
          if (valueLength < COPY_LOOP_BYTES_MAX) {
            for (let i = from; i < from + valueLength; i++) buffer[pos++] = buffer[i]!;
          } else {
            buffer.copyWithin(pos, from, from + valueLength);
            pos += valueLength;
          }
        }
        buffer[pos++] = NEWLINE;
        addedCount++;
      }
      this.pos = pos;
      return !done;
    });
    return addedCount;
  }

  /** `key<separator>value` lines: the separator may be longer than the framing, so copy out. */
  private addKeysAndValues(fetched: FetchedBatches, separator: Buffer, maxRecords: number): number {
    const { fromOffset, stopOffset } = fetched;
    const walker = this.walker;
    let addedCount = 0;
    forEachDataBatch(fetched, (batch) => {
      walker.reset(batch);
      const section = walker.section;
      while (walker.next()) {
        const offset = walker.offset;
        if (offset < fromOffset) continue;
        if (offset >= stopOffset || addedCount >= maxRecords) return false;
        const keyLength = walker.keyLength;
        const valueLength = walker.valueLength;
        this.reserve(Math.max(keyLength, 0) + separator.length + Math.max(valueLength, 0) + 1);
        if (keyLength > 0) this.copyFrom(section, walker.keyStart, keyLength);
        this.copyFrom(separator, 0, separator.length);
        if (valueLength > 0) this.copyFrom(section, walker.valueStart, valueLength);
        this.buffer[this.pos++] = NEWLINE;
        addedCount++;
      }
      return true;
    });
    return addedCount;
  }

  /** The formatted bytes since the last take, or null if there are none. */
  take(): Buffer | null {
    if (this.pos === 0) return null;
    const taken = this.buffer.subarray(0, this.pos);
    this.taken.push(this.buffer);
    const wantedBytes = Math.max(CAPACITY_BYTES_MIN, this.pos + (this.pos >> 3));
    const spare = this.spare;
    this.spare = null;
    this.buffer = spare !== null && spare.length >= wantedBytes ? spare : Buffer.allocUnsafe(wantedBytes);
    this.pos = 0;
    return taken;
  }

  /**
   * Gives back the oldest taken buffer: call it once per take(), in order, when the write of what
   * take() returned has completed (its callback ran), so nothing refers to those bytes any more.
   */
  release(): void {
    const buffer = this.taken.shift();
    assert(buffer !== undefined, 'release() matches an earlier take()');
    this.spare = buffer;
  }

  private append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    const buffer = this.buffer;
    let pos = this.pos;
    if (bytes.length < COPY_LOOP_BYTES_MAX) {
      for (let i = 0; i < bytes.length; i++) buffer[pos++] = bytes[i]!;
    } else {
      buffer.set(bytes, pos);
      pos += bytes.length;
    }
    this.pos = pos;
  }

  /** Copies bytes [start, start + length) of `source`; the caller reserved the room. */
  private copyFrom(source: Buffer, start: number, length: number): void {
    const buffer = this.buffer;
    let pos = this.pos;
    if (length < COPY_LOOP_BYTES_MAX) {
      for (let i = start; i < start + length; i++) buffer[pos++] = source[i]!;
    } else {
      // A bare Uint8Array over the bytes and TypedArray set: Buffer#copy and subarray cost 2-3x
      // more per call (they build a Buffer view and check arguments).
      buffer.set(new Uint8Array(source.buffer, source.byteOffset + start, length), pos);
      pos += length;
    }
    this.pos = pos;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.pos + bytes, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}
