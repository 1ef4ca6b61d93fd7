/**
 * `Content-Type: application/x-ndjson` (also application/jsonl, application/json-seq is not): one
 * JSON value per line, each written as one record, its value the line's bytes as sent. Every line
 * is parsed first: a line that is not JSON refuses the whole body (400 INVALID_RECORD with its
 * line number), so a bad body writes nothing. Blank lines are skipped; a CR before LF is dropped.
 * With `?key_field=app`, a line's key is that field of its object (routing.ts's fieldText).
 */
import type { Fields } from '../routing.js';
import { fieldText } from '../routing.js';
import type { InputRecord } from '../sink.js';
import { HttpIngestError } from './ingest-errors.js';
import { checkNdjson } from './ndjson-check.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * The body as records to send: with no key field and no blank line, the body itself (a run of
 * lines for the producer's sendLines bulk path), after checking every line's JSON from the bytes
 * (ndjson-check.ts); otherwise one record per line. Throws HttpIngestError (400, the line number)
 * on a bad line.
 */
export function ndjsonBody(body: Buffer, keyField: string | null, nowMs: number): { text: Buffer } | { records: InputRecord[] } {
  if (keyField !== null) return { records: ndjsonRecords(body, keyField, nowMs) };
  const check = checkNdjson(body);
  if (check === 'ok' || (check === 'deep' && parsesWhole(body))) return { text: body };
  // Blank lines to skip, or a bad line: found and named line by line.
  return { records: ndjsonRecords(body, null, nowMs) };
}

/** Nesting too deep for the byte check: every line through JSON.parse (none blank). */
function parsesWhole(body: Buffer): boolean {
  const text = body.toString('utf8');
  const lines = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (lines.length === 0 || BLANK_LINE.test(lines)) return false;
  try {
    // A newline cannot occur inside a JSON value, so the lines parse as one array; a line holding
    // two values shows in the count.
    return (JSON.parse(`[${lines.replace(/\n/g, ',')}]`) as unknown[]).length === countNewlines(lines) + 1;
  } catch {
    return false;
  }
}

const BLANK_LINE = /(^|\n)[ \t\r]*(\n|$)/;

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

export function ndjsonRecords(body: Buffer, keyField: string | null, nowMs: number): InputRecord[] {
  const records: InputRecord[] = [];
  let pos = 0;
  let lineNumber = 0;
  while (pos < body.length) {
    const newline = body.indexOf(LF, pos);
    const next = newline === -1 ? body.length : newline + 1;
    let end = newline === -1 ? body.length : newline;
    if (end > pos && body[end - 1] === CR) end--;
    lineNumber++;
    const line = body.subarray(pos, end);
    pos = next;
    if (isBlank(line)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch (error) {
      throw new HttpIngestError(400, 'INVALID_RECORD', `line ${lineNumber} is not JSON: ${(error as Error).message}; nothing was written`);
    }
    let key: Buffer | null = null;
    if (keyField !== null) {
      const text = fieldText(parsed as Fields, keyField);
      key = text === undefined ? null : Buffer.from(text, 'utf8');
    }
    records.push({ key, value: line, headers: [], timestamp: nowMs, fields: null });
  }
  return records;
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09) return false;
  return true;
}
