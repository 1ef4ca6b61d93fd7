/**
 * Sparse time index of one segment (Kafka's TimeIndex), in memory and appended to .timeindex.
 *
 *   .timeindex entry (12 bytes, big-endian):
 *   0  int64 timestamp        the largest timestamp seen so far in the segment
 *   8  int32 relativeOffset   offset of the record with that timestamp, minus baseOffset
 *
 * Timestamps strictly increase. Every record at or before an entry's offset has a timestamp at
 * most the entry's, so a lookup can start after the last entry below the target.
 * Not thread-safe: each owner keeps its own copy.
 */
export const TIME_INDEX_ENTRY_BYTES = 12;

export class TimeIndex {
  private timestamps: number[] = [];
  private relativeOffsets: number[] = [];

  constructor(readonly baseOffset: number) {}

  get entryCount(): number {
    return this.timestamps.length;
  }

  lastTimestamp(): number {
    return this.timestamps.length === 0 ? -1 : this.timestamps[this.timestamps.length - 1]!;
  }

  /** Adds an entry if it moves the largest timestamp forward; returns whether it did. */
  maybeAdd(timestamp: number, offset: number): boolean {
    if (timestamp <= this.lastTimestamp()) return false;
    this.timestamps.push(timestamp);
    this.relativeOffsets.push(offset - this.baseOffset);
    return true;
  }

  /** First offset that may hold a timestamp >= `timestampMs` by this index. */
  startOffsetFor(timestampMs: number): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[found]! + 1;
  }

  truncateEntries(entryCount: number): void {
    this.timestamps.length = Math.min(entryCount, this.timestamps.length);
    this.relativeOffsets.length = Math.min(entryCount, this.relativeOffsets.length);
  }

  encode(fromEntry: number): Buffer {
    const count = this.timestamps.length - fromEntry;
    const buf = Buffer.allocUnsafe(count * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < count; i++) {
      buf.writeBigInt64BE(BigInt(this.timestamps[fromEntry + i]!), i * TIME_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(this.relativeOffsets[fromEntry + i]!, i * TIME_INDEX_ENTRY_BYTES + 8);
    }
    return buf;
  }

  /** Appends decoded entries; false at the first one that breaks the ordering or passes `nextOffset`. */
  decodeAppend(buf: Buffer, nextOffset: number): boolean {
    const whole = buf.length - (buf.length % TIME_INDEX_ENTRY_BYTES);
    for (let pos = 0; pos < whole; pos += TIME_INDEX_ENTRY_BYTES) {
      const timestamp = Number(buf.readBigInt64BE(pos));
      const relativeOffset = buf.readInt32BE(pos + 8);
      const n = this.relativeOffsets.length;
      if (relativeOffset < 0 || this.baseOffset + relativeOffset >= nextOffset) return false;
      if (n > 0 && relativeOffset < this.relativeOffsets[n - 1]!) return false;
      if (!this.maybeAdd(timestamp, this.baseOffset + relativeOffset)) return false;
    }
    return whole === buf.length;
  }
}
