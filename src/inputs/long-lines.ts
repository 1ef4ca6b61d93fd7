/**
 * max_line_bytes, as Vector and Fluent Bit have it: the most bytes one line (message, event) may
 * carry into a record, and what happens past it: 'truncate' keeps the first max_line_bytes (cut
 * at a UTF-8 character boundary) with a `brook.truncated` header holding the original length;
 * 'skip' drops the line and counts it. Either way the input goes on with the next line, and no
 * more than max_line_bytes of a line is ever held in memory.
 *
 * The default keeps every record within the default max.message.bytes (1 MiB) even after JSON
 * escaping, which can grow a byte up to six times (a control character becomes \u00XX).
 */
import { InvalidConfigError } from '../common/errors.js';
import type { RecordHeader } from '../protocol/record-batch.js';

export type LongLinePolicy = 'truncate' | 'skip';
export const LONG_LINE_POLICIES: readonly LongLinePolicy[] = ['truncate', 'skip'];

/** 100 KiB, Vector's default max_line_bytes for its file and socket sources. */
export const MAX_LINE_BYTES_DEFAULT = 102_400;
/** No line may exceed the largest max.message.bytes a topic can have (64 MiB). */
export const MAX_LINE_BYTES_LIMIT = 64 * 1024 * 1024;

export const TRUNCATED_HEADER = 'brook.truncated';
export const PARSE_ERROR_HEADER = 'brook.parse-error';

export interface LongLines {
  maxLineBytes: number;
  policy: LongLinePolicy;
}

export function longLines(maxLineBytes = MAX_LINE_BYTES_DEFAULT, policy: LongLinePolicy = 'truncate'): LongLines {
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1 || maxLineBytes > MAX_LINE_BYTES_LIMIT) {
    throw new InvalidConfigError(`max_line_bytes must be 1..${MAX_LINE_BYTES_LIMIT}, got ${maxLineBytes}`);
  }
  if (!LONG_LINE_POLICIES.includes(policy)) throw new InvalidConfigError(`max_line_policy must be truncate or skip, got '${policy}'`);
  return { maxLineBytes, policy };
}

/**
 * How many of the bytes `bytes[start..start+length)` to keep so the cut does not split a UTF-8
 * character: an incomplete character at the end is dropped (at most 3 bytes). Bytes that are not
 * UTF-8 are cut at `length`.
 */
export function utf8CutBytes(bytes: Uint8Array, start: number, length: number): number {
  for (let back = 1; back <= 4 && back <= length; back++) {
    const byte = bytes[start + length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const charBytes = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return charBytes > back ? length - back : length;
  }
  return length;
}

export function truncatedHeader(originalBytes: number): RecordHeader {
  return { key: TRUNCATED_HEADER, value: Buffer.from(String(originalBytes)) };
}

export function parseErrorHeader(reason: string): RecordHeader {
  return { key: PARSE_ERROR_HEADER, value: Buffer.from(reason) };
}
