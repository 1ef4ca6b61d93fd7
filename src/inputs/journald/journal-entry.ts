/**
 * One line of `journalctl -o json` to a record: the value is the entry's JSON as journalctl
 * printed it (every field kept), the timestamp its __REALTIME_TIMESTAMP (µs → ms), the fields
 * (for routing: `journal.{_SYSTEMD_UNIT}`, key `_HOSTNAME`) the parsed entry, and its __CURSOR
 * what the checkpoint keeps. A line that is not a JSON object (it should not happen) is kept raw
 * with a `brook.parse-error` header.
 */
import { parseErrorHeader, truncatedHeader, utf8CutBytes, type LongLines } from '../long-lines.js';
import type { Fields } from '../routing.js';
import type { InputRecord } from '../sink.js';
import type { InputStats } from '../stats.js';

export interface JournalRecord {
  /** Null when the entry was skipped (longer than max_line_bytes with policy skip). */
  record: InputRecord | null;
  /** The entry's __CURSOR; null when the line did not parse. */
  cursor: string | null;
}

export function journalRecord(line: Buffer, limits: LongLines, needsFields: boolean, stats: InputStats, nowMs: number): JournalRecord {
  stats.counts.receivedCount++;
  let entry: Fields | null = null;
  try {
    const parsed: unknown = JSON.parse(line.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) entry = parsed as Fields;
  } catch {
    entry = null;
  }
  const cursor = typeof entry?.__CURSOR === 'string' ? entry.__CURSOR : null;
  const headers = [];
  let value = line;
  if (line.length > limits.maxLineBytes) {
    if (limits.policy === 'skip') {
      stats.counts.skippedCount++;
      return { record: null, cursor };
    }
    stats.counts.truncatedCount++;
    headers.push(truncatedHeader(line.length));
    value = line.subarray(0, utf8CutBytes(line, 0, limits.maxLineBytes));
  }
  if (entry === null) {
    stats.counts.unparsedCount++;
    headers.push(parseErrorHeader('not a JSON object'));
  }
  const realtimeUs = Number(entry?.__REALTIME_TIMESTAMP);
  const timestamp = Number.isFinite(realtimeUs) && realtimeUs > 0 ? Math.floor(realtimeUs / 1000) : nowMs;
  return { record: { key: null, value: Buffer.from(value), headers, timestamp, fields: needsFields ? entry : null }, cursor };
}
