/**
 * Sparse offset index of one segment (Kafka's OffsetIndex), kept in memory and appended to its
 * .index file as the writer goes, so a reader in another thread can use the file.
 *
 *   .index entry (8 bytes, big-endian), one per index.interval.bytes of log:
 *   0  int32 relativeOffset   baseOffset of a batch minus the segment's baseOffset
 *   4  int32 position         byte position of that batch in the .log
 *
 * Entries increase in both fields. Position 0 (the segment's first batch) is implicit.
 * Not thread-safe: each owner (writer or reader) keeps its own copy.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export class OffsetIndex {
  private relativeOffsets: number[] = [];
  private positions: number[] = [];

  constructor(readonly baseOffset: number) {}

  get entryCount(): number {
    return this.positions.length;
  }

  lastPosition(): number {
    return this.positions.length === 0 ? 0 : this.positions[this.positions.length - 1]!;
  }

  lastOffset(): number {
    return this.relativeOffsets.length === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[this.relativeOffsets.length - 1]!;
  }

  add(offset: number, position: number): void {
    this.relativeOffsets.push(offset - this.baseOffset);
    this.positions.push(position);
  }

  /** Position of the last indexed batch starting at or before `offset` (0 if none). */
  floorPosition(offset: number): number {
    const found = this.floorIndex(offset);
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** The last entry at or before `offset` as absolute offset and position; offset -1 if none. */
  floorEntry(offset: number): { offset: number; position: number } {
    const found = this.floorIndex(offset);
    return found < 0 ? { offset: -1, position: 0 } : { offset: this.baseOffset + this.relativeOffsets[found]!, position: this.positions[found]! };
  }

  private floorIndex(offset: number): number {
    const target = offset - this.baseOffset;
    let lo = 0;
    let hi = this.relativeOffsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid]! <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Drops entries at or past `entryCount`. */
  truncateEntries(entryCount: number): void {
    this.relativeOffsets.length = Math.min(entryCount, this.relativeOffsets.length);
    this.positions.length = Math.min(entryCount, this.positions.length);
  }

  /** The file bytes of entries [fromEntry, entryCount). */
  encode(fromEntry: number): Buffer {
    const count = this.positions.length - fromEntry;
    const buf = Buffer.allocUnsafe(count * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = 0; i < count; i++) {
      buf.writeInt32BE(this.relativeOffsets[fromEntry + i]!, i * OFFSET_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(this.positions[fromEntry + i]!, i * OFFSET_INDEX_ENTRY_BYTES + 4);
    }
    return buf;
  }

  /**
   * Appends entries decoded from file bytes. Stops (returning false) at the first entry that does
   * not increase or points at or past `logSizeBytes`: a sign the file is stale or damaged.
   */
  decodeAppend(buf: Buffer, logSizeBytes: number): boolean {
    const whole = buf.length - (buf.length % OFFSET_INDEX_ENTRY_BYTES);
    for (let pos = 0; pos < whole; pos += OFFSET_INDEX_ENTRY_BYTES) {
      const relativeOffset = buf.readInt32BE(pos);
      const position = buf.readInt32BE(pos + 4);
      const n = this.positions.length;
      const increasing = n === 0 ? relativeOffset > 0 && position > 0 : relativeOffset > this.relativeOffsets[n - 1]! && position > this.positions[n - 1]!;
      if (!increasing || position >= logSizeBytes) return false;
      this.relativeOffsets.push(relativeOffset);
      this.positions.push(position);
    }
    return whole === buf.length;
  }
}
