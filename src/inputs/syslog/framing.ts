/**
 * Syslog over a stream (TCP, TLS): splits the bytes into messages by RFC 6587's two framings,
 * detected per message as rsyslog does:
 *
 *   octet counting:   "57 <34>1 2003-10-11T22:14:15.003Z host app - ID47 - message..."
 *                     MSG-LEN (a non-zero digit, then digits) SP, then exactly MSG-LEN octets
 *                     (RFC 5425's framing over TLS)
 *   non-transparent:  "<34>Oct 11 22:14:15 host app: message\n"
 *                     everything up to LF (a CR before it is dropped)
 *
 * A message longer than max_line_bytes is truncated or skipped (long-lines.ts); its excess is
 * read and discarded as it arrives, so memory per connection stays within max_line_bytes however
 * long the message claims to be. Main thread; one framer per connection.
 */
import { utf8CutBytes, type LongLines } from '../long-lines.js';

export interface FrameSink {
  /**
   * One message: source[start, end), most often in the chunk just pushed (no view is made for it);
   * `originalBytes` > end - start when it was truncated.
   */
  frame(source: Buffer, start: number, end: number, originalBytes: number): void;
  /** A message longer than max_line_bytes was skipped. */
  skipped(originalBytes: number): void;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
/** MSG-LEN digits: 10 covers any length a 32-bit count could claim. */
const LENGTH_DIGITS_MAX = 10;

type Mode = 'start' | 'length' | 'octets' | 'line';

export class SyslogFramer {
  private mode: Mode = 'start';
  private lengthValue = 0;
  private lengthDigits = 0;
  private remainingBytes = 0;
  private frameBytes = 0;
  /** Parts of the current message past its first; the first is kept as chunk + range (no view). */
  private parts: Buffer[] = [];
  private first: Buffer | null = null;
  private firstFrom = 0;
  private firstTo = 0;
  private keptBytes = 0;

  constructor(
    private readonly limits: LongLines,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      switch (this.mode) {
        case 'start': {
          const c = chunk[pos]!;
          // Separators some senders put between frames.
          if (c === LF || c === CR || c === NUL || c === SP) pos++;
          else this.mode = c >= 0x31 && c <= 0x39 ? 'length' : 'line';
          break;
        }
        case 'length': {
          const c = chunk[pos]!;
          if (c === SP && this.lengthDigits > 0) {
            pos++;
            this.remainingBytes = this.lengthValue;
            this.mode = 'octets';
            this.resetLength();
          } else if (c >= 0x30 && c <= 0x39 && this.lengthDigits < LENGTH_DIGITS_MAX) {
            this.lengthValue = this.lengthValue * 10 + (c - 0x30);
            this.lengthDigits++;
            pos++;
          } else {
            // Not a MSG-LEN after all: the digits read so far begin a line.
            this.keep(Buffer.from(String(this.lengthValue)), 0, this.lengthDigits);
            this.resetLength();
            this.mode = 'line';
          }
          break;
        }
        case 'octets': {
          const take = Math.min(this.remainingBytes, end - pos);
          this.keep(chunk, pos, pos + take);
          pos += take;
          this.remainingBytes -= take;
          if (this.remainingBytes === 0) this.emit();
          break;
        }
        case 'line': {
          const newline = chunk.indexOf(LF, pos);
          const stop = newline === -1 ? end : newline;
          this.keep(chunk, pos, stop);
          pos = stop;
          if (newline !== -1) {
            pos++;
            this.emit();
          }
          break;
        }
      }
    }
  }

  /** The connection ended: a last line without LF is still a message; a cut octet frame is too. */
  end(): void {
    if (this.mode === 'line' || this.mode === 'octets') this.emit();
    this.mode = 'start';
  }

  private resetLength(): void {
    this.lengthValue = 0;
    this.lengthDigits = 0;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    this.frameBytes += to - from;
    const room = this.limits.maxLineBytes + 1 - this.keptBytes; // one more: to see that it is too long
    if (room <= 0 || to === from) return;
    const stop = Math.min(to, from + room);
    this.keptBytes += stop - from;
    if (this.first === null) {
      this.first = chunk;
      this.firstFrom = from;
      this.firstTo = stop;
    } else {
      this.parts.push(chunk.subarray(from, stop));
    }
  }

  private emit(): void {
    const { first, firstFrom, frameBytes } = this;
    let firstTo = this.firstTo;
    this.first = null;
    this.keptBytes = 0;
    this.frameBytes = 0;
    this.mode = 'start';
    if (frameBytes === 0 || first === null) return;
    const { maxLineBytes, policy } = this.limits;
    if (this.parts.length === 0 && frameBytes <= maxLineBytes) {
      // The common case, a message within one read: one view of the chunk, trailing LF/CR/NUL cut.
      while (firstTo > firstFrom && (first[firstTo - 1] === LF || first[firstTo - 1] === CR || first[firstTo - 1] === NUL)) firstTo--;
      if (firstTo > firstFrom) this.sink.frame(first, firstFrom, firstTo, firstTo - firstFrom);
      return;
    }
    const parts = [first.subarray(firstFrom, firstTo), ...this.parts];
    this.parts = [];
    let bytes = Buffer.concat(parts);
    if (frameBytes <= maxLineBytes) {
      let length = bytes.length;
      while (length > 0 && (bytes[length - 1] === LF || bytes[length - 1] === CR || bytes[length - 1] === NUL)) length--;
      if (length > 0) this.sink.frame(bytes, 0, length, length);
      return;
    }
    if (policy === 'skip') return this.sink.skipped(frameBytes);
    this.sink.frame(bytes, 0, utf8CutBytes(bytes, 0, maxLineBytes), frameBytes);
  }
}
