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
