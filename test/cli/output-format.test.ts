import { describe, expect, it } from 'vitest';
import { formatRecord, parseOutputFormat, type FormatOptions, type OutputFormat } from '../../src/cli/output-format.js';
import { parseJsonLine } from '../../src/cli/record-format.js';
import type { ConsumerRecord } from '../../src/embedded/consumer.js';

const record: ConsumerRecord = {
  topic: 't', partition: 1, offset: 9, timestamp: Date.UTC(2024, 4, 1, 12, 0, 0, 5),
  key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: null }, { key: 'a', value: Buffer.from('1') }],
};
const ms: FormatOptions = { timeFormat: 'ms', base64: false };

function format(format: OutputFormat, r = record, options = ms, separator: Buffer | null = null): string {
  const out: Buffer[] = [];
  formatRecord(r, format, separator, options, out);
  return Buffer.concat(out).toString('latin1');
}

describe('formatRecord', () => {
  it('prints the value per line, with the key first when a separator is given', () => {
    expect(format('value') + format('value', record, ms, Buffer.from('=')) + format('value', { ...record, value: null })).toBe('v\nk=v\n\n');
  });

  it('prints JSON that parseJsonLine reads back to the same key, value and headers', () => {
    const text = format('json');
    expect(JSON.parse(text)).toEqual({ topic: 't', partition: 1, offset: 9, timestamp: record.timestamp, key: 'k', value: 'v', headers: [{ key: 'h', value: null }, { key: 'a', value: '1' }] });
    const back = parseJsonLine(Buffer.from(text.trimEnd()));
    expect([back.key?.toString(), back.value?.toString(), back.headers.map((h) => h.value?.toString() ?? null)]).toEqual(['k', 'v', [null, '1']]);
  });

  it('prints ISO 8601 timestamps on request, in JSON and for %T', () => {
    const iso: FormatOptions = { timeFormat: 'iso', base64: false };
    expect(JSON.parse(format('json', record, iso)).timestamp).toBe('2024-05-01T12:00:00.005Z');
    expect(format(parseOutputFormat('%T'), record, iso)).toBe('2024-05-01T12:00:00.005Z\n');
    expect(format(parseOutputFormat('%T'), record, ms)).toBe(`${record.timestamp}\n`);
  });

  it('writes bytes that are not UTF-8 as keyBase64/valueBase64 with --base64, which parseJsonLine reads back byte for byte', () => {
    const binary = { ...record, key: Buffer.from([0xff, 0xfe]), value: Buffer.from([0x00, 0x80, 0x41]), headers: [{ key: 'h', value: Buffer.from([0xc3]) }] };
    const json = JSON.parse(format('json', binary, { timeFormat: 'ms', base64: true }));
    expect(json).toMatchObject({ keyBase64: '//4=', valueBase64: 'AIBB', headers: [{ key: 'h', valueBase64: 'ww==' }] });
    expect('value' in json).toBe(false);
    const back = parseJsonLine(Buffer.from(JSON.stringify(json)));
    expect([back.key!.equals(binary.key), back.value!.equals(binary.value), back.headers[0]!.value!.equals(binary.headers[0]!.value)]).toEqual([true, true, true]);
    expect(JSON.parse(format('json', record, { timeFormat: 'ms', base64: true })).value).toBe('v'); // UTF-8 stays text
  });
});

describe('parseOutputFormat (kcat-style templates)', () => {
  it('fills every token and adds the newline a template lacks', () => {
    const template = parseOutputFormat('%t/%p:%o %k=%s (%K/%S) [%h] 100%%');
    expect(format(template)).toBe(`t/1:9 k=v (1/1) [h=,a=1] 100%\n`);
    expect(format(parseOutputFormat('%s|%k'), { ...record, key: null, value: null })).toBe('|\n');
    expect(format(parseOutputFormat('%S %K'), { ...record, key: null, value: null })).toBe('-1 -1\n');
  });

  it('takes kcat escapes and keeps a template that ends in its own newline', () => {
    expect(format(parseOutputFormat('%o\\t%s\\n'))).toBe('9\tv\n');
  });

  it('copies binary values as they are', () => {
    expect(format(parseOutputFormat('%s'), { ...record, value: Buffer.from([0xff, 0x0a, 0x00]) })).toBe('\xff\n\x00\n');
  });

  it('refuses an unknown token or a format that is neither value, json nor a template', () => {
    expect(() => parseOutputFormat('%x')).toThrow(/unknown token '%x'/);
    expect(() => parseOutputFormat('yaml')).toThrow(/value, json or a template/);
  });
});
