/**
 * Splits a byte stream into runs of whole lines for `brook produce`, numbering them, without ever
 * holding more than one chunk plus one line of at most `maxLineBytes`:
 *
 *   chunk:  ...a\nbb\nccc\ndd|d          runs: "a\nbb\nccc\n" (firstLine n, 3 lines), then "ddd..." once
 *                           └ partial: copied, joined with the next chunk      its newline arrives
 *
 * A line ends at '\n' (any '\r' before it is data; the producer may strip it); a last line
 * without '\n' is still a line; an empty input has no lines and "a\n" has exactly one. A line's
 * length is its bytes without the '\n'. A line longer than `maxLineBytes` is never buffered:
 *   skip      its bytes are dropped as they arrive; onLongLine() hears of it once it ends;
 *   truncate  its first maxLineBytes bytes are yielded as the line, the rest dropped;
 *   fail      LongLineError, naming the line, as soon as it passes the limit.
 * Runs are views into the input chunks: only a line split across chunks (or a truncated one) is
 * copied. Main thread only.
 */
import { UserError } from './user-error.js';

const NEWLINE = 0x0a;

export type LongLinePolicy = 'skip' | 'truncate' | 'fail';

export interface LineRun {
  /** Whole lines laid end to end; each ends with '\n' except a last line of the input. */
  text: Buffer;
  /** The input line number (1-based) of its first line. */
  firstLine: number;
  lineCount: number;
}

export interface LineReaderOptions {
  maxLineBytes: number;
  longLines: LongLinePolicy;
  /** A long line was skipped or truncated: its number and full length in bytes. */
  onLongLine?: (lineNumber: number, lineBytes: number) => void;
}

/** A line passed --max-line-bytes under --long-lines fail. */
export class LongLineError extends UserError {
  constructor(
    readonly lineNumber: number,
    readonly maxLineBytes: number,
  ) {
    super(`line ${lineNumber} is longer than ${maxLineBytes} bytes (--max-line-bytes)`);
  }
}

export class LineReader {
  /** Lines the input has ended so far: the number of the line being read is this + 1. */
  private endedLineCount = 0;
  /** Pieces of the current line that a chunk boundary split (never more than maxLineBytes). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Dropping the rest of a long line until its '\n'; how long it is so far. */
  private dropping = false;
  private droppedLineBytes = 0;
  /** A line truncated before its end arrived: yielded once it ends. */
  private pendingTruncated: LineRun | null = null;
  /** Whether a run yielded from the last chunk is a view of it (else the chunk's buffer is free). */
  private chunkRetained = false;

  constructor(private readonly options: LineReaderOptions) {}

  /** Lines ended so far (yielded, skipped or truncated). */
  get lineCount(): number {
    return this.endedLineCount;
  }

  /** Whether nothing yielded refers to the last chunk read (see input.ts). */
  get lastChunkFree(): boolean {
    return !this.chunkRetained;
  }

  async *runs(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<LineRun> {
    for await (const piece of chunks) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      yield* this.chunkRuns(chunk);
    }
    if (this.dropping) {
      this.endLongLine();
      const truncated = this.takeTruncated();
      if (truncated !== null) yield truncated;
    } else if (this.partialBytes > 0) {
      const text = Buffer.concat(this.partial, this.partialBytes);
      this.partial = [];
      this.partialBytes = 0;
      yield this.ended(text, 1);
    }
  }

  private *chunkRuns(chunk: Buffer): Generator<LineRun> {
    this.chunkRetained = false;
    let start = 0;
    if (this.dropping || this.partialBytes > 0) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        this.continueLine(chunk);
        return;
      }
      const head = this.finishLine(chunk.subarray(0, newline + 1));
      if (head !== null) yield head;
      start = newline + 1;
    }
    const { maxLineBytes } = this.options;
    let runStart = start;
    let runLines = 0;
    let lineStart = start;
    for (let newline = chunk.indexOf(NEWLINE, start); newline !== -1; newline = chunk.indexOf(NEWLINE, lineStart)) {
      if (newline - lineStart > maxLineBytes) {
        if (runLines > 0) yield this.viewRun(chunk.subarray(runStart, lineStart), runLines);
        const long = this.longLine(chunk.subarray(lineStart, newline), true);
        if (long !== null) yield long;
        runStart = newline + 1;
        runLines = 0;
      } else {
        runLines++;
      }
      lineStart = newline + 1;
    }
    if (runLines > 0) yield this.viewRun(chunk.subarray(runStart, lineStart), runLines);
    if (lineStart < chunk.length) this.continueLine(chunk.subarray(lineStart));
  }

  private viewRun(text: Buffer, lineCount: number): LineRun {
    this.chunkRetained = true;
    return this.ended(text, lineCount);
  }

  /** Bytes of the current line with no '\n' among them. */
  private continueLine(bytes: Buffer): void {
    if (this.dropping) {
      this.droppedLineBytes += bytes.length;
      return;
    }
    if (this.partialBytes + bytes.length > this.options.maxLineBytes) {
      const start = this.partial.length === 0 ? bytes : Buffer.concat([...this.partial, bytes]);
      this.partial = [];
      this.partialBytes = 0;
      const truncated = this.longLine(start, false);
      if (truncated !== null) this.pendingTruncated = truncated;
      return;
    }
    this.partial.push(Buffer.from(bytes)); // a copy: do not pin the whole chunk
    this.partialBytes += bytes.length;
  }

  /** The current line's last bytes, '\n' included; the run holding the line, if any. */
  private finishLine(tail: Buffer): LineRun | null {
    if (this.dropping) {
      this.droppedLineBytes += tail.length - 1;
      this.endLongLine();
      return this.takeTruncated();
    }
    const lineBytes = this.partialBytes + tail.length - 1;
    const text = Buffer.concat([...this.partial, tail], lineBytes + 1);
    this.partial = [];
    this.partialBytes = 0;
    if (lineBytes > this.options.maxLineBytes) return this.longLine(text.subarray(0, lineBytes), true);
    return this.ended(text, 1);
  }

  /**
   * A line over the limit, of which `bytes` (no '\n') are known; `complete` when its end is
   * among them. Returns the truncated line to yield, if the policy truncates and it is complete.
   */
  private longLine(bytes: Buffer, complete: boolean): LineRun | null {
    const { longLines, maxLineBytes } = this.options;
    if (longLines === 'fail') throw new LongLineError(this.endedLineCount + 1, maxLineBytes);
    let truncated: LineRun | null = null;
    if (longLines === 'truncate') {
      const text = Buffer.allocUnsafe(maxLineBytes + 1);
      bytes.copy(text, 0, 0, maxLineBytes);
      text[maxLineBytes] = NEWLINE;
      truncated = { text, firstLine: this.endedLineCount + 1, lineCount: 1 };
    }
    this.dropping = true;
    this.droppedLineBytes = bytes.length;
    if (!complete) return truncated; // yielded once the line ends (see pendingTruncated)
    this.endLongLine();
    return truncated;
  }

  private takeTruncated(): LineRun | null {
    const truncated = this.pendingTruncated;
    this.pendingTruncated = null;
    return truncated;
  }

  private endLongLine(): void {
    this.dropping = false;
    this.endedLineCount++;
    this.options.onLongLine?.(this.endedLineCount, this.droppedLineBytes);
  }

  private ended(text: Buffer, lineCount: number): LineRun {
    const run = { text, firstLine: this.endedLineCount + 1, lineCount };
    this.endedLineCount += lineCount;
    return run;
  }
}
