/**
 * Splits a byte stream into lines without ever holding more than one chunk plus one partial line:
 * the caller pulls chunks (so the stream is paused while the caller waits on the producer), and a
 * line longer than `maxLineBytes` is an error rather than an unbounded buffer.
 *
 * A line ends at '\n'; a '\r' before it is dropped ('\r\n' input); a last line without '\n' is
 * still a line; an empty input has no lines, and "a\n" has exactly one.
 */
import { UserError } from './user-error.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Yields the lines of each chunk as one array (views into the chunk, no copies). */
export async function* readLineChunks(
  stream: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<Buffer[]> {
  let partial: Buffer | null = null;
  let lineNumber = 0;
  for await (const piece of stream) {
    let chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (partial !== null) {
      chunk = Buffer.concat([partial, chunk]);
      partial = null;
    }
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      lines.push(trimCarriageReturn(chunk.subarray(start, end)));
      start = end + 1;
    }
    if (start < chunk.length) {
      partial = Buffer.from(chunk.subarray(start)); // copy: do not pin the whole chunk
      if (partial.length > maxLineBytes) {
        throw new UserError(`line ${lineNumber + lines.length + 1} is longer than ${maxLineBytes} bytes`);
      }
    }
    for (const line of lines) {
      if (line.length > maxLineBytes) throw new UserError(`line ${lineNumber + 1} is longer than ${maxLineBytes} bytes`);
      lineNumber++;
    }
    if (lines.length > 0) yield lines;
  }
  if (partial !== null) yield [trimCarriageReturn(partial)];
}

function trimCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line;
}

/** A line longer than the limit; `linesBefore` counts the lines of the run it was found in before it. */
export class LineTooLongError extends UserError {
  constructor(readonly linesBefore: number, readonly maxLineBytes: number) {
    super(`a line is longer than ${maxLineBytes} bytes`);
  }
}

/**
 * The bulk form of readLineChunks: yields runs of whole lines as single Buffers (every run ends
 * with '\n' except a last line without one), for producer.sendLines(). Runs are views into the
 * input chunks; only a line split across two chunks is copied. Nothing is done per line unless a
 * run is longer than maxLineBytes, the only case where it may hold a line over the limit.
 * Throws LineTooLongError; the caller, which knows how many lines it handed on, adds the number.
 */
export async function* readLineRuns(stream: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<Buffer> {
  let partial: Buffer | null = null;
  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    let start = 0;
    if (partial !== null) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        partial = Buffer.concat([partial, chunk]);
        if (partial.length > maxLineBytes) throw new LineTooLongError(0, maxLineBytes);
        continue;
      }
      const line = Buffer.concat([partial, chunk.subarray(0, newline + 1)]);
      partial = null;
      if (line.length - 1 > maxLineBytes) throw new LineTooLongError(0, maxLineBytes);
      yield line;
      start = newline + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      const run = chunk.subarray(start, last + 1);
      if (run.length - 1 > maxLineBytes) checkLineLengths(run, maxLineBytes);
      yield run;
      start = last + 1;
    }
    if (start < chunk.length) {
      partial = Buffer.from(chunk.subarray(start)); // copy: do not pin the whole chunk
      if (partial.length > maxLineBytes) throw new LineTooLongError(0, maxLineBytes);
    }
  }
  if (partial !== null && partial.length > 0) yield partial;
}

function checkLineLengths(run: Buffer, maxLineBytes: number): void {
  let linesBefore = 0;
  for (let start = 0; start < run.length; linesBefore++) {
    const newline = run.indexOf(NEWLINE, start);
    const end = newline === -1 ? run.length : newline;
    if (end - start > maxLineBytes) throw new LineTooLongError(linesBefore, maxLineBytes);
    start = end + 1;
  }
}
