/**
 * The syslog byte path (rfc5424-bytes.ts) against the general parser: for any message it takes,
 * the value, key and timestamp a SyslogRecords batch produces are the ones the general path
 * (parseRfc5424 + messageJson) gives; what it declines still becomes the general path's record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Routing } from '../../../src/inputs/routing.js';
import { InputStats } from '../../../src/inputs/stats.js';
import { messageJson } from '../../../src/inputs/syslog/message.js';
import { SyslogRecords } from '../../../src/inputs/syslog/records.js';
import { parseRfc5424 } from '../../../src/inputs/syslog/rfc5424.js';
import { Rfc5424Scan } from '../../../src/inputs/syslog/rfc5424-bytes.js';
import { byHostname, viaGeneralPath, viaRecords } from './general-path.js';

const now = Date.UTC(2026, 0, 2, 3, 4, 5);

/** Printable ASCII header tokens (sometimes with '"' or '\', which the byte path declines). */
const token = fc.oneof(fc.constant('-'), fc.stringMatching(/^[!-~]{1,12}$/), fc.constantFrom('host1', 'app', 'ID47', '4242'));
const timestamp = fc.oneof(
  fc.constant('-'),
  fc.tuple(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.stringMatching(/^(\.\d{1,6})?$/), fc.constantFrom('Z', '+02:00', '-07:30', '+00:00'))
    .map(([y, mo, d, h, mi, s, fraction, zone]) => `${y}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(s)}${fraction}${zone}`),
);
const p2 = (n: number): string => String(n).padStart(2, '0');
/** Any text for MSG: controls, quotes, backslashes, non-ASCII, a leading BOM now and then. */
const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((s) => `\ufeff${s}`), fc.constantFrom('', 'a "quoted" \\ path\t\x01\x7f é 日本 🎉'));
/** SD-NAMEs: printable ASCII but '=', ']', '"', SP; and the ones the byte path declines (digits, __proto__, '\'). */
const sdName = fc.oneof(fc.stringMatching(/^[!#-<>-\\^-~]{1,6}$/), fc.constantFrom('timeQuality', 'tzKnown', 'x@1', 'a', '123', '0', '__proto__', 'a\\b'));
/** PARAM-VALUEs as sent: escapes (\" \\ \]), a backslash before anything else, ']', controls, UTF-8. */
const sdValue = fc.array(fc.oneof(fc.constantFrom('\\"', '\\\\', '\\]', '\\x', ']', 'é 日本', '\t', '\x01', '\x7f'), fc.stringMatching(/^[^"\\]{0,4}$/)), { maxLength: 4 })
  .map((parts) => parts.join(''));
const sdElement = fc.tuple(sdName, fc.array(fc.tuple(sdName, sdValue), { maxLength: 3 }))
  .map(([id, params]) => `[${id}${params.map(([name, value]) => ` ${name}="${value}"`).join('')}]`);
const structuredData = fc.oneof(fc.constant('-'), fc.constant('-'), fc.constant('[timeQuality tzKnown="1" isSynced="0"]'),
  fc.array(sdElement, { minLength: 1, maxLength: 3 }).map((elements) => elements.join('')));
const message = fc.tuple(fc.integer({ min: 0, max: 191 }), timestamp, token, token, token, token, structuredData, fc.option(text))
  .map(([pri, ts, host, app, proc, id, sd, msg]) => `<${pri}>1 ${ts} ${host} ${app} ${proc} ${id} ${sd}${msg === null ? '' : ` ${msg}`}`);

function batch(bytes: Buffer, keyField: string | undefined): { value: string; key: string | null; timestamp: number } {
  const records = new SyslogRecords('json', new InputStats('test'), new Routing({ topic: 'syslog', keyField }));
  records.add(bytes, bytes.length, now);
  const [record] = records.take();
  // The general path leaves the key to the sink's routing, from the fields.
  const key = record!.fields === null ? record!.key : new Routing({ topic: 'syslog', keyField }).keyFor(record!.fields);
  return { value: record!.value!.toString('utf8'), key: key === null ? null : key.toString('utf8'), timestamp: record!.timestamp };
}

describe('the RFC 5424 byte path', () => {
  it('writes the value, key and timestamp the general parser gives, for any message', () => {
    let scanned = 0;
    fc.assert(fc.property(message, fc.constantFrom('hostname', undefined), (textMessage, keyField) => {
      const bytes = Buffer.from(textMessage, 'utf8');
      if (new Rfc5424Scan().scan(bytes)) scanned++;
      const parsed = parseRfc5424(bytes.toString('utf8'));
      const expected = { value: messageJson(parsed.message), key: keyField === undefined ? null : parsed.message.hostname, timestamp: parsed.timestampMs ?? now };
      expect(batch(bytes, keyField)).toEqual(expected);
    }), { numRuns: 3000 });
    expect(scanned).toBeGreaterThan(1000); // the byte path was really taken
  });

  it('with --syslog-format raw keeps the bytes as the value, with the same key and timestamp', () => {
    fc.assert(fc.property(message, (textMessage) => {
      const bytes = Buffer.from(textMessage, 'utf8');
      const parsed = parseRfc5424(bytes.toString('utf8'));
      const records = new SyslogRecords('raw', new InputStats('test'), new Routing({ topic: 'syslog', keyField: 'hostname' }));
      records.add(bytes, bytes.length, now);
      const [record] = records.take();
      expect(record!.value).toBe(bytes);
      const key = record!.fields === null ? record!.key : new Routing({ topic: 'syslog', keyField: 'hostname' }).keyFor(record!.fields);
      expect(key?.toString('utf8') ?? null).toBe(parsed.message.hostname);
      expect(record!.timestamp).toBe(parsed.timestampMs ?? now);
    }), { numRuns: 1000 });
  });

  it('keeps a message whose MSG is not UTF-8 as the general path does (raw, with its header), in JSON and raw alike', () => {
    const routing = byHostname();
    for (const format of ['json', 'raw'] as const) {
      for (const tail of [[0xff], [0xc3], [0xe6, 0x97], [0xed, 0xa0, 0x80], [0xc3, 0xa9]]) {
        for (const sd of ['-', '[x@1 a="b"]']) {
          const bytes = Buffer.concat([Buffer.from(`<13>1 2024-01-01T00:00:00Z host app - - ${sd} ok `), Buffer.from(tail)]);
          expect(viaRecords(bytes, format, routing, now)).toEqual(viaGeneralPath(bytes, format, routing, now));
        }
      }
    }
  });

  it('makes the record the general path makes for malformed messages too (errors kept raw with their header)', () => {
    // Near misses of every part: the byte path must decline each, or agree with the general path.
    const broken = fc.constantFrom('', ' ', 'x', '[', '[a', '[a b]', '[a b=]', '[a b="c]', '[a b="c"', '[a b="c"]x', '[ a="b"]', '[a  b="c"]',
      '[a b="c\\"]', '-x', '--', '[a b="\\\\"]');
    const malformed = fc.tuple(fc.integer({ min: 0, max: 191 }), timestamp, token, token, token, token, fc.oneof(structuredData, broken), fc.option(text),
      fc.constantFrom(' ', ' ', '  ', ''))
      .map(([pri, ts, host, app, proc, id, sd, msg, gap]) => `<${pri}>1 ${ts} ${host} ${app} ${proc} ${id}${gap}${sd}${msg === null ? '' : ` ${msg}`}`);
    const routing = byHostname();
    fc.assert(fc.property(malformed, fc.constantFrom('json', 'raw') as fc.Arbitrary<'json' | 'raw'>, (textMessage, format) => {
      const bytes = Buffer.from(textMessage, 'utf8');
      expect(viaRecords(bytes, format, routing, now)).toEqual(viaGeneralPath(bytes, format, routing, now));
    }), { numRuns: 3000 });
  });

  it('declines what it does not cover, so the general path keeps its errors and what an object would reorder or merge', () => {
    const scan = new Rfc5424Scan();
    for (const declined of ['<13>2 - h a - - - m', '<13>1 - h"x a - - - m',
      '<13>1 - h a - - [12 a="b"] m', '<13>1 - h a - - [__proto__ a="b"] m', '<13>1 - h a - - [x a="1"][x b="2"] m', '<13>1 - h a - - [x a="1" a="2"] m',
      '<13>1 - h a - - [x a\\b="1"] m', '<13>1 - h a - - [x a="1] m', '<13>1 - h a - - [x a="1" m', '<13>1 - h a - - [x a="1"]m', '<13>1 - h a - - [x ] m',
      '<13>1 - h a - -  m', '<13>1 - h a - - x m', '<13>1 - h a - - ', '<13>1 2024-13-01T00:00:00Z h a - - - m',
      '<13>1 2024-01-01T00:00:00.1234567Z h a - - - m', '<013>1 - h a - - - m', '<192>1 - h a - - - m', '<13>1 - h  a - - - m', '<13>1 - h a - - -m']) {
      expect(scan.scan(Buffer.from(declined)), declined).toBe(false);
    }
    expect(scan.scan(Buffer.concat([Buffer.from('<13>1 - h a - - [x a="'), Buffer.from([0xff, 0xfe]), Buffer.from('"] m')]))).toBe(false); // not UTF-8
    expect(scan.scan(Buffer.from('<13>1 - h a - - [timeQuality tzKnown="1" isSynced="0"][x@1 a="b\\"c"] m'))).toBe(true);
    expect(scan.scan(Buffer.from('<13>1 2024-01-01T00:00:00.5+01:00 h a - - -'))).toBe(true);
    expect(scan.timestampMs).toBe(Date.UTC(2024, 0, 1) - 3_600_000 + 500);
  });
});
