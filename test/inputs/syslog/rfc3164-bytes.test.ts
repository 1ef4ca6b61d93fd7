/**
 * The RFC 3164 byte path (rfc3164-bytes.ts) against the general path (parseRfc3164 +
 * messageJson, via generalRecord): for any line, JSON or raw, the records SyslogRecords makes
 * have the value, key, timestamp and headers the general path gives; lines at every edge of the
 * parser's rules (timestamps that are no date, words that are tags, tags too long, PIDs with
 * spaces, quotes, controls, non-ASCII, invalid UTF-8, read across a new year) included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyslogFormat } from '../../../src/inputs/syslog/records.js';
import { Rfc3164Scan } from '../../../src/inputs/syslog/rfc3164-bytes.js';
import { byHostname, viaGeneralPath, viaRecords } from './general-path.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const priority = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 191 }).map((p) => `<${p}>`) },
  { weight: 1, arbitrary: fc.constantFrom('<013>', '<192>', '<>', '13>', '<1', '') });
const bsdTimestamp = fc.tuple(
  fc.constantFrom('Jan', 'Feb', 'Jun', 'Dec', 'Foo', 'jan'), fc.integer({ min: 0, max: 33 }), fc.boolean(),
  fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }),
).map(([month, day, spacePadded, h, m, s]) => `${month} ${spacePadded && day < 10 ? ` ${day}` : pad(day)} ${pad(h)}:${pad(m)}:${pad(s)} `);
const timestamp = fc.oneof(bsdTimestamp, bsdTimestamp, fc.constant(''), fc.constant('2024-05-01T12:00:00.123Z '), fc.constant('2024-13-01T12:00:00Z '));
/** Words of the header: plain, tag-like, with quotes, backslashes, tabs, non-ASCII, long. */
const word = fc.oneof(
  fc.stringMatching(/^[a-z0-9.-]{1,10}$/), fc.constantFrom('web1', 'host:', 'a[1]', 'x"y', 'back\\slash', 'tab\there', 'héte', '', 'DEL\x7f'),
  fc.string({ minLength: 49, maxLength: 52 }).map((s) => s.replace(/[\s:[\]]/g, 'x')),
);
const pid = fc.oneof(fc.constant(''), fc.stringMatching(/^\[[0-9]{1,6}\]$/), fc.constantFrom('[]', '[1 2]', '[a:b[c]', `[${'9'.repeat(129)}]`, '[12', '[é]'));
const colon = fc.constantFrom(': ', ':', ' ', '', ':  ');
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', 'GET / 200', 'a "q" \\ \t\x01 é 日本 🎉'));
const line = fc.tuple(priority, timestamp, fc.option(word), word, pid, colon, text, fc.integer({ min: 0, max: 5 }).map((n) => n === 0))
  .map(([pri, ts, host, tag, procid, sep, msg, invalidUtf8]) => {
    const textLine = `${pri}${ts}${host === null ? '' : `${host} `}${tag}${procid}${sep}${msg}`;
    const bytes = Buffer.from(textLine, 'utf8');
    return invalidUtf8 ? Buffer.concat([bytes, Buffer.from([0xff, 0xfe, 0x41])]) : bytes;
  });
/** When the line is read: around new year's eve (the year is inferred), or mid-year. */
const readAt = fc.constantFrom(new Date(2024, 11, 31, 23, 30).getTime(), new Date(2025, 0, 1, 0, 30).getTime(), new Date(2024, 5, 15, 12).getTime());

describe('the RFC 3164 byte path', () => {
  it('makes the records the general path makes, in JSON and raw, for any line', () => {
    let taken = 0;
    const scan = new Rfc3164Scan();
    fc.assert(fc.property(line, fc.constantFrom<SyslogFormat>('json', 'raw'), readAt, (bytes, format, nowMs) => {
      const routing = byHostname();
      if (scan.scan(bytes, 0, bytes.length, nowMs)) taken++;
      expect(viaRecords(bytes, format, routing, nowMs)).toEqual(viaGeneralPath(bytes, format, routing, nowMs));
    }), { numRuns: 4000 });
    expect(taken).toBeGreaterThan(1000); // the byte path was really taken
  });

  it('reads the common shapes', () => {
    const scan = new Rfc3164Scan();
    const now = new Date(2024, 5, 15, 12).getTime();
    expect(scan.scan(Buffer.from('<34>Oct 11 22:14:15 mymachine su[123]: failed'), 0, 46, now)).toBe(true);
    expect([scan.hostStart, scan.hostEnd, scan.appStart, scan.appEnd, scan.procStart, scan.procEnd, scan.messageStart]).toEqual([20, 29, 30, 32, 33, 36, 39]);
    expect(scan.timestampMs).toBe(new Date(2023, 9, 11, 22, 14, 15).getTime());
    expect(scan.scan(Buffer.from('<13>Jun  5 01:02:03 cron: job'), 0, 29, now)).toBe(true);
    expect([scan.hostStart, scan.appStart, scan.procStart]).toEqual([-1, 20, -1]);
    for (const declined of ['<13>1 - h a - - - m', '<13>2024-05-01T12:00:00Z host app: m', '<13>Jun 31 25:00:00 h a: m', '<013>Jun  5 01:02:03 h a: m', '<13>Jun  5 01:02:03  a: m']) {
      expect(scan.scan(Buffer.from(declined), 0, Buffer.byteLength(declined), now), declined).toBe(false);
    }
  });
});
