/**
 * How `brook consume` prints a record (`--format`):
 *
 *   value      the value's bytes (with --key-separator: key<sep>value), one record per line
 *   json       {"topic","partition","offset","timestamp","key","value","headers":[{"key","value"}]}
 *   <template> kcat's -f tokens: %s value, %k key, %t topic, %p partition, %o offset,
 *              %T timestamp, %S value bytes (-1 for null), %K key bytes, %h headers (k=v,k=v),
 *              %% a percent sign; \n \t \r \\ escapes. A template that does not end with a
 *              newline gets one (one record per line).
 *
 * --time-format iso prints %T and JSON timestamps as ISO 8601 UTC ("2024-05-01T12:00:00.000Z")
 * instead of epoch milliseconds. --base64 writes JSON keys, values and header values that are not
 * valid UTF-8 as "keyBase64"/"valueBase64" (base64), which `brook produce --format json` reads
 * back byte for byte; without it they are decoded as UTF-8, invalid bytes becoming U+FFFD.
 * Templates copy bytes as they are (binary-safe), as kcat does.
 */
import { isUtf8 } from 'node:buffer';
import type { ConsumerRecord } from '../embedded/consumer.js';
import type { RecordHeader } from '../protocol/record-batch.js';
import { UserError } from './user-error.js';

export type TimeFormat = 'ms' | 'iso';

export interface FormatOptions {
  timeFormat: TimeFormat;
  base64: boolean;
}

export const DEFAULT_FORMAT_OPTIONS: FormatOptions = { timeFormat: 'ms', base64: false };

type Token = 's' | 'k' | 't' | 'p' | 'o' | 'T' | 'S' | 'K' | 'h';

export interface Template {
  kind: 'template';
  /** Literal bytes and tokens, in order. */
  parts: Array<Buffer | Token>;
}

export type OutputFormat = 'value' | 'json' | Template;

const TOKENS = new Set<string>(['s', 'k', 't', 'p', 'o', 'T', 'S', 'K', 'h']);
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };
const NEWLINE = Buffer.from('\n');

/** 'value', 'json', or a kcat-style template (anything with a % token). */
export function parseOutputFormat(text: string): OutputFormat {
  if (text === 'value' || text === 'json') return text;
  if (!text.includes('%')) throw new UserError(`--format must be value, json or a template with %-tokens such as '%T %p:%o %k %s', got '${text}'`);
  const parts: Array<Buffer | Token> = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%' || c === '\\') {
      const next = text[i + 1];
      i++;
      if (c === '%' && next === '%') literal += '%';
      else if (c === '\\' && next !== undefined && next in ESCAPES) literal += ESCAPES[next];
      else if (c === '%' && next !== undefined && TOKENS.has(next)) {
        if (literal !== '') parts.push(Buffer.from(literal, 'utf8'));
        literal = '';
        parts.push(next as Token);
      } else {
        throw new UserError(`--format: unknown ${c === '%' ? 'token' : 'escape'} '${c}${next ?? ''}' (tokens: %s %k %t %p %o %T %S %K %h %%; escapes: \\n \\t \\r \\\\)`);
      }
      continue;
    }
    literal += c;
  }
  if (!literal.endsWith('\n')) literal += '\n';
  parts.push(Buffer.from(literal, 'utf8'));
  return { kind: 'template', parts };
}

/** Appends the output bytes for `record` to `out` (Buffers, so binary values pass unchanged). */
export function formatRecord(record: ConsumerRecord, format: OutputFormat, keySeparator: Buffer | null, options: FormatOptions, out: Buffer[]): void {
  if (format === 'json') {
    out.push(Buffer.from(JSON.stringify(jsonRecord(record, options)) + '\n', 'utf8'));
    return;
  }
  if (format === 'value') {
    if (keySeparator !== null) {
      if (record.key !== null) out.push(record.key);
      out.push(keySeparator);
    }
    if (record.value !== null) out.push(record.value);
    out.push(NEWLINE);
    return;
  }
  for (const part of format.parts) {
    if (typeof part !== 'string') out.push(part);
    else if (part === 's') { if (record.value !== null) out.push(record.value); }
    else if (part === 'k') { if (record.key !== null) out.push(record.key); }
    else out.push(Buffer.from(tokenText(record, part, options), 'utf8'));
  }
}

function tokenText(record: ConsumerRecord, token: Token, options: FormatOptions): string {
  switch (token) {
    case 't': return record.topic;
    case 'p': return String(record.partition);
    case 'o': return String(record.offset);
    case 'T': return formatTime(record.timestamp, options.timeFormat);
    case 'S': return String(record.value === null ? -1 : record.value.length);
    case 'K': return String(record.key === null ? -1 : record.key.length);
    case 'h': return record.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? ''}`).join(',');
    default: return '';
  }
}

export function formatTime(timestampMs: number, timeFormat: TimeFormat): string {
  if (timeFormat === 'ms' || !Number.isFinite(timestampMs) || timestampMs < 0) return String(timestampMs);
  return new Date(timestampMs).toISOString();
}

function jsonRecord(record: ConsumerRecord, options: FormatOptions): Record<string, unknown> {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: options.timeFormat === 'iso' ? formatTime(record.timestamp, 'iso') : record.timestamp,
    ...bytesField('key', record.key, options.base64),
    ...bytesField('value', record.value, options.base64),
    headers: record.headers.map((h: RecordHeader) => ({ key: h.key, ...bytesField('value', h.value, options.base64) })),
  };
}

/** {name: text} for UTF-8 (or without base64); {nameBase64: ...} for other bytes with base64. */
function bytesField(name: string, bytes: Buffer | null, base64: boolean): Record<string, string | null> {
  if (bytes === null) return { [name]: null };
  if (base64 && !isUtf8(bytes)) return { [`${name}Base64`]: bytes.toString('base64') };
  return { [name]: bytes.toString('utf8') };
}
