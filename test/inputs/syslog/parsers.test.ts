/**
 * The syslog parsers and the stream framer, on the RFC's own examples and on what breaks them:
 * every input either parses or throws SyslogParseError (never another error), and the framer
 * splits octet-counted and LF-framed messages the same whatever the chunk boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longLines } from '../../../src/inputs/long-lines.js';
import { SyslogFramer } from '../../../src/inputs/syslog/framing.js';
import { messageJson, SyslogParseError } from '../../../src/inputs/syslog/message.js';
import { parseSyslog } from '../../../src/inputs/syslog/records.js';
import { parseRfc3164 } from '../../../src/inputs/syslog/rfc3164.js';
import { parseRfc5424 } from '../../../src/inputs/syslog/rfc5424.js';

describe('RFC 5424', () => {
  it('parses the RFC examples (section 6.5)', () => {
    const one = parseRfc5424('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff\'su root\' failed for lonvick on /dev/pts/8');
    expect(one.message).toMatchObject({
      priority: 34, facility: 'auth', severity: 'crit', version: 1, hostname: 'mymachine.example.com', app_name: 'su',
      procid: null, msgid: 'ID47', structured_data: null, message: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(one.timestampMs).toBe(Date.parse('2003-10-11T22:14:15.003Z'));
    const sd = parseRfc5424('<165>1 2003-10-11T22:14:15.003-07:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]');
    expect(sd.message.structured_data).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high' },
    });
    expect(sd.message.message).toBe('');
    expect(sd.timestampMs).toBe(Date.parse('2003-10-12T05:14:15.003Z'));
    expect(parseRfc5424('<13>1 - - - - - -').message).toMatchObject({ timestamp: null, hostname: null, app_name: null, message: '' });
  });

  it('unescapes PARAM-VALUE and keeps microseconds in the timestamp text', () => {
    const parsed = parseRfc5424('<14>1 2024-02-29T23:59:59.123456+01:00 h a 1 m [x@1 q="a \\"b\\" c\\] d\\\\e"] text');
    expect(parsed.message.structured_data).toEqual({ 'x@1': { q: 'a "b" c] d\\e' } });
    expect(parsed.message.timestamp).toBe('2024-02-29T23:59:59.123456+01:00');
    expect(parsed.timestampMs).toBe(Date.parse('2024-02-29T22:59:59.123Z'));
  });

  it('keeps an SD-ID or PARAM-NAME "__proto__" as a key, never touching the prototype all objects share', () => {
    const parsed = parseRfc5424('<14>1 - h a - - [__proto__ polluted="yes"][x __proto__="v"] text');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(messageJson(parsed.message)).toContain('"structured_data":{"__proto__":{"polluted":"yes"},"x":{"__proto__":"v"}}');
    expect(Object.keys(parsed.message.structured_data!)).toEqual(['__proto__', 'x']);
  });

  it('names what is wrong', () => {
    expect(() => parseRfc5424('<192>1 - - - - - -')).toThrow(/PRI 192/);
    expect(() => parseRfc5424('<13>1 2003-10-11 22:14:15Z h a - - -')).toThrow(/TIMESTAMP/);
    expect(() => parseRfc5424('<13>1 - h a - -')).toThrow(/header ends/);
    expect(() => parseRfc5424('<13>1 - h a - - [x@1 a=b]')).toThrow(/PARAM-NAME a/);
    expect(() => parseRfc5424('<13>1 - h a - - [x@1 a="b"')).toThrow(/does not end/);
  });
});

describe('RFC 3164', () => {
  const now = new Date(2024, 5, 15, 12, 0, 0).getTime();

  it('parses timestamp, hostname, tag and pid', () => {
    const parsed = parseRfc3164('<34>Oct 11 22:14:15 mymachine su[123]: \'su root\' failed', now);
    expect(parsed.message).toMatchObject({ facility: 'auth', severity: 'crit', hostname: 'mymachine', app_name: 'su', procid: '123', message: "'su root' failed" });
    // October is after June: last year's.
    expect(parsed.timestampMs).toBe(new Date(2023, 9, 11, 22, 14, 15).getTime());
    expect(parseRfc3164('<13>Jun  5 01:02:03 host app: x', now).timestampMs).toBe(new Date(2024, 5, 5, 1, 2, 3).getTime());
  });

  it('gives the plain computation\'s time for the same text read at any moment (its answers are kept between lines)', () => {
    // The same line read across a new year's eve, then back, then in another year: each answer
    // must be what the year and the "more than a day ahead" rule give at that moment.
    const text = '<13>Dec 31 23:59:59 host app: x';
    const moments = [new Date(2024, 11, 31, 23, 0).getTime(), new Date(2025, 0, 1, 0, 30).getTime(), new Date(2024, 11, 30).getTime(),
      new Date(2025, 0, 1, 0, 30).getTime(), new Date(2031, 5, 1).getTime(), new Date(2024, 11, 29, 23, 59, 58).getTime()];
    const expected = [new Date(2024, 11, 31, 23, 59, 59), new Date(2024, 11, 31, 23, 59, 59), new Date(2023, 11, 31, 23, 59, 59),
      new Date(2024, 11, 31, 23, 59, 59), new Date(2030, 11, 31, 23, 59, 59), new Date(2023, 11, 31, 23, 59, 59)];
    moments.forEach((at, i) => {
      const parsed = parseRfc3164(text, at);
      expect(parsed.timestampMs).toBe(expected[i]!.getTime());
      expect(parsed.message.timestamp).toBe(expected[i]!.toISOString());
    });
    expect(parseRfc3164('<13>Feb 30 01:02:03 host app: x', now).timestampMs).toBe(new Date(2024, 1, 30, 1, 2, 3).getTime()); // as Date rolls it
    expect(parseRfc3164('<13>Feb 32 01:02:03 host app: x', now).timestampMs).toBeNull();
  });

  it('has no hostname when the tag follows the timestamp, and keeps text without a tag whole', () => {
    expect(parseRfc3164('<13>Jun  5 01:02:03 cron[9]: job', now).message).toMatchObject({ hostname: null, app_name: 'cron', procid: '9', message: 'job' });
    expect(parseRfc3164('<13>no timestamp here', now).message).toMatchObject({ hostname: null, timestamp: null, message: 'no timestamp here', app_name: null });
  });

  it('chooses the format by the VERSION after PRI', () => {
    expect(parseSyslog('<13>1 - h a - - - m', now).message.format).toBe('rfc5424');
    expect(parseSyslog('<13>Jun  5 01:02:03 h a: m', now).message.format).toBe('rfc3164');
  });

  it('either parses or throws SyslogParseError, for any text', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => `<13>1 ${s}`), fc.string().map((s) => `<1${s}`)), (text) => {
      try {
        parseSyslog(text, now);
      } catch (error) {
        expect(error).toBeInstanceOf(SyslogParseError);
      }
    }), { numRuns: 3000 });
  });
});

describe('SyslogFramer (RFC 6587)', () => {
  function frames(chunks: Buffer[], maxLineBytes = 1000, policy: 'truncate' | 'skip' = 'truncate'): Array<[string, number] | ['skipped', number]> {
    const out: Array<[string, number] | ['skipped', number]> = [];
    const framer = new SyslogFramer(longLines(maxLineBytes, policy), {
      frame: (source, start, end, originalBytes) => out.push([source.toString('utf8', start, end), originalBytes]),
      skipped: (originalBytes) => out.push(['skipped', originalBytes]),
    });
    for (const chunk of chunks) framer.push(chunk);
    framer.end();
    return out;
  }

  const stream = Buffer.from('11 <13>1 - - x\n<14>line two\r\n7 <15>abc<16>last');

  it('splits octet-counted and LF-framed messages, whatever the chunk boundaries', () => {
    const expected = [['<13>1 - - x', 11], ['<14>line two', 12], ['<15>abc', 7], ['<16>last', 8]];
    expect(frames([stream])).toEqual(expected);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 8 }), (cuts) => {
      const sorted = [0, ...cuts.sort((a, b) => a - b), stream.length];
      const chunks = sorted.slice(1).map((end, i) => stream.subarray(sorted[i]!, end));
      expect(frames(chunks)).toEqual(expected);
    }));
  });

  it('truncates or skips a message past max_line_bytes without holding it, in both framings', () => {
    const long = 'y'.repeat(5000);
    const text = Buffer.from(`${long}\n5000 ${long}ok\n`);
    expect(frames([text], 100)).toEqual([[long.slice(0, 100), 5000], [long.slice(0, 100), 5000], ['ok', 2]]);
    expect(frames([text], 100, 'skip')).toEqual([['skipped', 5000], ['skipped', 5000], ['ok', 2]]);
  });

  it('does not cut a UTF-8 character in half when truncating', () => {
    expect(frames([Buffer.from('aé€\n')], 4)).toEqual([['aé', 6]]);
  });
});
