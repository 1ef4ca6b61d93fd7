/**
 * Consume output in large chunks: records are formatted straight into one growing buffer, and the
 * command writes it to stdout with one write per poll, instead of a Buffer per key, separator,
 * value and newline joined by Buffer.concat. `--format value` copies key and value bytes as they
 * are (binary-safe); `--format json` goes through formatRecord.
 *
 * A taken buffer belongs to the stream it was written to (a Writable may hold it until drained),
 * so the next records go into a fresh buffer sized like the last one. Main thread only.
 */
import type { ConsumerRecord } from '../embedded/consumer.js';
import { formatRecord, type OutputFormat } from './record-format.js';

const NEWLINE = 0x0a;
const CAPACITY_BYTES_MIN = 64 * 1024;

export class OutputBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(CAPACITY_BYTES_MIN);
  private pos = 0;

  constructor(
    private readonly format: OutputFormat,
    private readonly keySeparator: Buffer | null,
  ) {}

  add(record: ConsumerRecord): void {
    if (this.format === 'json') {
      const lines: Buffer[] = [];
      formatRecord(record, this.format, this.keySeparator, lines);
      for (const line of lines) this.append(line);
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

  /** The formatted bytes since the last take, or null if there are none. */
  take(): Buffer | null {
    if (this.pos === 0) return null;
    const taken = this.buffer.subarray(0, this.pos);
    this.buffer = Buffer.allocUnsafe(Math.max(CAPACITY_BYTES_MIN, this.pos + (this.pos >> 3)));
    this.pos = 0;
    return taken;
  }

  private append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    const buffer = this.buffer;
    let pos = this.pos;
    if (bytes.length < 64) {
      // Short values by hand: a loop beats the native copy's call overhead.
      for (let i = 0; i < bytes.length; i++) buffer[pos++] = bytes[i]!;
    } else {
      buffer.set(bytes, pos);
      pos += bytes.length;
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
