import { describe, expect, it } from 'vitest';
import { formatRecord, parseJsonLine, splitKey } from '../../src/cli/record-format.js';

const parse = (text: string) => parseJsonLine(Buffer.from(text));

describe('parseJsonLine', () => {
  it('reads key, value, headers (map or list), partition and timestamp', () => {
    const record = parse('{"key":"k","value":"v","headers":{"a":"1","b":null},"partition":2,"timestamp":5}');
    expect(record.key?.toString()).toBe('k');
    expect(record.value?.toString()).toBe('v');
    expect(record.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([['a', '1'], ['b', null]]);
    expect(record.partition).toBe(2);
    expect(record.timestamp).toBe(5);
    const listed = parse('{"value":"v","headers":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}');
    expect(listed.headers.map((h) => h.value?.toString())).toEqual(['1', '2']);
  });

  it('treats null value as a tombstone and stores a non-string value as its JSON text', () => {
    expect(parse('{"key":"k","value":null}').value).toBeNull();
    expect(parse('{"value":{"level":"info","n":1}}').value?.toString()).toBe('{"level":"info","n":1}');
  });

  it('accepts the topic and offset fields that consume --format json prints', () => {
    expect(parse('{"topic":"t","partition":0,"offset":7,"timestamp":1,"key":null,"value":"x","headers":[]}').value?.toString()).toBe('x');
  });

  it.each([
    ['not json', /invalid JSON/],
    ['[1,2]', /expected a JSON object/],
    ['{"key":"k"}', /missing "value"/],
    ['{"value":"v","vaule":"typo"}', /unknown field "vaule"/],
    ['{"value":"v","key":5}', /"key" must be a string or null/],
    ['{"value":"v","partition":-1}', /"partition" must be a non-negative integer/],
    ['{"value":"v","partition":1.5}', /"partition" must be a non-negative integer/],
    ['{"value":"v","headers":"x"}', /"headers" must be/],
    ['{"value":"v","headers":[{"value":"no key"}]}', /"headers"\[0\]/],
  ])('rejects %s with a message that says why', (line, message) => {
    expect(() => parse(line)).toThrow(message);
  });
});

describe('splitKey', () => {
  it('splits at the first separator only', () => {
    const { key, value } = splitKey(Buffer.from('k:v:w'), Buffer.from(':'));
    expect([key?.toString(), value.toString()]).toEqual(['k', 'v:w']);
  });

  it('makes a line without the separator a keyless record', () => {
    const { key, value } = splitKey(Buffer.from('plain'), Buffer.from('\t'));
    expect([key, value.toString()]).toEqual([null, 'plain']);
  });
});

describe('formatRecord', () => {
  const record = {
    topic: 't', partition: 1, offset: 9, timestamp: 100,
    key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: null }],
  };

  it('prints the value per line, with the key first when a separator is given', () => {
    const out: Buffer[] = [];
    formatRecord(record, 'value', null, out);
    formatRecord(record, 'value', Buffer.from('='), out);
    formatRecord({ ...record, value: null }, 'value', null, out);
    expect(Buffer.concat(out).toString()).toBe('v\nk=v\n\n');
  });

  it('prints JSON that parseJsonLine reads back to the same key, value and headers', () => {
    const out: Buffer[] = [];
    formatRecord(record, 'json', null, out);
    const text = Buffer.concat(out).toString();
    expect(JSON.parse(text)).toEqual({ topic: 't', partition: 1, offset: 9, timestamp: 100, key: 'k', value: 'v', headers: [{ key: 'h', value: null }] });
    const back = parseJsonLine(Buffer.from(text.trimEnd()));
    expect([back.key?.toString(), back.value?.toString(), back.headers]).toEqual(['k', 'v', [{ key: 'h', value: null }]]);
  });
});
